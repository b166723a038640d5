import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/schemas.js';
import { type DeviceEvent, evaluate, globMatch, parseRules } from './udev-rules.js';

const rulesText = readFileSync(join(repoRoot, 'systemd', '61-readpoint.rules'), 'utf8');
const rules = parseRules(rulesText);

/** The readers systemd/README.md promises: name, USB vendor, product (for the serial chips), scanner. */
const READERS = [
  { name: 'honeywell', vendor: '0c2e', product: '0b6a', scanner: true },
  { name: 'honeywell', vendor: '0536', product: '0167', scanner: true },
  { name: 'zebra', vendor: '05e0', product: '1200', scanner: true },
  { name: 'datalogic', vendor: '05f9', product: '2214', scanner: true },
  { name: 'datalogic', vendor: '080c', product: '0300', scanner: true },
  ...['6001', '6010', '6011', '6014', '6015'].map((product) => ({
    name: 'ftdi',
    vendor: '0403',
    product,
    scanner: false,
  })),
  { name: 'cp210x', vendor: '10c4', product: 'ea60', scanner: false },
  { name: 'pl2303', vendor: '067b', product: '2303', scanner: false },
  { name: 'ch340', vendor: '1a86', product: '7523', scanner: false },
] as const;

/** A serial port event of a USB device, as 60-serial.rules leaves it. */
function ttyEvent(vendor: string, product: string, env: Record<string, string> = {}): DeviceEvent {
  return {
    action: 'add',
    chain: [
      { subsystem: 'tty' },
      { subsystem: 'usb', attrs: { bInterfaceNumber: env.ID_USB_INTERFACE_NUM ?? '00' } },
      { subsystem: 'usb', attrs: { idVendor: vendor, idProduct: product } },
      { subsystem: 'usb', attrs: { idVendor: '1d6b', idProduct: '0002' } }, // the root hub
    ],
    env: { ID_SERIAL_SHORT: 'S12345', ID_USB_INTERFACE_NUM: '00', ...env },
  };
}

/** The USB device node event (/dev/bus/usb/BBB/DDD). */
function usbDeviceEvent(vendor: string, product: string): DeviceEvent {
  return {
    action: 'add',
    chain: [
      { subsystem: 'usb', attrs: { idVendor: vendor, idProduct: product } },
      { subsystem: 'usb', attrs: { idVendor: '1d6b', idProduct: '0002' } },
    ],
    env: { DEVTYPE: 'usb_device' },
  };
}

describe('systemd/61-readpoint.rules', () => {
  it('uses only the keys and operators udev takes for them, and every GOTO has its LABEL', () => {
    expect(rules.length).toBeGreaterThan(10);
    expect(rulesText).toContain('LABEL="readpoint_end"');
  });

  it.each(READERS)('keeps ModemManager off a $name reader ($vendor:$product) and names its port', (r) => {
    const out = evaluate(rules, ttyEvent(r.vendor, r.product));
    expect(out.env.ID_MM_DEVICE_IGNORE).toBe('1');
    expect(out.symlinks).toEqual([`readpoint/${r.name}-S12345`]);
    expect(out.group).toBeUndefined();
  });

  it.each(READERS)('gives a $name USB device node ($vendor) to dialout only if it is a scanner', (r) => {
    const out = evaluate(rules, usbDeviceEvent(r.vendor, r.product));
    expect(out.env.ID_MM_DEVICE_IGNORE).toBe('1');
    expect(out.symlinks).toEqual([]);
    if (r.scanner) {
      expect([out.group, out.mode]).toEqual(['dialout', '0660']);
    } else {
      expect([out.group, out.mode]).toEqual([undefined, undefined]);
    }
  });

  it('leaves other devices alone: a cellular modem and an FTDI product not listed', () => {
    for (const [vendor, product] of [
      ['2c7c', '0125'], // a Quectel LTE modem: ModemManager must still find it
      ['0403', 'a6d0'],
      ['10c4', '8a2a'],
    ] as const) {
      for (const event of [ttyEvent(vendor, product), usbDeviceEvent(vendor, product)]) {
        const out = evaluate(rules, event);
        expect(out.env.ID_MM_DEVICE_IGNORE, `${vendor}:${product}`).toBeUndefined();
        expect(out.symlinks).toEqual([]);
        expect(out.group).toBeUndefined();
      }
    }
  });

  it('adds the interface to the names of a multi-port device after the first', () => {
    const out = evaluate(rules, ttyEvent('0403', '6011', { ID_USB_INTERFACE_NUM: '02' }));
    expect(out.symlinks).toEqual(['readpoint/ftdi-S12345-if02']);
  });

  it('gives no stable name to a port without a USB serial number, but still keeps ModemManager off', () => {
    const out = evaluate(rules, ttyEvent('1a86', '7523', { ID_SERIAL_SHORT: '' }));
    expect(out.env.ID_MM_DEVICE_IGNORE).toBe('1');
    expect(out.symlinks).toEqual([]);
  });

  it('does nothing on remove, and nothing for a board serial port', () => {
    expect(
      evaluate(rules, { ...ttyEvent('0c2e', '0b6a'), action: 'remove' }).env.ID_MM_DEVICE_IGNORE,
    ).toBeUndefined();
    const boardPort = evaluate(rules, {
      action: 'add',
      chain: [{ subsystem: 'tty' }, { subsystem: 'platform' }],
    });
    expect(boardPort).toEqual({ env: {}, group: undefined, mode: undefined, symlinks: [] });
  });
});

describe('the rules checker itself', () => {
  it('rejects what udev would not take or these rules do not use', () => {
    expect(() => parseRules('SUBSYSTEM=="tty", FOO="1"')).toThrow('line 1: key FOO');
    expect(() => parseRules('# c\nATTRS{idVendor}="0c2e"')).toThrow('line 2: ATTRS cannot be assigned');
    expect(() => parseRules('SUBSYSTEM=="tty", GOTO="nowhere"')).toThrow('GOTO nowhere has no LABEL');
    expect(() => parseRules('SUBSYSTEM=="tty", GROUP=dialout')).toThrow('not KEY{attr}OP"value"');
    expect(() => parseRules('ENV="x"')).toThrow('ENV needs {attr}');
    expect(() => parseRules('SUBSYSTEM=="tty", ATTRS{idVendor}=="0c2e"')).toThrow('a rule that does nothing');
    expect(() => parseRules('ENV{A}+="x"')).toThrow('+= only for SYMLINK');
  });

  it('matches patterns as udev does: alternatives, globs, and the whole value', () => {
    expect(globMatch('6001|6015', '6015')).toBe(true);
    expect(globMatch('6001|6015', '60151')).toBe(false);
    expect(globMatch('?*', '')).toBe(false);
    expect(globMatch('?*', 'x')).toBe(true);
    expect(globMatch('tty[A-Z]*', 'ttyUSB0')).toBe(true);
  });

  it('holds SUBSYSTEMS and ATTRS to one device of the chain', () => {
    const r = parseRules('SUBSYSTEMS=="usb", ATTRS{idVendor}=="0c2e", ENV{HIT}="1"');
    const split: DeviceEvent = {
      action: 'add',
      chain: [{ subsystem: 'tty' }, { subsystem: 'pci', attrs: { idVendor: '0c2e' } }, { subsystem: 'usb' }],
    };
    expect(evaluate(r, split).env.HIT).toBeUndefined();
    expect(evaluate(r, ttyEvent('0c2e', '0001')).env.HIT).toBe('1');
  });
});
