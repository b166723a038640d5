/**
 * A ThingMagic / JADAK Mercury module (M6e, M6e Nano, M7e) on a serial port: the driver
 * (drivers/thingmagic/driver.ts) configures it on every connect and keeps it reading continuously.
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { ReaderBase, SerialDevice, Strict, type WithReaderDefaults } from '../reader-base.js';

/**
 * The module's region codes (command 0x97), as the Mercury API numbers them (tmr_region.h). A
 * module knows only some: an M6e Nano lists NA2, IN, JP, PRC, EU3, KR2, AU, NZ and OPEN, and
 * answers 0x010B (invalid region) to the others.
 */
export const THINGMAGIC_REGIONS = {
  NA: 0x01,
  EU: 0x02,
  KR: 0x03,
  IN: 0x04,
  JP: 0x05,
  PRC: 0x06,
  EU2: 0x07,
  EU3: 0x08,
  KR2: 0x09,
  PRC2: 0x0a,
  AU: 0x0b,
  NZ: 0x0c,
  NA2: 0x0d,
  NA3: 0x0e,
  IS: 0x0f,
  MY: 0x10,
  ID: 0x11,
  PH: 0x12,
  TW: 0x13,
  MO: 0x14,
  RU: 0x15,
  SG: 0x16,
  JP2: 0x17,
  JP3: 0x18,
  VN: 0x19,
  TH: 0x1a,
  AR: 0x1b,
  HK: 0x1c,
  BD: 0x1d,
  EU4: 0x1e,
  IS2: 0x20,
  NA4: 0x21,
  OPEN: 0xff,
} as const;

export type ThingMagicRegion = keyof typeof THINGMAGIC_REGIONS;

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
