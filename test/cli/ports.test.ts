/**
 * `readpoint ports` over a fake sysfs and /dev laid out as Linux lays them out (an FTDI adapter,
 * a CDC-ACM scanner, a HID POS scanner, a scanner in keyboard mode, a USB stick, a root hub, a
 * real and an empty UART slot, a virtual console), and once for real on this machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { DIALOUT, formatPorts, listPorts, NO_SERIAL, NO_USB, NO_USB_BUS } from '../../daemon/cli/ports.js';
import { cliPath } from '../support/daemon.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rp-ports-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes `files` (name -> content) into `dir`, making it. */
function dir(path: string, files: Record<string, string> = {}): string {
  mkdirSync(path, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), `${content}\n`);
  return path;
}

function link(target: string, at: string): void {
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(relative(dirname(at), target), at);
}

/** A tree under `base`: `sys` and `dev` as on a gateway with four readers plugged in. */
function gateway(base: string, withUsbBus = true) {
  const sys = join(base, 'sys');
  const dev = dir(join(base, 'dev'));
  const drivers = join(sys, 'bus');
  const driver = (kind: string, name: string) => dir(join(drivers, kind, 'drivers', name));
  const hub = dir(join(sys, 'devices', 'pci0000:00', '0000:00:14.0', 'usb1'), {
    idVendor: '1d6b',
    idProduct: '0002',
    bDeviceClass: '09',
    busnum: '1',
    devnum: '1',
  });
  const usb = (name: string, attrs: Record<string, string>) =>
    dir(join(hub, name), { busnum: '1', bDeviceClass: '00', ...attrs });
  const iface = (device: string, n: string, attrs: Record<string, string>, drv?: string) => {
    const at = dir(join(device, `${device.split('/').at(-1)}:1.${Number(n)}`), {
      bInterfaceNumber: n,
      ...attrs,
    });
    if (drv) link(driver('usb', drv), join(at, 'driver'));
    return at;
  };
  /** The tty's class dir under `parent`, linked from /sys/class/tty, its `device` -> `device`. */
  const tty = (name: string, parent: string, device: string, attrs: Record<string, string> = {}) => {
    const at = dir(join(parent, 'tty', name), { dev: '188:0', ...attrs });
    link(device, join(at, 'device'));
    link(at, join(sys, 'class', 'tty', name));
    writeFileSync(join(dev, name), '');
  };

  const ftdi = usb('1-1', {
    idVendor: '0403',
    idProduct: '6001',
    serial: 'A1B2C3',
    manufacturer: 'FTDI',
    product: 'FT232R USB UART',
    devnum: '4',
  });
  const ftdiIf = iface(ftdi, '00', { bInterfaceClass: 'ff' }, 'ftdi_sio');
  const port = dir(join(ftdiIf, 'ttyUSB0'));
  link(driver('usb-serial', 'ftdi_sio'), join(port, 'driver'));
  tty('ttyUSB0', port, port);

  const acm = usb('1-2', {
    idVendor: '0c2e',
    idProduct: '0b61',
    serial: '17012B4C',
    manufacturer: 'Honeywell',
    product: 'Imaging scanner',
    bDeviceClass: 'ef',
    devnum: '5',
  });
  const acmIf = iface(acm, '00', { bInterfaceClass: '02' }, 'cdc_acm');
  iface(acm, '01', { bInterfaceClass: '0a' }, 'cdc_acm');
  tty('ttyACM0', acmIf, acmIf);

  const hidPos = usb('1-3', {
    idVendor: '05e0',
    idProduct: '1200',
    serial: '0042',
    manufacturer: 'Symbol',
    product: 'Bar Code Scanner',
    devnum: '6',
  });
  iface(hidPos, '00', { bInterfaceClass: '03', bInterfaceProtocol: '00' }, 'usbhid');

  const wedge = usb('1-4', { idVendor: '0c2e', idProduct: '0901', product: 'Scanner', devnum: '7' });
  iface(wedge, '00', { bInterfaceClass: '03', bInterfaceProtocol: '01' }, 'usbhid');
  iface(wedge, '01', { bInterfaceClass: '03', bInterfaceProtocol: '00' }, 'usbhid');

  const stick = usb('1-5', { idVendor: '0781', idProduct: '5567', devnum: '8' });
  iface(stick, '00', { bInterfaceClass: '08' }, 'usb-storage');

  // A UART on the board (serial-core's port and ctrl devices in between), and an empty slot.
  const pnp = dir(join(sys, 'devices', 'pnp0', '00:01'));
  link(driver('pnp', 'serial'), join(pnp, 'driver'));
  const ctrl = dir(join(pnp, '00:01:0'));
  link(driver('serial-base', 'ctrl'), join(ctrl, 'driver'));
  const uart = dir(join(ctrl, '00:01:0.0'));
  link(driver('serial-base', 'port'), join(uart, 'driver'));
  tty('ttyS0', uart, uart, { type: '4' });
  const slot = dir(join(sys, 'devices', 'platform', 'serial8250'));
  tty('ttyS1', slot, slot, { type: '0' });
  // A virtual console: no device.
  link(dir(join(sys, 'devices', 'virtual', 'tty', 'tty0')), join(sys, 'class', 'tty', 'tty0'));

  if (withUsbBus)
    for (const d of [hub, ftdi, ftdiIf, acm, acmIf, hidPos, wedge, stick])
      link(d, join(sys, 'bus', 'usb', 'devices', d.split('/').at(-1)!));
  for (const extra of ['1-2:1.1', '1-3:1.0', '1-4:1.0', '1-4:1.1', '1-5:1.0'])
    if (withUsbBus) {
      const [device] = extra.split(':');
      link(join(hub, device!, extra), join(sys, 'bus', 'usb', 'devices', extra));
    }
  link(join(dev, 'ttyUSB0'), join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_USB_UART_A1B2C3-if00-port0'));
  return { sys, dev };
}

describe('readpoint ports over a fake sysfs', () => {
  it('lists each port and USB device with its ids, driver, kind and the config that names it', async () => {
    const roots = gateway(join(root, 'full'));
    const listing = await listPorts(roots);
    const byId = join(roots.dev, 'serial/by-id/usb-FTDI_FT232R_USB_UART_A1B2C3-if00-port0');
    const d = (name: string) => join(roots.dev, name);
    expect(listing.serial).toEqual([
      {
        path: d('ttyACM0'),
        vidPid: '0c2e:0b61',
        serialNumber: '17012B4C',
        manufacturer: 'Honeywell',
        product: 'Imaging scanner',
        driver: 'cdc_acm',
        config: 'usb: { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: "17012B4C" }',
      },
      { path: d('ttyS0'), driver: 'serial', config: `path: ${d('ttyS0')}` },
      {
        path: d('ttyUSB0'),
        byId,
        vidPid: '0403:6001',
        serialNumber: 'A1B2C3',
        manufacturer: 'FTDI',
        product: 'FT232R USB UART',
        driver: 'ftdi_sio',
        config: `path: ${byId}`,
      },
    ]);
    expect(listing.usb).toEqual([
      {
        bus: 1,
        address: 4,
        vidPid: '0403:6001',
        serialNumber: 'A1B2C3',
        manufacturer: 'FTDI',
        product: 'FT232R USB UART',
        hidInterfaces: [],
        keyboard: false,
        ttys: [d('ttyUSB0')],
        config: 'usb: { vendorId: 0x0403, productId: 0x6001, serialNumber: "A1B2C3" }',
      },
      {
        bus: 1,
        address: 5,
        vidPid: '0c2e:0b61',
        serialNumber: '17012B4C',
        manufacturer: 'Honeywell',
        product: 'Imaging scanner',
        hidInterfaces: [],
        keyboard: false,
        ttys: [d('ttyACM0')],
        config: 'usb: { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: "17012B4C" }',
      },
      {
        bus: 1,
        address: 6,
        vidPid: '05e0:1200',
        serialNumber: '0042',
        manufacturer: 'Symbol',
        product: 'Bar Code Scanner',
        hidInterfaces: [0],
        keyboard: false,
        ttys: [],
        config: 'driver: usb-hid\nvendorId: 0x05e0\nproductId: 0x1200\nserialNumber: "0042"',
      },
      {
        bus: 1,
        address: 7,
        vidPid: '0c2e:0901',
        product: 'Scanner',
        hidInterfaces: [0, 1],
        keyboard: true,
        ttys: [],
        config: 'driver: usb-hid\nvendorId: 0x0c2e\nproductId: 0x0901',
      },
      { bus: 1, address: 8, vidPid: '0781:5567', hidInterfaces: [], keyboard: false, ttys: [] },
    ]);
    expect(listing.notes).toEqual([]);

    // Each config snippet, pasted into a reader, makes a valid configuration.
    const reader = (id: string, lines: string) =>
      `  - id: ${id}\n    readPoint: dock-1\n${lines
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}`;
    const snippets = [
      ...listing.serial.map((p, i) => reader(`serial-${i}`, `driver: serial-line\n${p.config}`)),
      ...listing.usb.flatMap((u, i) =>
        u.config
          ? [reader(`usb-${i}`, u.ttys.length > 0 ? `driver: serial-line\n${u.config}` : u.config)]
          : [],
      ),
    ];
    expect(snippets).toHaveLength(3 + 4);
    const yaml = `gateway: { id: gw-1, site: site-1 }\nreadPoints:\n  - id: dock-1\nreaders:\n${snippets.join('\n')}\n`;
    const config = parseConfig(yaml, 'ports.yaml', {});
    const named = (r: Record<string, unknown>) => r.usb ?? r.vendorId ?? r.path;
    expect(config.readers.map((r) => named(r as Record<string, unknown>))).toEqual([
      { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: '17012B4C' },
      join(roots.dev, 'ttyS0'),
      byId,
      { vendorId: 0x0403, productId: 0x6001, serialNumber: 'A1B2C3' },
      { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: '17012B4C' },
      0x05e0,
      0x0c2e,
    ]);

    // Formatted as on a real system, where the nodes are under /dev.
    const text = formatPorts(JSON.parse(JSON.stringify(listing).replaceAll(roots.dev, '/dev')));
    expect(text.split('\n')).toEqual([
      'Serial ports (3):',
      '  PATH          VID:PID    SERIAL    DRIVER    DEVICE',
      '  /dev/ttyACM0  0c2e:0b61  17012B4C  cdc_acm   Honeywell Imaging scanner',
      '      config: usb: { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: "17012B4C" }',
      '  /dev/ttyS0    -          -         serial    -',
      '      config: path: /dev/ttyS0',
      '  /dev/ttyUSB0  0403:6001  A1B2C3    ftdi_sio  FTDI FT232R USB UART',
      '      config: path: /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A1B2C3-if00-port0',
      '',
      'USB devices (5):',
      '  BUS:ADDR  VID:PID    SERIAL    KIND                           DEVICE',
      '  001:004   0403:6001  A1B2C3    serial (ttyUSB0)               FTDI FT232R USB UART',
      '      config: usb: { vendorId: 0x0403, productId: 0x6001, serialNumber: "A1B2C3" }',
      '  001:005   0c2e:0b61  17012B4C  serial (ttyACM0)               Honeywell Imaging scanner',
      '      config: usb: { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: "17012B4C" }',
      '  001:006   05e0:1200  0042      HID (interface 0)              Symbol Bar Code Scanner',
      '      config: driver: usb-hid',
      '              vendorId: 0x05e0',
      '              productId: 0x1200',
      '              serialNumber: "0042"',
      '  001:007   0c2e:0901  -         HID keyboard (interface 0, 1)  Scanner',
      '      config: driver: usb-hid',
      '              vendorId: 0x0c2e',
      '              productId: 0x0901',
      '      keyboard mode: set the scanner to USB HID POS mode (see its manual) for the usb-hid driver',
      '  001:008   0781:5567  -         other                          -',
      '',
    ]);
  });

  it('says what to check when there is nothing, and copes without a USB bus or any sysfs at all', async () => {
    const noBus = await listPorts(gateway(join(root, 'no-bus'), false));
    expect(noBus.serial.map((p) => p.vidPid)).toEqual(['0c2e:0b61', undefined, '0403:6001']);
    expect(noBus.usb).toEqual([]);
    expect(noBus.notes).toEqual([NO_USB_BUS]);

    dir(join(root, 'empty', 'sys', 'bus', 'usb', 'devices'));
    const bare = await listPorts({ sys: join(root, 'empty', 'sys'), dev: join(root, 'empty', 'dev') });
    expect(bare).toEqual({ serial: [], usb: [], notes: [NO_SERIAL, DIALOUT, NO_USB] });
    expect(formatPorts(bare)).toBe(
      ['Serial ports (0):', '', 'USB devices (0):', '', NO_SERIAL, DIALOUT, NO_USB, ''].join('\n'),
    );

    const nothing = await listPorts({ sys: join(root, 'absent'), dev: join(root, 'absent-dev') });
    expect(nothing.notes).toEqual([NO_SERIAL, DIALOUT, NO_USB_BUS]);
  });
});

describe('readpoint ports on this machine', () => {
  it('exits 0 with a JSON listing of the expected shape, and a table that agrees with it', () => {
    const json = spawnSync(process.execPath, [cliPath, 'ports', '--json'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(json.status).toBe(0);
    const listing = JSON.parse(json.stdout);
    expect(Object.keys(listing)).toEqual(['serial', 'usb', 'notes']);
    for (const p of listing.serial) {
      expect(p.path).toMatch(/^\/dev\/tty/);
      expect(p.config).toMatch(/^(path|usb): /);
      if (p.vidPid !== undefined) expect(p.vidPid).toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}$/);
    }
    for (const d of listing.usb) expect(d.vidPid).toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}$/);

    const human = spawnSync(process.execPath, [cliPath, 'ports'], { encoding: 'utf8', timeout: 20_000 });
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`Serial ports (${listing.serial.length}):`);
    expect(human.stdout).toContain(`USB devices (${listing.usb.length}):`);
    for (const p of listing.serial) expect(human.stdout).toContain(`      config: ${p.config}\n`);
    if (listing.serial.length === 0) expect(human.stdout).toContain(NO_SERIAL);
    for (const note of listing.notes) expect(human.stdout).toContain(note);
  });
});
