/** Finding a USB-serial reader's tty by VID:PID and serial number in a fake sysfs and /dev tree. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUsbSerialPath, listUsbSerialPorts, type SysRoots } from '../../../drivers/usb-serial-path.js';

let base: string;
let roots: SysRoots;

function usbDevice(path: string, vendor: string, product: string, serial?: string): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'idVendor'), `${vendor}\n`);
  writeFileSync(join(path, 'idProduct'), `${product}\n`);
  if (serial !== undefined) writeFileSync(join(path, 'serial'), `${serial}\n`);
}

/** /sys/class/tty/<name>/device -> `target` (relative, as the kernel makes it). */
function tty(name: string, target?: string): void {
  const dir = join(roots.sys, 'class', 'tty', name);
  mkdirSync(dir, { recursive: true });
  if (target === undefined) return;
  mkdirSync(target, { recursive: true });
  symlinkSync(relative(dir, target), join(dir, 'device'));
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'rp-usbtty-'));
  roots = { dev: join(base, 'dev'), sys: join(base, 'sys') };
  const hub = join(roots.sys, 'devices', 'pci0000:00', '0000:00:14.0', 'usb1');
  usbDevice(hub, '1d6b', '0002'); // the root hub: a USB device too, but not the nearest one
  usbDevice(join(hub, '1-2'), '0403', '6001', 'A10K1ZB');
  usbDevice(join(hub, '1-3'), '0403', '6001', 'B20X77');
  usbDevice(join(hub, '1-4'), '0c2e', '0b6a');
  tty('ttyUSB0', join(hub, '1-2', '1-2:1.0', 'ttyUSB0')); // usb-serial: two levels below
  tty('ttyUSB1', join(hub, '1-3', '1-3:1.0', 'ttyUSB1'));
  tty('ttyACM0', join(hub, '1-4', '1-4:1.0')); // CDC-ACM: the interface itself
  tty('ttyS0', join(roots.sys, 'devices', 'platform', 'serial8250')); // not USB
  tty('tty0'); // virtual: no device link
  const byId = join(roots.dev, 'serial', 'by-id');
  mkdirSync(byId, { recursive: true });
  symlinkSync('../../ttyUSB0', join(byId, 'usb-FTDI_FT232R_USB_UART_A10K1ZB-if00-port0'));
  symlinkSync('../../ttyACM0', join(byId, 'usb-Honeywell_Imaging_Scanner-if00'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('USB-serial ports', () => {
  it('lists the ttys backed by USB devices with their ids, serial numbers and by-id links', async () => {
    expect(await listUsbSerialPorts(roots)).toEqual([
      {
        path: join(roots.dev, 'ttyACM0'),
        byId: join(roots.dev, 'serial', 'by-id', 'usb-Honeywell_Imaging_Scanner-if00'),
        vendorId: 0x0c2e,
        productId: 0x0b6a,
        serialNumber: undefined,
      },
      {
        path: join(roots.dev, 'ttyUSB0'),
        byId: join(roots.dev, 'serial', 'by-id', 'usb-FTDI_FT232R_USB_UART_A10K1ZB-if00-port0'),
        vendorId: 0x0403,
        productId: 0x6001,
        serialNumber: 'A10K1ZB',
      },
      {
        path: join(roots.dev, 'ttyUSB1'),
        byId: undefined,
        vendorId: 0x0403,
        productId: 0x6001,
        serialNumber: 'B20X77',
      },
    ]);
  });

  it('finds the one port of a VID:PID', async () => {
    expect(await findUsbSerialPath({ vendorId: 0x0c2e, productId: 0x0b6a }, roots)).toBe(
      join(roots.dev, 'ttyACM0'),
    );
  });

  it('tells identical adapters apart by serial number, and refuses to guess without one', async () => {
    const ftdi = { vendorId: 0x0403, productId: 0x6001 };
    expect(await findUsbSerialPath({ ...ftdi, serialNumber: 'B20X77' }, roots)).toBe(
      join(roots.dev, 'ttyUSB1'),
    );
    expect(await findUsbSerialPath({ ...ftdi, serialNumber: 'A10K1ZB' }, roots)).toBe(
      join(roots.dev, 'ttyUSB0'),
    );
    expect(await findUsbSerialPath(ftdi, roots)).toBeUndefined();
    expect(await findUsbSerialPath({ ...ftdi, serialNumber: 'NOPE' }, roots)).toBeUndefined();
  });

  it('finds nothing for an absent device or a host without sysfs', async () => {
    expect(await findUsbSerialPath({ vendorId: 0x1d6b, productId: 0x0002 }, roots)).toBeUndefined();
    const empty = { dev: join(base, 'no-dev'), sys: join(base, 'no-sys') };
    expect(await listUsbSerialPorts(empty)).toEqual([]);
    expect(await findUsbSerialPath({ vendorId: 0x0403, productId: 0x6001 }, empty)).toBeUndefined();
  });
});
