/**
 * Finds the `/dev/tty*` node of a USB-serial reader (FTDI, CP210x, CDC-ACM) by its USB ids, so
 * a config can name the reader by VID:PID and serial number instead of a `/dev/ttyUSB0` that
 * changes with plug order. Reads sysfs (each tty's USB device: `idVendor`, `idProduct`, `serial`)
 * and `/dev/serial/by-id` (the stable link to show beside it). Plain file reads, no `udevadm`:
 * it works in a container or a systemd sandbox, and the roots are parameters so tests build a
 * fake tree. Missing directories mean "no such port", never an error.
 */
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

export interface SysRoots {
  /** Where device nodes are: `/dev`. */
  readonly dev: string;
  /** Where sysfs is mounted: `/sys`. */
  readonly sys: string;
}

export const SYSTEM_ROOTS: SysRoots = Object.freeze({ dev: '/dev', sys: '/sys' });

export interface UsbSerialMatch {
  readonly vendorId: number;
  readonly productId: number;
  /** Tells identical adapters apart; absent: any serial number. */
  readonly serialNumber?: string;
}

export interface UsbSerialPort {
  /** The device node, e.g. `/dev/ttyUSB0`. */
  readonly path: string;
  /** Its `/dev/serial/by-id/...` link, when udev made one. */
  readonly byId: string | undefined;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | undefined;
}

/** The USB device holding a tty is at most this many directories above the tty's `device`. */
const MAX_CLIMB = 4;

/** Every tty backed by a USB device, by name. */
export async function listUsbSerialPorts(roots: SysRoots = SYSTEM_ROOTS): Promise<UsbSerialPort[]> {
  const classDir = join(roots.sys, 'class', 'tty');
  const [names, links] = await Promise.all([entries(classDir), byIdLinks(roots.dev)]);
  const top = await realpath(roots.sys).catch(() => resolve(roots.sys));
  const ports: UsbSerialPort[] = [];
  for (const name of names.sort()) {
    const usb = await usbDeviceOf(join(classDir, name, 'device'), top);
    if (!usb) continue;
    ports.push({ path: join(roots.dev, name), byId: links.get(name), ...usb });
  }
  return ports;
}

/**
 * The device node of the one USB-serial port matching `match`; undefined when none matches, or
 * when several do and no serial number picks one (opening the wrong scanner would file its reads
 * under another read point).
 */
export async function findUsbSerialPath(
  match: UsbSerialMatch,
  roots: SysRoots = SYSTEM_ROOTS,
): Promise<string | undefined> {
  const found = (await listUsbSerialPorts(roots)).filter(
    (p) =>
      p.vendorId === match.vendorId &&
      p.productId === match.productId &&
      (match.serialNumber === undefined || p.serialNumber === match.serialNumber),
  );
  return found.length === 1 ? found[0]!.path : undefined;
}

/** Climbs from a tty's `device` link to the USB device directory (the one with `idVendor`). */
async function usbDeviceOf(
  deviceLink: string,
  top: string,
): Promise<Omit<UsbSerialPort, 'path' | 'byId'> | undefined> {
  let dir: string;
  try {
    dir = await realpath(deviceLink); // virtual ttys (tty0, ptmx) have no device: skipped here
  } catch {
    return undefined;
  }
  for (let climb = 0; climb <= MAX_CLIMB && dir.startsWith(top + sep); climb++, dir = dirname(dir)) {
    const vendor = await hexFile(join(dir, 'idVendor'));
    if (vendor === undefined) continue;
    const product = await hexFile(join(dir, 'idProduct'));
    if (product === undefined) return undefined;
    const serial = await text(join(dir, 'serial'));
    return { vendorId: vendor, productId: product, serialNumber: serial || undefined };
  }
  return undefined;
}

/** tty name -> its `/dev/serial/by-id` link. */
async function byIdLinks(devRoot: string): Promise<Map<string, string>> {
  const dir = join(devRoot, 'serial', 'by-id');
  const links = new Map<string, string>();
  for (const name of (await entries(dir)).sort()) {
    const link = join(dir, name);
    const target = await readlink(link).catch(() => undefined);
    if (target !== undefined) links.set(basename(resolve(dir, target)), link);
  }
  return links;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function text(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').then(
    (s) => s.trim(),
    () => undefined,
  );
}

async function hexFile(file: string): Promise<number | undefined> {
  const s = await text(file);
  return s !== undefined && /^[0-9a-fA-F]{4}$/.test(s) ? Number.parseInt(s, 16) : undefined;
}
