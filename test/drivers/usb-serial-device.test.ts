/**
 * A serial reader named by its USB-serial adapter's ids instead of a path: found when plugged in
 * (a fake sysfs and /dev tree whose tty node links to a real socat PTY), lost when unplugged,
 * found again when plugged back; another adapter with the same ids but another serial number
 * is left alone. The reader's backoff starts at 5 s, yet an absent adapter is looked for every
 * second, so it is found within about a second of being plugged in, each time.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import type { SerialLineConfig } from '../../config/schema.js';
import { silentLogger } from '../../daemon/log.js';
import { SerialLineDriver } from '../../drivers/serial-line.js';
import type { SysRoots } from '../../drivers/usb-serial-path.js';
import { openPty, type Pty } from '../support/pty.js';
import { RecordingSink } from './driver.contract.js';

let dir: string;
let roots: SysRoots;
let pty: Pty;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-usbserial-'));
  roots = { dev: join(dir, 'dev'), sys: join(dir, 'sys') };
  mkdirSync(roots.dev, { recursive: true });
  mkdirSync(join(roots.sys, 'class', 'tty'), { recursive: true });
  pty = await openPty(dir);
});

afterEach(async () => {
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Plugs an FTDI adapter (0403:6001) with this serial number in as `tty`, its node being `target`. */
function plug(tty: string, serial: string, target: string): void {
  const usb = join(roots.sys, 'devices', 'usb1', `1-${tty.at(-1)}`);
  const iface = join(usb, '1-1:1.0', tty);
  mkdirSync(iface, { recursive: true });
  writeFileSync(join(usb, 'idVendor'), '0403\n');
  writeFileSync(join(usb, 'idProduct'), '6001\n');
  writeFileSync(join(usb, 'serial'), `${serial}\n`);
  const cls = join(roots.sys, 'class', 'tty', tty);
  mkdirSync(cls, { recursive: true });
  symlinkSync(relative(cls, iface), join(cls, 'device'));
  symlinkSync(target, join(roots.dev, tty));
}

function unplug(tty: string): void {
  rmSync(join(roots.sys, 'devices', 'usb1', `1-${tty.at(-1)}`), { recursive: true, force: true });
  rmSync(join(roots.sys, 'class', 'tty', tty), { recursive: true, force: true });
  rmSync(join(roots.dev, tty), { force: true });
}

const config = () =>
  parseConfig(
    `gateway: { id: g, site: s }
readPoints: [{ id: rp }]
readers:
  - id: gun
    driver: serial-line
    readPoint: rp
    usb: { vendorId: 0x0403, productId: 0x6001, serialNumber: A10K1ZB }
    retry: { minMs: 5000, maxMs: 30000 } # long on purpose: an absent adapter is looked for every second
`,
    't.yaml',
  ).readers[0] as SerialLineConfig;

describe('a serial reader found by its USB-serial adapter', () => {
  it('waits for its adapter, reads once plugged in, and finds it again after an unplug', async () => {
    const driver = new SerialLineDriver(config(), { log: silentLogger(), sysRoots: roots });
    const sink = new RecordingSink();
    try {
      await driver.start(sink);
      expect(driver.status()).toMatchObject({
        state: 'disconnected',
        lastError: 'cannot open USB 0403:6001 serial A10K1ZB: not plugged in',
      });

      // Another adapter with the same ids: not ours.
      plug('ttyUSB1', 'OTHER1', '/dev/null');
      plug('ttyUSB0', 'A10K1ZB', pty.readerPath);
      await expect.poll(() => driver.status().state, { timeout: 2500, interval: 50 }).toBe('connected');
      await pty.write(']d2010950600013435221SN1\x1d10LOT1\r');
      await expect
        .poll(() => sink.texts(), { timeout: 5000 })
        .toEqual([']d2010950600013435221SN1\x1d10LOT1']);

      // Unplugged: the port goes away with it.
      unplug('ttyUSB0');
      await pty.kill();
      await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('disconnected');

      // Plugged back (a new PTY behind a new node): found again, reads resume.
      await pty.restart();
      plug('ttyUSB0', 'A10K1ZB', pty.readerPath);
      await expect.poll(() => driver.status().state, { timeout: 2500, interval: 50 }).toBe('connected');
      await pty.write(']d2010950600013435221SN2\x1d10LOT1\r');
      await expect.poll(() => sink.reads.length, { timeout: 5000 }).toBe(2);
      expect(driver.status()).toMatchObject({ reads: 2, reconnects: 1 });
    } finally {
      await driver.stop();
    }
  });
});
