/**
 * A ThingMagic / JADAK Mercury module (M6e, M6e Nano, M7e) on a serial port: the driver
 * (drivers/thingmagic/driver.ts) configures it on every connect and keeps it reading continuously.
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { ReaderBase, SerialDevice, Strict, type WithReaderDefaults } from '../reader-base.js';
import { THINGMAGIC_REGIONS, type ThingMagicRegion } from './thingmagic-regions.js';

const regionNames = Object.keys(THINGMAGIC_REGIONS) as ThingMagicRegion[];

export const ThingMagicReader = Strict(
  {
    ...ReaderBase,
    driver: T.Literal('thingmagic'),
    ...SerialDevice,
    baudRate: T.Union(
      [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600].map((rate) => T.Literal(rate)),
      {
        default: 115200,
        description: 'As set on the module (115200 from the factory); the driver does not change it.',
      },
    ),
    region: T.Union(
      regionNames.map((name) => T.Literal(name)),
      {
        description:
          'Regulatory region the module hops in; the law of the site decides, so there is no default. ' +
          'A module knows only some (an M6e Nano: NA2, IN, JP, PRC, EU3, KR2, AU, NZ, OPEN) and refuses ' +
          'the others at start-up. OPEN is for a shielded lab only.',
      },
    ),
    antennas: T.Array(T.Integer({ minimum: 1, maximum: 15 }), {
      minItems: 1,
      maxItems: 15,
      uniqueItems: true,
      default: [1],
      description:
        'Antenna ports (1-based, as printed on the module) read in turn: each port transmits and receives.',
    }),
    readPowerCdBm: T.Integer({
      minimum: 0,
      maximum: 3150,
      default: 2000,
      description:
        'Read power in centi-dBm (2000 = 20.00 dBm), sent on every connect and not saved in the module. ' +
        'An M6e Nano tops out at 2700, an M6e at 3150; the module refuses a value it cannot do.',
    }),
    commandTimeoutMs: T.Integer({
      minimum: 50,
      maximum: 10000,
      default: 1000,
      description:
        'Longest wait for the answer to a start-up command; a module that does not answer in time is ' +
        'treated as absent: the port is closed and reopened with the retry backoff.',
    }),
    silenceTimeoutMs: T.Integer({
      minimum: 100,
      maximum: 60000,
      default: 5000,
      description:
        'A reading module sends a tag or a keep-alive at least once a second; silent for this long, it ' +
        'is treated as lost and the port is closed and reopened.',
    }),
  },
  'A ThingMagic / JADAK Mercury UHF RFID module (M6e, M6e Nano, M7e) on a serial port.',
);

export type ThingMagicConfig = WithReaderDefaults<Static<typeof ThingMagicReader>>;
