/**
 * What `readpoint ports` lists, read from sysfs and /dev with plain file reads: no udevadm (which
 * SerialPort.list() needs), no libusb, so it works in a container, a systemd sandbox or a bare
 * board. The roots are parameters so tests build a fake tree. How sysfs shows the devices:
 *
 * - `/sys/class/tty/<tty>/device` links to the hardware behind a tty: for a USB-serial adapter
 *   (FTDI, CP210x, CH34x) the usb-serial port `.../1-2/1-2:1.0/ttyUSB0`, for CDC-ACM the
 *   interface `.../1-2/1-2:1.0`; the USB device (`idVendor`, `idProduct`, `serial`,
 *   `manufacturer`, `product`) is a few directories up. Virtual ttys have no `device`; a
 *   built-in UART slot with no chip says `type` 0.
 * - `<device>/driver` links to the kernel driver (ftdi_sio, cp210x, cdc_acm, serial8250...);
 *   newer kernels put serial-core `port` and `ctrl` devices in between.
 * - `/sys/bus/usb/devices` holds USB devices (`1-2`, `usb1`) and their interfaces (`1-2:1.0`,
 *   with `bInterfaceClass`: 03 is HID, `bInterfaceProtocol` 01 a boot keyboard).
 *
 * Anything missing or unreadable means "not there", never an error.
 */
import { readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  attr,
  byIdLinks,
  entries,
  hexAttr,
  type SysRoots,
  type UsbIds,
  usbAbove,
  usbIds,
} from '../../drivers/sysfs.js';

export type { SysRoots, UsbIds };

export interface SysTty {
  /** The device node, e.g. `/dev/ttyUSB0`. */
  readonly path: string;
  /** Its `/dev/serial/by-id/...` link, when udev made one. */
  readonly byId?: string;
  /** The kernel driver, e.g. `ftdi_sio`, `cp210x`, `cdc_acm`, `serial8250`. */
  readonly driver?: string;
  /** The USB device behind it, for a USB-serial adapter or a CDC-ACM device. */
  readonly usb?: UsbIds;
}

export interface SysUsbDevice extends UsbIds {
  readonly bus: number;
  readonly address: number;
  /** Numbers of its HID interfaces (class 03), and whether one is a boot keyboard. */
  readonly hidInterfaces: readonly number[];
  readonly keyboard: boolean;
}

/** Serial-core's own devices between a tty and its hardware driver (Linux 6.5 and later). */
const SERIAL_CORE = new Set(['port', 'ctrl']);

async function driverOf(device: string): Promise<string | undefined> {
  let dir = device;
  for (let climb = 0; climb < 3; climb++, dir = dirname(dir)) {
    const target = await realpath(join(dir, 'driver')).catch(() => undefined);
    const name = target ? basename(target) : undefined;
    if (name && !SERIAL_CORE.has(name)) return name;
  }
  return undefined;
}

/** Every tty backed by hardware (virtual consoles and empty UART slots left out), by path. */
export async function listTtys(roots: SysRoots): Promise<SysTty[]> {
  const classDir = join(roots.sys, 'class', 'tty');
  const sysTop = await realpath(roots.sys).catch(() => resolve(roots.sys));
  const links = await byIdLinks(roots.dev);
  const ttys: SysTty[] = [];
  for (const name of await entries(classDir)) {
    const device = await realpath(join(classDir, name, 'device')).catch(() => undefined);
    if (!device) continue;
    if ((await attr(join(classDir, name), 'type')) === '0') continue; // a UART slot with no chip
    const [driver, usb] = await Promise.all([driverOf(device), usbAbove(device, sysTop)]);
    const byId = links.get(name);
    ttys.push({
      path: join(roots.dev, name),
      ...(byId ? { byId } : {}),
      ...(driver ? { driver } : {}),
      ...(usb ? { usb } : {}),
    });
  }
  // A by-id link to a node sysfs did not show (an unusual name): listed, without details.
  const known = new Set(ttys.map((t) => basename(t.path)));
  for (const [name, byId] of links) if (!known.has(name)) ttys.push({ path: join(roots.dev, name), byId });
  return ttys.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/** Every USB device but hubs, by bus and address; undefined when the system has no USB bus. */
export async function listUsb(roots: SysRoots): Promise<SysUsbDevice[] | undefined> {
  const dir = join(roots.sys, 'bus', 'usb', 'devices');
  const names = await readdir(dir).catch(() => undefined);
  if (!names) return undefined;
  const devices: SysUsbDevice[] = [];
  for (const name of names.filter((n) => !n.includes(':'))) {
    const path = join(dir, name);
    const ids = await usbIds(path);
    if (!ids || (await attr(path, 'bDeviceClass')) === '09') continue; // hubs: nothing to wire
    const hidInterfaces: number[] = [];
    let keyboard = false;
    for (const iface of names.filter((n) => n.startsWith(`${name}:`))) {
      const at = join(dir, iface);
      if ((await attr(at, 'bInterfaceClass')) !== '03') continue;
      hidInterfaces.push((await hexAttr(at, 'bInterfaceNumber')) ?? 0);
      if ((await attr(at, 'bInterfaceProtocol')) === '01') keyboard = true;
    }
    devices.push({
      ...ids,
      bus: Number(await attr(path, 'busnum')),
      address: Number(await attr(path, 'devnum')),
      hidInterfaces: hidInterfaces.sort((a, b) => a - b),
      keyboard,
    });
  }
  return devices.sort((a, b) => a.bus - b.bus || a.address - b.address);
}
