/** serial-line over MockBinding: port options, a busy or absent device, quiet retries, stop races. */
import { pino } from 'pino';
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { SerialLineConfig } from '../../config/schema.js';
import { SerialLineDriver } from '../../drivers/serial-line.js';
import { RecordingSink, serialConfig } from './driver.contract.js';
import { type MockPort, mockPort } from './fixtures.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const drivers: SerialLineDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

function driverFor(mock: MockPort, extra: Partial<SerialLineConfig> = {}) {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const driver = new SerialLineDriver(serialConfig(mock.path, extra), { log, binding: mock.binding });
  drivers.push(driver);
  return { driver, lines };
}

const WARN = 40;
const DEBUG = 20;
const INFO = 30;

describe('serial-line over MockBinding', () => {
  it('opens the port with the configured line settings and the exclusive lock', async () => {
    const mock = mockPort();
    const { driver } = driverFor(mock, { baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 2 });
    await driver.start(new RecordingSink());
    expect(driver.status().state).toBe('connected');
    expect(mock.opened().openOptions).toMatchObject({
      path: mock.path,
      baudRate: 9600,
      dataBits: 7,
      parity: 'even',
      stopBits: 2,
      lock: true,
    });
  });

  it('waits for a port another process holds, then reads from it', async () => {
    const mock = mockPort();
    const other = new SerialPortMock({ path: mock.path, baudRate: 9600 });
    await new Promise((resolve) => other.once('open', resolve));
    const { driver } = driverFor(mock);
    const sink = new RecordingSink();
    await driver.start(sink);
    expect(driver.status()).toMatchObject({ state: 'disconnected' });
    expect(driver.status().lastError).toMatch(/locked/);
    await new Promise((resolve) => other.close(resolve));
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    mock.opened().emitData(']C1LATE\r');
    await expect.poll(() => sink.texts()).toEqual([']C1LATE']);
  });

  it('logs an absent device once at warn, then each retry at debug, and the connect at info', async () => {
    const mock = mockPort(false);
    const { driver, lines } = driverFor(mock, { retry: { minMs: 50, maxMs: 100 } });
    await driver.start(new RecordingSink());
    const failures = () => lines.filter((l) => l.level === WARN || l.level === DEBUG);
    await expect.poll(() => failures().length, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    mock.create();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    const [first, ...later] = failures();
    expect(first).toMatchObject({ level: WARN, msg: 'reader unavailable; retrying' });
    expect(first!.reason).toMatch(/^cannot open \/dev\/ttyMOCK/);
    expect(later.map((l) => l.level)).toEqual(later.map(() => DEBUG));
    expect(later.map((l) => l.attempt)).toEqual(later.map((_, i) => i + 2));
    // The first retry over [minMs / 2, minMs], the later ones within [minMs, maxMs].
    expect(first!.retryInMs).toBeGreaterThanOrEqual(25);
    for (const l of failures()) expect(l.retryInMs).toBeLessThanOrEqual(100);
    for (const l of failures().slice(1)) expect(l.retryInMs).toBeGreaterThanOrEqual(50);
    const connected = lines.filter((l) => l.level === INFO);
    expect(connected).toHaveLength(1);
    expect(connected[0]).toMatchObject({ msg: 'reader connected', failedAttempts: failures().length });
  });

  it('backs off quietly from a device that drops the line right after each open', async () => {
    const mock = mockPort();
    const binding: typeof mock.binding = {
      ...mock.binding,
      async open(options) {
        const port = await mock.binding.open(options);
        port.read = () => Promise.reject(new Error('EIO: adapter reset'));
        return port;
      },
    };
    const lines: LogLine[] = [];
    const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const config = serialConfig(mock.path, { retry: { minMs: 50, maxMs: 1000 } });
    const driver = new SerialLineDriver(config, { log, binding });
    drivers.push(driver);
    await driver.start(new RecordingSink());
    await expect.poll(() => driver.status().reconnects, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await driver.stop();
    const losses = lines.filter((l) => l.level === WARN || l.level === DEBUG);
    expect(losses[0]).toMatchObject({ level: WARN, msg: 'reader lost its device; retrying' });
    expect(losses[0]!.reason).toMatch(/EIO: adapter reset/);
    // The delay keeps growing across the flaps instead of starting again at minMs.
    expect(losses.slice(1).map((l) => [l.level, l.attempt])).toEqual(
      losses.slice(1).map((_, i) => [DEBUG, i + 2]),
    );
    expect(losses.map((l) => l.retryInMs as number).at(-1)).toBeGreaterThanOrEqual(200);
  });

  it('counts a read torn by stop() as discarded and hands over the rest first', async () => {
    const mock = mockPort();
    const { driver } = driverFor(mock);
    const sink = new RecordingSink(5);
    await driver.start(sink);
    mock.opened().emitData(']C1ONE\r]C1TWO\r]C1HA');
    await expect.poll(() => sink.calls.length).toBe(2);
    await driver.stop();
    expect(sink.texts()).toEqual([']C1ONE', ']C1TWO']);
    expect(driver.status()).toMatchObject({ state: 'stopped', reads: 2, discardedOnStop: 1 });
    expect(mock.opened().isOpen).toBe(false);
  });

  it('holds no port after a stop() that races the open', async () => {
    const mock = mockPort();
    const { driver } = driverFor(mock);
    await Promise.all([driver.start(new RecordingSink()), driver.stop()]);
    expect(driver.status().state).toBe('stopped');
    expect(mock.opens()).toBeLessThanOrEqual(1);
    if (mock.opens() === 1) expect(mock.opened().isOpen).toBe(false);
  });

  it('rejects an overlong read with its first maxReadLength bytes', async () => {
    const mock = mockPort();
    const { driver } = driverFor(mock, { maxReadLength: 16 });
    const sink = new RecordingSink();
    const before = Date.now();
    await driver.start(sink);
    mock.opened().emitData(`${'X'.repeat(40)}\r]C1OK\r`);
    await expect.poll(() => sink.texts()).toEqual([']C1OK']);
    expect(sink.rejects).toHaveLength(1);
    expect(sink.rejects[0]).toMatchObject({ readerId: 'scanner-1', code: 'overlong' });
    expect(sink.rejects[0]!.data.toString()).toBe('X'.repeat(16));
    expect(sink.rejects[0]!.at).toBeGreaterThanOrEqual(before);
    expect(driver.status()).toMatchObject({ reads: 1, rejects: 1 });
  });

  it('a stopped driver is idle in the log: no retry after stop()', async () => {
    const mock = mockPort(false);
    const { driver, lines } = driverFor(mock, { retry: { minMs: 50, maxMs: 50 } });
    await driver.start(new RecordingSink());
    await driver.stop();
    const logged = lines.length;
    mock.create();
    // A retry would have opened the port within its 50 ms: wait three times that.
    await new Promise((r) => setTimeout(r, 150));
    expect(mock.opens()).toBe(0);
    expect(lines).toHaveLength(logged);
    expect(driver.status().state).toBe('stopped');
  });
});
