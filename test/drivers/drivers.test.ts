/** Every driver passes the driver contract; the registry builds the right one. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
import { createDriver } from '../../drivers/registry.js';
import { SerialLineDriver } from '../../drivers/serial-line.js';
import { SimulatorDriver } from '../../drivers/simulator.js';
import { openPty } from '../support/pty.js';
import { driverContract, RecordingSink, serialConfig } from './driver.contract.js';
import { mockPort, simulatorConfig } from './fixtures.js';

const framed = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\r`).join(''), 'latin1');

driverContract('serial-line over a socat PTY', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rp-drv-'));
  const pty = await openPty(dir);
  const driver = new SerialLineDriver(serialConfig(pty.readerPath), { log: silentLogger() });
  return {
    driver,
    feed: (lines) => pty.write(framed(lines)),
    async teardown() {
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

driverContract('serial-line over @serialport/binding-mock', async () => {
  const mock = mockPort();
  const driver = new SerialLineDriver(serialConfig(mock.path), {
    log: silentLogger(),
    binding: mock.binding,
  });
  return {
    driver,
    async feed(lines) {
      mock.opened().emitData(framed(lines));
    },
    async teardown() {},
  };
});

driverContract('simulator', async (reads) => {
  const driver = new SimulatorDriver(simulatorConfig({ limit: reads }), { log: silentLogger() });
  return {
    driver,
    // The conveyor runs from start(): nothing to feed.
    async feed() {},
    async expected(count) {
      // The same seed gives the same conveyor: a second simulator shows what the first sends.
      const reference = new SimulatorDriver(simulatorConfig({ limit: count }), { log: silentLogger() });
      const sink = new RecordingSink();
      await reference.start(sink);
      await expect.poll(() => sink.reads.length, { timeout: 10_000 }).toBe(count);
      await reference.stop();
      return sink.texts();
    },
    async teardown() {},
  };
});

describe('createDriver', () => {
  it('builds the driver the config names, with its id', async () => {
    const serial = createDriver(serialConfig('/dev/null-reader'), { log: silentLogger() });
    const sim = createDriver(simulatorConfig(), { log: silentLogger() });
    expect(serial).toBeInstanceOf(SerialLineDriver);
    expect(sim).toBeInstanceOf(SimulatorDriver);
    expect([serial.id, serial.status().driver, serial.status().state]).toEqual([
      'scanner-1',
      'serial-line',
      'idle',
    ]);
    expect([sim.id, sim.status().driver, sim.status().state]).toEqual(['sim-1', 'simulator', 'idle']);
    await Promise.all([serial.stop(), sim.stop()]);
  });
});
