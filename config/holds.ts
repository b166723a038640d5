/**
 * The settings of holds and recalls: the `holds` section (without it the feature is off) and a
 * read point's `holdSignal`, the local signal a held unit gives at the dock.
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { Pattern, Strict } from './reader-base.js';

export const HoldsSection = Strict(
  {
    upstream: T.Boolean({
      default: true,
      description:
        'Take the hold lists upstream publishes (retained) on <prefix>/<site>/holds (site-wide) and ' +
        '<prefix>/<site>/<gateway>/holds (this gateway).',
    }),
    maxUpdateBytes: T.Integer({
      minimum: 1024,
      maximum: 67108864,
      default: 8388608,
      description:
        'Largest upstream hold update taken, bytes; a larger one is dropped unread and counted. A bigger ' +
        'list goes in increments or through readpoint holds import.',
    }),
    maxEntries: T.Integer({
      minimum: 1,
      maximum: 5000000,
      default: 1000000,
      description: 'Most entries one update or import may carry.',
    }),
    indexMb: T.Optional(
      T.Integer({
        minimum: 1,
        maximum: 16384,
        description:
          'Memory the hold index (all three lists, in memory for the read path) may take, MiB; an update, ' +
          'import or add that would take it over is refused whole and changes nothing. A table of 16-byte ' +
          'slots, doubled when three quarters full (a full list is put in one at most half full): an entry ' +
          'of a unit, lot, GTIN or EPC pattern takes one slot, a serial range one to four and 16 bytes for ' +
          'its bounds. Default: from memory.budgetMb, three eighths of it (128 MiB: 48, a table of 32 MiB: ' +
          'a full list of 1,048,576 one-slot entries, up to 1,572,864 in all through increments).',
      }),
    ),
    alertIntervalS: T.Integer({
      minimum: 0,
      maximum: 86400,
      default: 60,
      description:
        'At most one alert (and one local signal) per unit and hold per this many seconds; the sightings ' +
        'in between are counted in the next alert. 0: every event of a held unit alerts.',
    }),
  },
  'Holds and recalls: units, lots, serial ranges or EPC patterns that must not move. An event of a held ' +
    'unit still flows; it also makes an alert on <prefix>/<site>/<gateway>/alerts/<readPoint> and, where a ' +
    'read point has a holdSignal, a local signal. Without this section holds are off.',
);

export const HoldSignal = Strict(
  {
    path: T.Optional(
      T.String({
        minLength: 1,
        description:
          'Serial device to write `bytes` to (a USB relay, a stack light), e.g. /dev/serial/by-id/...',
      }),
    ),
    baudRate: T.Integer({
      minimum: 50,
      maximum: 4000000,
      default: 9600,
      description: 'As set on the device.',
    }),
    bytes: T.Optional(
      T.String({
        ...Pattern('^([0-9A-Fa-f]{2})+$', 'not hex bytes: write them as pairs of hex digits, e.g. A00101A2'),
        maxLength: 512,
        description: 'The bytes written to `path`, as hex, e.g. A00101A2 (relay 1 on).',
      }),
    ),
    offBytes: T.Optional(
      T.String({
        ...Pattern('^([0-9A-Fa-f]{2})+$', 'not hex bytes: write them as pairs of hex digits, e.g. A00100A1'),
        maxLength: 512,
        description: 'Written to `path` offAfterMs after `bytes` (relay off); none when absent.',
      }),
    ),
    offAfterMs: T.Integer({
      minimum: 0,
      maximum: 600000,
      default: 3000,
      description: 'When to write offBytes.',
    }),
    command: T.Optional(
      T.Array(T.String({ minLength: 1, maxLength: 4096 }), {
        minItems: 1,
        maxItems: 64,
        description:
          'A program and its arguments, run without a shell (in place of, or beside, the serial write). It ' +
          'gets READPOINT_READ_POINT and READPOINT_UNIT in its environment.',
      }),
    ),
    timeoutMs: T.Integer({
      minimum: 100,
      maximum: 60000,
      default: 2000,
      description:
        'A signal not done by then (a device that does not open, a command still running) has failed; the command is killed.',
    }),
  },
  'A local signal when a held unit is seen here, so the dock knows while the central system is down: ' +
    'bytes written to a serial device, a command, or both.',
);

export type HoldsConfig = Static<typeof HoldsSection>;
export type HoldSignalConfig = Static<typeof HoldSignal>;
