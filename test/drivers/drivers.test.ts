/** Every driver passes the driver contract. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import type { SimulatorConfig } from '../../config/schema.js';
import { silentLogger } from '../../daemon/log.js';
import { SerialLineDriver } from '../../drivers/serial-line.js';
import { SimulatorDriver } from '../../drivers/simulator.js';
import { openPty } from '../support/pty.js';
import { driverContract, RecordingSink, serialConfig } from './driver.contract.js';

const lines = (count: number) =>
  Array.from({ length: count }, (_, i) => `]d2010950600013435221SN${i}\x1d10LOT${i % 3}`);

driverContract('serial-line over a socat PTY', async (count) => {
  const dir = mkdtempSync(join(tmpdir(), 'rp-drv-'));
  const pty = await openPty(dir);
  const driver = new SerialLineDriver(serialConfig(pty.readerPath), { log: silentLogger() });
  return {
    driver,
    async feed() {
      const expected = lines(count);
      await pty.write(expected.map((l) => `${l}\r`).join(''));
      return expected;
    },
    async teardown() {
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// serialport's SerialPortMock runs on @serialport/binding-mock.
const MockBinding = SerialPortMock.binding;

driverContract('serial-line over @serialport/binding-mock', async (count) => {
  const path = `/dev/ttyMOCK${Math.floor(Math.random() * 1e6)}`;
  MockBinding.createPort(path, { echo: false, record: false });
  const driver = new SerialLineDriver(serialConfig(path), { log: silentLogger(), binding: MockBinding });
  return {
    driver,
    async feed() {
      const expected = lines(count);
      const port = (driver as unknown as { port: { port: { emitData(d: Buffer): void } } }).port;
      port.port.emitData(Buffer.from(expected.map((l) => `${l}\r`).join(''), 'latin1'));
      return expected;
    },
    async teardown() {
      MockBinding.reset();
    },
  };
});

const simulatorConfig = (limit: number): SimulatorConfig => ({
  id: 'sim-1',
  driver: 'simulator',
  readPoint: 'rp',
  readsPerSecond: 2000,
  units: 1000,
  repeats: 1,
  epcShare: 0,
  garbageShare: 0,
  limit,
  seed: 7,
  format: { data: 'aim', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
});

driverContract('simulator', async (count) => {
  const driver = new SimulatorDriver(simulatorConfig(count), { log: silentLogger() });
  return {
    driver,
    async feed() {
      // The same seed gives the same conveyor: a second simulator shows what the first will send.
      const reference = new SimulatorDriver(simulatorConfig(count), { log: silentLogger() });
      const sink = new RecordingSink();
      await reference.start(sink);
      while (sink.reads.length < count) await new Promise((r) => setTimeout(r, 5));
      await reference.stop();
      return sink.texts();
    },
    async teardown() {},
  };
});
