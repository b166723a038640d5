/** Builds a reader's driver from its config: the one place that knows every driver. */
import type { ReaderConfig } from '../config/schema.js';
import type { Logger } from '../daemon/log.js';
import type { Driver } from './driver.js';
import { SerialLineDriver } from './serial-line.js';
import { SimulatorDriver } from './simulator.js';

export interface DriverContext {
  /** The reader's child logger ({component, reader}). */
  readonly log: Logger;
  /** A serialport binding to use instead of the real one (tests: MockBinding). */
  readonly binding?: unknown;
}

export function createDriver(config: ReaderConfig, ctx: DriverContext): Driver {
  switch (config.driver) {
    case 'serial-line':
      return new SerialLineDriver(config, ctx);
    case 'simulator':
      return new SimulatorDriver(config, ctx);
  }
}
