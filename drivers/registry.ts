/** Builds a reader's driver from its config: the one place that knows every driver. */
import type { ReaderConfig } from '../config/schema.js';
import type { ReaderPort } from '../daemon/broker/reader-access.js';
import type { Logger } from '../daemon/log.js';
import type { Driver } from './driver.js';
import { MqttReaderDriver } from './mqtt-reader/driver.js';
import { R2000Driver } from './r2000/driver.js';
import { SerialLineDriver } from './serial-line.js';
import { SimulatorDriver } from './simulator.js';
import { ThingMagicDriver } from './thingmagic/driver.js';
import { UsbHidDriver } from './usb-hid/driver.js';
import type { UsbBus } from './usb-hid/usb-bus.js';
import type { SysRoots } from './usb-serial-path.js';

export interface DriverContext {
  /** The reader's child logger ({component, reader}). */
  readonly log: Logger;
  /** A serialport binding to use instead of the real one (tests: MockBinding). */
  readonly binding?: unknown;
  /** The embedded broker, where network readers publish their reads (impinj-r700, zebra-fx). */
  readonly broker?: ReaderPort;
  /** A USB bus to use instead of the real one (tests: a fake bus). */
  readonly usb?: UsbBus;
  /** Where /dev and /sys are, to find USB-serial adapters by their ids (tests: a fake tree). */
  readonly sysRoots?: SysRoots;
}

export function createDriver(config: ReaderConfig, ctx: DriverContext): Driver {
  switch (config.driver) {
    case 'serial-line':
      return new SerialLineDriver(config, ctx);
    case 'simulator':
      return new SimulatorDriver(config, ctx);
    case 'r2000':
      return new R2000Driver(config, ctx);
    case 'thingmagic':
      return new ThingMagicDriver(config, ctx);
    case 'usb-hid':
      return new UsbHidDriver(config, ctx);
    case 'impinj-r700':
    case 'zebra-fx':
      return new MqttReaderDriver(config, ctx);
  }
}
