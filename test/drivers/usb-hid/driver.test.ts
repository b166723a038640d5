/** The HID POS driver over a fake USB bus: codes in order, hot-plug, choosing a scanner, retries, stop. */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsbHidConfig } from '../../../config/readers/usb-hid.js';
import { silentLogger } from '../../../daemon/log.js';
import type { ReaderStatus } from '../../../drivers/driver.js';
import { UsbHidDriver } from '../../../drivers/usb-hid/driver.js';
import { FakeUsbBus, FakeUsbDevice, hidPosReports } from '../../support/fake-usb-bus.js';
import { driverContract, RecordingSink } from '../driver.contract.js';

const VID = 0x0c2e;
const PID = 0x0b61;

const usbConfig = (extra: Partial<UsbHidConfig> = {}): UsbHidConfig => ({
  id: 'usb-1',
  driver: 'usb-hid',
  readPoint: 'rp',
  vendorId: VID,
  productId: PID,
  interface: 0,
  report: 'hid-pos',
  maxReadLength: 4096,
  format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
  ...extra,
});

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}
const WARN = 40;
const DEBUG = 20;

const drivers: UsbHidDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

function driverOn(bus: FakeUsbBus, extra: Partial<UsbHidConfig> = {}) {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const driver = new UsbHidDriver(usbConfig(extra), { log, usb: bus });
  drivers.push(driver);
  return { driver, lines };
}

/** A code spanning three reports: 20 + 20 + 9 data bytes. */
const LONG = `]d2010950600013435221SERIAL-0001\x1d10LOT-A\x1d17261231`;

