/**
 * An R2000-based UHF module (the 0xA0 serial protocol of many low-cost fixed readers): the driver
 * (drivers/r2000/driver.ts) runs real-time inventory rounds across the configured antennas.
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { ReaderBase, SerialDevice, Strict, type WithReaderDefaults } from '../reader-base.js';

export const R2000Reader = Strict(
  {
    ...ReaderBase,
    driver: T.Literal('r2000', { description: 'An R2000-based UHF module (0xA0 serial protocol).' }),
    ...SerialDevice,
    baudRate: T.Integer({
      minimum: 9600,
      maximum: 921600,
      default: 115200,
      description: 'As set on the module (115200 from the factory; some ship at 38400).',
    }),
    address: T.Integer({
      minimum: 0,
      maximum: 255,
      default: 255,
      description:
        'Module address, as a number: 255 (0xFF) is broadcast and suits a module alone on its port; ' +
        '0-254 picks one module on a shared RS-485 line.',
    }),
    antennas: T.Array(T.Integer({ minimum: 1, maximum: 8 }), {
      minItems: 1,
      maxItems: 64,
      default: [1],
      description:
        'Antenna ports (1-based, as printed on the reader) inventoried in this order, one round each, ' +
        'then from the start again. List a port twice to give it more air time.',
    }),
    repeat: T.Integer({
      minimum: 1,
      maximum: 255,
      default: 1,
      description:
        'Inventory repeat count per round (the data byte of command 0x89): higher finds more tags in a ' +
        'crowded field, at the cost of a longer round before the next antenna.',
    }),
    outputPowerDbm: T.Optional(
      T.Integer({
        minimum: 0,
        maximum: 33,
        description:
          'RF output power for every antenna, dBm, sent once on connect (command 0x76, not saved to the ' +
          "module's flash). Leave out to keep the module's own setting.",
      }),
    ),
    roundTimeoutMs: T.Integer({
      minimum: 100,
      maximum: 60000,
      default: 3000,
      description:
        'Longest wait for a reply (a round to end, a command to be answered); a module silent for longer ' +
        'is treated as lost: the port is closed and reopened with the retry backoff.',
    }),
  },
  'An R2000-based UHF RFID module (0xA0 serial protocol) on a serial port.',
);

export type R2000Config = WithReaderDefaults<Static<typeof R2000Reader>>;
