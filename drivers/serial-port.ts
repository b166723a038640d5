/**
 * Opening and closing the serial port of a reader, the same for every serial driver. The port's
 * default exclusive lock stays on: two programs driving one reader would split or fight over it.
 */
import { SerialPort } from 'serialport';
import type { Reconnect } from './reconnect.js';
import { findUsbSerialPath, type SysRoots, type UsbSerialMatch } from './usb-serial-path.js';

/** Where the reader is: a device path, or a USB-serial adapter's ids (one of the two). */
export interface SerialDevice {
  readonly path?: string;
  readonly usb?: UsbSerialMatch;
}

/** The device as a technician would name it in a log line. */
export function deviceName(device: SerialDevice): string {
  if (device.path !== undefined) return device.path;
  const usb = device.usb;
  if (!usb) return '(no device configured)';
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return `USB ${hex(usb.vendorId)}:${hex(usb.productId)}${usb.serialNumber ? ` serial ${usb.serialNumber}` : ''}`;
}

/**
 * A reader named by its adapter's ids whose adapter is not plugged in. Looking again is a cheap
 * scan of sysfs, so drivers look every `ABSENT_POLL_MS` instead of backing off: a replugged
 * reader is read again within about a second.
 */
class NotPluggedIn extends Error {}
const ABSENT_POLL_MS = 1000;

/** The device node to open: the path, or the tty of the one plugged-in adapter with those ids. */
async function devicePath(device: SerialDevice, roots?: SysRoots): Promise<string> {
  if (device.path !== undefined) return device.path;
  if (!device.usb) throw new Error('no path and no usb ids configured');
  const path = await findUsbSerialPath(device.usb, roots);
  if (path === undefined) {
    throw new NotPluggedIn(
      device.usb.serialNumber ? 'not plugged in' : 'not plugged in, or several are (set usb.serialNumber)',
    );
  }
  return path;
}

export interface PortSettings {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  readonly stopBits?: 1 | 1.5 | 2;
}

/** Opens the port; rejects with the system's reason. `binding` replaces the real one (tests). */
async function openPort(settings: PortSettings, binding?: unknown): Promise<SerialPort> {
  const port = new SerialPort({
    ...settings,
    autoOpen: false,
    ...(binding ? { binding: binding as never } : {}),
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

/** Closes a port whose late errors are no longer news. */
export function closeQuietly(port: SerialPort): Promise<void> {
  port.removeAllListeners();
  port.on('error', () => {});
  if (!port.isOpen) return Promise.resolve();
  return new Promise<void>((resolve) => port.close(() => resolve()));
}

/**
 * Opens a serial reader's device (its path, or its adapter found by USB ids): the port and the
 * path it was found at, or undefined once `reconnect` has been told why not. An absent adapter is
 * looked for again within `ABSENT_POLL_MS`, whatever the backoff.
 */
export async function openReader(
  device: SerialDevice,
  settings: Omit<PortSettings, 'path'>,
  ctx: { readonly sysRoots?: SysRoots; readonly binding?: unknown },
  reconnect: Reconnect,
): Promise<{ port: SerialPort; path: string } | undefined> {
  try {
    const path = await devicePath(device, ctx.sysRoots);
    return { port: await openPort({ ...settings, path }, ctx.binding), path };
  } catch (err) {
    reconnect.failed(
      `cannot open ${deviceName(device)}: ${(err as Error).message}`,
      'reader unavailable',
      err instanceof NotPluggedIn ? ABSENT_POLL_MS : undefined,
    );
    return undefined;
  }
}

/** The longest wait before looking for a lost reader again: soon when named by its adapter's ids. */
export const lostRetryCap = (device: SerialDevice): number | undefined =>
  device.usb ? ABSENT_POLL_MS : undefined;
