/**
 * Plain file reads of sysfs and /dev, shared by the USB-serial lookup of the drivers
 * (usb-serial-path.ts) and `readpoint ports`: no udevadm, no libusb, so they work in a
 * container or a systemd sandbox. Anything missing or unreadable reads as absent, never an error.
 *
 * A tty's `/sys/class/tty/<tty>/device` links to the hardware behind it; for a USB-serial adapter
 * or a CDC-ACM device the USB device (`idVendor`, `idProduct`, `serial`, `manufacturer`,
 * `product`) is a few directories above it.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

export interface SysRoots {
  /** Where device nodes are: `/dev`. */
  readonly dev: string;
  /** Where sysfs is mounted: `/sys`. */
  readonly sys: string;
}

export const SYSTEM_ROOTS: SysRoots = Object.freeze({ dev: '/dev', sys: '/sys' });

/** A USB device as sysfs names it. */
export interface UsbIds {
  /** Its sysfs name, e.g. `1-2` or `1-1.4`. */
  readonly name: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string;
  readonly manufacturer?: string;
  readonly product?: string;
}

/** The USB device is at most this many directories above a tty's `device`. */
const MAX_CLIMB = 4;

/** A sysfs attribute, trimmed; undefined when absent or empty. */
export const attr = (dir: string, name: string): Promise<string | undefined> =>
  readFile(join(dir, name), 'utf8').then(
    (s) => s.trim() || undefined,
    () => undefined,
  );

export const entries = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

/** A hex attribute such as `idVendor` (up to four digits). */
export async function hexAttr(dir: string, name: string): Promise<number | undefined> {
  const s = await attr(dir, name);
  return s !== undefined && /^[0-9a-fA-F]{1,4}$/.test(s) ? Number.parseInt(s, 16) : undefined;
}

/** The ids of the USB device in `dir`, when it is one (it has `idVendor` and `idProduct`). */
export async function usbIds(dir: string): Promise<UsbIds | undefined> {
  const vendorId = await hexAttr(dir, 'idVendor');
  const productId = await hexAttr(dir, 'idProduct');
  if (vendorId === undefined || productId === undefined) return undefined;
  const [serialNumber, manufacturer, product] = await Promise.all(
    ['serial', 'manufacturer', 'product'].map((n) => attr(dir, n)),
  );
  return {
    name: basename(dir),
    vendorId,
    productId,
    ...(serialNumber ? { serialNumber } : {}),
    ...(manufacturer ? { manufacturer } : {}),
    ...(product ? { product } : {}),
  };
}

/**
 * The USB device above a tty's resolved `device` directory, climbing at most a few levels and
 * never above `sysTop` (the resolved sysfs root).
 */
export async function usbAbove(device: string, sysTop: string): Promise<UsbIds | undefined> {
  let dir = device;
  for (let climb = 0; climb <= MAX_CLIMB && dir.startsWith(sysTop + sep); climb++, dir = dirname(dir)) {
    const ids = await usbIds(dir);
    if (ids) return ids;
  }
  return undefined;
}

/** tty name -> its `/dev/serial/by-id` link. */
export async function byIdLinks(devRoot: string): Promise<Map<string, string>> {
  const dir = join(devRoot, 'serial', 'by-id');
  const links = new Map<string, string>();
  for (const name of (await entries(dir)).sort()) {
    const target = await readlink(join(dir, name)).catch(() => undefined);
    if (target !== undefined) links.set(basename(resolve(dir, target)), join(dir, name));
  }
  return links;
}
