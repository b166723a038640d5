/** Test fixtures for the drivers: a mock serial port the test can reach, a simulator's config. */
import { SerialPortMock } from 'serialport';
import type { SimulatorConfig } from '../../config/schema.js';

// @serialport/binding-mock's own types do not resolve under NodeNext: take them from serialport.
type MockBindingInterface = typeof SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<MockBindingInterface['open']>>;

export interface MockPort {
  readonly path: string;
  /** MockBinding, recording the ports it opens. */
  readonly binding: MockBindingInterface;
  /** The port as the driver last opened it (emitData() makes the device send bytes). */
  opened(): MockPortBinding;
  /** How many times the driver opened it. */
  opens(): number;
}

let serial = 0;

/** A fresh mock device (the mock's ports are process-wide, so each gets its own path). */
export function mockPort(create = true): MockPort & { create(): void } {
  const mock = SerialPortMock.binding;
  const path = `/dev/ttyMOCK-${process.pid}-${++serial}`;
  const ports: MockPortBinding[] = [];
  const binding: MockBindingInterface = {
    ...mock,
    async open(options) {
      const port = await mock.open(options);
      ports.push(port);
      return port;
    },
  };
  const device = {
    path,
    binding,
    opened() {
      const port = ports.at(-1);
      if (!port) throw new Error(`${path} was never opened`);
      return port;
    },
    opens: () => ports.length,
    create: () => mock.createPort(path, { echo: false, record: true }),
  };
  if (create) device.create();
  return device;
}

/** A simulator's config with every default filled: barcodes only, no noise, fast. */
export const simulatorConfig = (extra: Partial<SimulatorConfig> = {}): SimulatorConfig => ({
  id: 'sim-1',
  driver: 'simulator',
  readPoint: 'rp',
  readsPerSecond: 2000,
  units: 1000,
  repeats: 1,
  epcShare: 0,
  garbageShare: 0,
  seed: 7,
  door: false,
  format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
  ...extra,
});