describe('usb-hid driver', () => {
  it('opens a scanner present at start, claims its interface, and reads codes in order', async () => {
    const scanner = new FakeUsbDevice(VID, PID, 'S1');
    const bus = new FakeUsbBus(new FakeUsbDevice(VID, 0x0001), scanner);
    const { driver } = driverOn(bus, { interface: 1 });
    const sink = new RecordingSink();
    await driver.start(sink);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 0 });
    expect([scanner.opens, scanner.claimed, bus.present[0]!.opens]).toEqual([1, 1, 0]);
    scanner.send(
      ...hidPosReports(']C1FIRST'),
      ...hidPosReports(LONG, 20),
      ...hidPosReports(']E04006381333931'),
    );
    await expect.poll(() => sink.texts()).toEqual([']C1FIRST', LONG, ']E04006381333931']);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 3, rejects: 0 });
  });

  it('rejects a malformed report with its bytes and keeps reading', async () => {
    const scanner = new FakeUsbDevice(VID, PID);
    const { driver } = driverOn(new FakeUsbBus(scanner));
    const sink = new RecordingSink();
    await driver.start(sink);
    const [bad] = hidPosReports(']C1BAD');
    bad![1] = 60;
    scanner.send(bad!, ...hidPosReports(']C1GOOD'));
    await expect.poll(() => sink.texts()).toEqual([']C1GOOD']);
    expect(sink.rejects).toHaveLength(1);
    expect(sink.rejects[0]).toMatchObject({
      readerId: 'usb-1',
      code: 'bad-report',
      message: 'malformed input report: data length 60 exceeds the 56 bytes a report holds',
    });
    expect(sink.rejects[0]!.data.equals(Buffer.from(bad!))).toBe(true);
    expect(driver.status()).toMatchObject({ reads: 1, rejects: 1 });
  });

  it('drops and counts a code cut off by an unplug, waits without retrying, and resumes on replug', async () => {
    const first = new FakeUsbDevice(VID, PID, 'S1');
    const bus = new FakeUsbBus(first);
    const { driver, lines } = driverOn(bus, { serialNumber: 'S1', retry: { minMs: 50, maxMs: 100 } });
    const sink = new RecordingSink();
    const states: string[] = [];
    driver.on('state', (s: { state: string }) => states.push(s.state));
    await driver.start(sink);
    const [part1, part2] = hidPosReports(LONG, 20);
    first.send(...hidPosReports(']C1BEFORE'), part1!, part2!);
    await expect.poll(() => first.taken).toBe(3);
    bus.unplug(first);
    expect(driver.status()).toMatchObject({ state: 'disconnected', reads: 1, rejects: 1, reconnects: 0 });
    expect(driver.status().lastError).toBe(
      'device unplugged; waiting for USB device 0c2e:0b61 serial S1 to be plugged in',
    );
    expect(sink.rejects).toHaveLength(1);
    expect(sink.rejects[0]).toMatchObject({
      code: 'torn',
      message: 'a code spanning several reports was cut off: device unplugged',
    });
    expect(sink.rejects[0]!.data.toString('latin1')).toBe(LONG.slice(0, 43));
    expect(lines.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual([
      'reader unplugged; waiting for it',
    ]);
    // Absence of retries can only be seen over time: three times the longest retry delay.
    const listed = bus.lists;
    await new Promise((r) => setTimeout(r, 300));
    expect(bus.lists).toBe(listed);
    const again = new FakeUsbDevice(VID, PID, 'S1');
    again.send(...hidPosReports(']C1AFTER'));
    bus.plug(again);
    await expect.poll(() => sink.texts()).toEqual([']C1BEFORE', ']C1AFTER']);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 2, rejects: 1, reconnects: 1 });
    expect(driver.status().lastError).toBeUndefined();
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
    expect([first.isOpen, again.isOpen]).toEqual([false, true]);
  });

  it('logs a scanner on a loose cable once, not at every unplug and replug', async () => {
    const first = new FakeUsbDevice(VID, PID, 'S1');
    const bus = new FakeUsbBus(first);
    const { driver, lines } = driverOn(bus, { serialNumber: 'S1' });
    await driver.start(new RecordingSink());
    let device = first;
    for (let flap = 1; flap <= 4; flap++) {
      bus.unplug(device);
      device = new FakeUsbDevice(VID, PID, 'S1');
      bus.plug(device);
      await expect.poll(() => driver.status().reconnects).toBe(flap);
    }
    const shown = () => lines.filter((l) => l.level >= 30).map((l) => [l.msg, l.repeated]);
    expect(shown()).toEqual([
      ['reader connected', undefined],
      ['reader unplugged; waiting for it', undefined],
      ['reader reconnected', undefined],
    ]);
    // The count of what was held back is written when the reader stops.
    await driver.stop();
    expect(shown().slice(3)).toEqual([
      ['reader unplugged; waiting for it', 3],
      ['reader reconnected', 3],
    ]);
  });

  it('reopens a scanner that fails while plugged in, after a backoff delay', async () => {
    const scanner = new FakeUsbDevice(VID, PID);
    const { driver, lines } = driverOn(new FakeUsbBus(scanner));
    const sink = new RecordingSink();
    await driver.start(sink);
    scanner.send(...hidPosReports(']C1BEFORE'));
    await expect.poll(() => sink.texts()).toEqual([']C1BEFORE']);
    // Each state as it happens, with its error then: the reopen may follow within 25 ms.
    const changes: { state: string; lastError?: string }[] = [];
    driver.on('state', (s: ReaderStatus) => changes.push({ state: s.state, lastError: s.lastError }));
    scanner.fault('transferIn error: Stall');
    await expect
      .poll(() => changes.map((c) => c.state), { timeout: 5000 })
      .toEqual(['disconnected', 'connected']);
    expect(changes[0]?.lastError).toBe('device error: transferIn error: Stall');
    expect(driver.status().state).toBe('connected');
    expect([scanner.opens, driver.status().reconnects]).toEqual([2, 1]);
    expect(lines.find((l) => l.level === WARN)).toMatchObject({ msg: 'reader lost its device; retrying' });
    scanner.send(...hidPosReports(']C1AFTER'));
    await expect.poll(() => sink.texts()).toEqual([']C1BEFORE', ']C1AFTER']);
  });

  it('ignores a second scanner of the same model with another serial number', async () => {
    const other = new FakeUsbDevice(VID, PID, 'OTHER');
    const bus = new FakeUsbBus(other);
    const { driver } = driverOn(bus, { serialNumber: 'MINE' });
    const sink = new RecordingSink();
    await driver.start(sink);
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'no USB device 0c2e:0b61 serial MINE is plugged in; waiting for it',
    });
    other.send(...hidPosReports(']C1NOTMINE'));
    bus.plug(new FakeUsbDevice(VID, PID, 'OTHER-2'));
    expect(driver.status().state).toBe('disconnected');
    const mine = new FakeUsbDevice(VID, PID, 'MINE');
    bus.plug(mine);
    await expect.poll(() => driver.status().state).toBe('connected');
    mine.send(...hidPosReports(']C1MINE'));
    await expect.poll(() => sink.texts()).toEqual([']C1MINE']);
    expect(bus.present.map((d) => d.opens)).toEqual([0, 0, 1]);
    expect(other.queued()).toBe(1);
  });

  it('retries a present scanner that cannot be opened with backoff, quietly after the first warning', async () => {
    const scanner = new FakeUsbDevice(VID, PID);
    scanner.failOpens = 3;
    const { driver, lines } = driverOn(new FakeUsbBus(scanner));
    const sink = new RecordingSink();
    await driver.start(sink);
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'cannot open USB device 0c2e:0b61: LIBUSB_ERROR_ACCESS: permission denied',
    });
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    expect(scanner.opens).toBe(4);
    expect(scanner.closes).toBe(0);
    const failures = lines.filter((l) => l.level === WARN || l.level === DEBUG);
    expect(failures.map((l) => [l.level, l.msg, l.attempt])).toEqual([
      [WARN, 'reader unavailable; retrying', undefined],
      [DEBUG, 'reader unavailable; still retrying', 2],
      [DEBUG, 'reader unavailable; still retrying', 3],
    ]);
    const delays = failures.map((l) => l.retryInMs as number);
    // Each within the upper half of its step (50, 100, 200): the first over [minMs / 2, minMs].
    for (const [i, d] of delays.entries()) {
      expect(d).toBeGreaterThanOrEqual(25 * 2 ** i);
      expect(d).toBeLessThanOrEqual(50 * 2 ** i);
    }
    expect(lines.find((l) => l.msg === 'reader connected')).toMatchObject({ failedAttempts: 3 });
    scanner.send(...hidPosReports(']C1OPENED'));
    await expect.poll(() => sink.texts()).toEqual([']C1OPENED']);
  });

  it('stays disconnected without USB support and retries until the bus answers', async () => {
    const scanner = new FakeUsbDevice(VID, PID);
    const bus = new FakeUsbBus(scanner);
    bus.failLists = 2;
    const { driver } = driverOn(bus);
    await driver.start(new RecordingSink());
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'USB unavailable: /sys/bus/usb/devices/ not found',
    });
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    expect([bus.lists, bus.watchers(), scanner.opens]).toEqual([3, 1, 1]);
  });

  it('stops while waiting for a scanner: no watch, no timer, a later plug opens nothing', async () => {
    const bus = new FakeUsbBus();
    const { driver } = driverOn(bus);
    await driver.start(new RecordingSink());
    expect(driver.status().state).toBe('disconnected');
    expect(bus.watchers()).toBe(1);
    await driver.stop();
    expect(driver.status().state).toBe('stopped');
    expect(bus.watchers()).toBe(0);
    const late = new FakeUsbDevice(VID, PID);
    bus.plug(late);
    expect(late.opens).toBe(0);
  });

  it('stops while retrying a failing open: the scanner is not opened again', async () => {
    const scanner = new FakeUsbDevice(VID, PID);
    scanner.failOpens = 1;
    const { driver } = driverOn(new FakeUsbBus(scanner), { retry: { minMs: 50, maxMs: 50 } });
    await driver.start(new RecordingSink());
    expect(scanner.opens).toBe(1);
    await driver.stop();
    // A retry would have come within its 50 ms: wait three times that.
    await new Promise((r) => setTimeout(r, 150));
    expect([scanner.opens, scanner.isOpen, driver.status().state]).toEqual([1, false, 'stopped']);
  });

  it('counts a code torn by stop() as discarded and closes the scanner', async () => {
    const scanner = new FakeUsbDevice(VID, PID);
    const { driver } = driverOn(new FakeUsbBus(scanner));
    const sink = new RecordingSink(5);
    await driver.start(sink);
    scanner.send(...hidPosReports(']C1ONE'), hidPosReports(LONG, 20)[0]!);
    await expect.poll(() => scanner.taken).toBe(2);
    await driver.stop();
    expect(sink.texts()).toEqual([']C1ONE']);
    expect(driver.status()).toMatchObject({ state: 'stopped', reads: 1, rejects: 0, discardedOnStop: 1 });
    expect([scanner.isOpen, scanner.closes]).toEqual([false, 1]);
  });
});

driverContract('usb-hid over a fake USB bus', async () => {
  const scanner = new FakeUsbDevice(VID, PID, 'C1');
  const bus = new FakeUsbBus(scanner);
  const driver = new UsbHidDriver(usbConfig(), { log: silentLogger(), usb: bus });
  return {
    driver,
    async feed(lines) {
      // Every third code in reports of 12 data bytes: it spans several reports.
      for (const [i, line] of lines.entries()) scanner.send(...hidPosReports(line, i % 3 === 0 ? 12 : 56));
    },
    async teardown() {},
  };
});
