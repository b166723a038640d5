/**
 * Finds the `/dev/tty*` node of a USB-serial reader (FTDI, CP210x, CDC-ACM) by its USB ids, so
 * a config can name the reader by VID:PID and serial number instead of a `/dev/ttyUSB0` that
 * changes with plug order. Reads sysfs (each tty's USB device: `idVendor`, `idProduct`, `serial`)
 * and `/dev/serial/by-id` (the stable link to show beside it). Plain file reads, no `udevadm`:
 * it works in a container or a systemd sandbox, and the roots are parameters so tests build a
 * fake tree. Missing directories mean "no such port", never an error.
 */
import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { byIdLinks, entries, SYSTEM_ROOTS, type SysRoots, usbAbove } from './sysfs.js';

export { SYSTEM_ROOTS, type SysRoots };

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

/** Every tty backed by a USB device, by name. */
export async function listUsbSerialPorts(roots: SysRoots = SYSTEM_ROOTS): Promise<UsbSerialPort[]> {
  const classDir = join(roots.sys, 'class', 'tty');
  const [names, links] = await Promise.all([entries(classDir), byIdLinks(roots.dev)]);
  const top = await realpath(roots.sys).catch(() => resolve(roots.sys));
  const ports: UsbSerialPort[] = [];
  for (const name of names.sort()) {
    // Virtual ttys (tty0, ptmx) have no device: skipped here.
    const device = await realpath(join(classDir, name, 'device')).catch(() => undefined);
    const usb = device ? await usbAbove(device, top) : undefined;
    if (!usb) continue;
    ports.push({
      path: join(roots.dev, name),
      byId: links.get(name),
      vendorId: usb.vendorId,
      productId: usb.productId,
      serialNumber: usb.serialNumber,
    });
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
