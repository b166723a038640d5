/**
 * What every reader's config shares, and the helpers that build the schema: each driver's own
 * schema (config/schema.ts, config/readers/*.ts) spreads `ReaderBase` into a `Strict` object with
 * its `driver` literal, and config/schema.ts joins them in the `Reader` union.
 */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox';
import { URI_FORM } from './uri-form.js';

/**
 * Every `pattern` in the schema comes with `patternErrorMessage`: the form in words, which the
 * loader's messages and editors (YAML language server) show instead of the regular expression.
 */
export const Pattern = (pattern: string, patternErrorMessage: string) => ({ pattern, patternErrorMessage });

/** A topic segment or id: letters, digits, `.`, `_`, `-`; nothing that can reshape an MQTT topic. */
export const Segment = (description: string) =>
  T.String({
    ...Pattern(
      '^[A-Za-z0-9._-]{1,64}$',
      'not a valid id: use 1-64 letters, digits, ".", "_" or "-" (it becomes an MQTT topic segment)',
    ),
    description,
  });

export const Uri = (description: string) =>
  T.String({ ...Pattern('^[A-Za-z][A-Za-z0-9+.-]*:[^\\s]+$', `not a URI: ${URI_FORM}`), description });

/** An MQTT topic without wildcards: up to 8 levels of id characters. */
export const Topic = (description: string, fallback?: string) =>
  T.String({
    ...(fallback === undefined ? {} : { default: fallback }),
    ...Pattern(
      '^[A-Za-z0-9._-]{1,64}(/[A-Za-z0-9._-]{1,64}){0,7}$',
      'not a topic: use 1-8 levels of 1-64 letters, digits, ".", "_" or "-" joined by "/" ' +
        '(no wildcards, no leading or trailing "/")',
    ),
    description,
  });

/** An object with no unknown keys (typos are a technician's most common mistake). */
export const Strict = <P extends Record<string, TSchema>>(
  properties: P,
  description: string,
  fill?: object,
) => T.Object(properties, { additionalProperties: false, description, ...(fill ? { default: fill } : {}) });

/**
 * A login's password, given inline or in a file (set one of the two; a login's own check says
 * so); `readAt` says when the file is read.
 */
export const PasswordFields = (readAt: string) => ({
  password: T.Optional(
    T.String({
      minLength: 1,
      description: 'Use ${ENV_VAR} to keep it out of the file. Set this or passwordFile.',
    }),
  ),
  passwordFile: T.Optional(
    T.String({
      minLength: 1,
      description: `A file holding its password (one trailing line break is ignored), read ${readAt}. Set this or password.`,
    }),
  ),
});

export const Retry = Strict(
  {
    minMs: T.Integer({
      minimum: 50,
      default: 500,
      description:
        'First retry delay after a disconnect, jittered over minMs/2 to minMs so a fleet does not retry in step.',
    }),
    maxMs: T.Integer({ minimum: 100, default: 30000, description: 'Longest retry delay.' }),
  },
  'Reconnect backoff: grows from minMs up to maxMs, with random jitter, until the device or broker is back.',
  {},
);

export const PlainSerial = Strict(
  {
    pattern: T.String({
      minLength: 1,
      description: 'Regular expression over the whole read (anchored); named groups feed the URI template.',
    }),
    uri: T.String({
      minLength: 3,
      description: 'URI template, e.g. "urn:example:serial:{serial}"; {name} is a named group, URI-escaped.',
    }),
  },
  'Turns a non-GS1 serial number into a unit URI.',
);

export const Format = Strict(
  {
    data: T.Union(
      [T.Literal('aim'), T.Literal('gs1'), T.Literal('digital-link'), T.Literal('epc'), T.Literal('text')],
      {
        default: 'aim',
        description:
          'What a read is. aim: the scanner sends AIM symbology identifiers (]C1 ]d2 ]Q3 ]e0 ]E0 ...), the ' +
          'safe choice. Without AIM ids: gs1: a GS1 element string; digital-link: a GS1 Digital Link URI; ' +
          'epc: EPC hex; text: opaque text for plainSerial (a Digital Link URI is still recognised).',
      },
    ),
    stripLeadingGs: T.Boolean({
      default: false,
      description:
        'Drop one GS (0x1D) at the start of GS1 data, for scanners that send the leading FNC1 as GS.',
    }),
    nonGs1Epc: T.Union([T.Literal('reject'), T.Literal('event')], {
      default: 'reject',
      description:
        'Tags whose EPC is not a GS1 EPC (factory E2... codes): reject them, or publish events naming them ' +
        'by their raw URI urn:epc:raw:<bits>.x<HEX>.',
    }),
    plainSerial: T.Array(PlainSerial, {
      default: [],
      description: 'Patterns tried in order on reads that are not GS1 data.',
    }),
  },
  "How this reader's data is decoded into a unit identity.",
  {},
);

/** Where an antenna looks: its read point, its zone at a two-zone dock door, its RSSI floor. */
export const AntennaPort = Strict(
  {
    antenna: T.Integer({ minimum: 1, maximum: 64, description: 'Antenna port, 1-based.' }),
    readPoint: T.Optional(
      Segment("The read point this antenna's reads belong to; default: the reader's readPoint."),
    ),
    zone: T.Optional(
      T.Union([T.Literal('inside'), T.Literal('outside')], {
        description:
          'At a dock door whose read point has a direction: whether this antenna looks at the warehouse ' +
          'side (inside) or the yard / truck side (outside).',
      }),
    ),
    rssiFloorDbm: T.Optional(
      T.Number({
        minimum: -128,
        maximum: 0,
        description: "Reads weaker than this (dBm) are ignored (counted); overrides the reader's floor.",
      }),
    ),
  },
  'One antenna port of an RFID reader.',
);

/** A USB-serial adapter by its USB ids: found wherever and whenever it is plugged in. */
export const UsbSerialDevice = Strict(
  {
    vendorId: T.Integer({ minimum: 0, maximum: 0xffff, description: 'USB vendor id, e.g. 0x0403 (FTDI).' }),
    productId: T.Integer({ minimum: 0, maximum: 0xffff, description: 'USB product id, e.g. 0x6001.' }),
    serialNumber: T.Optional(
      T.String({
        minLength: 1,
        maxLength: 128,
        description: "The adapter's USB serial number, to tell identical adapters apart.",
      }),
    ),
  },
  "The reader's USB-serial adapter by its USB ids (lsusb shows them): the daemon finds its /dev/tty node " +
    'when it is plugged in, whichever port and order, and looks again after every disconnect.',
);

/** Where a serial reader is: a device path, or a USB-serial adapter's ids (set one of the two). */
export const SerialDevice = {
  path: T.Optional(
    T.String({
      minLength: 1,
      description:
        'Device path; prefer the stable /dev/serial/by-id/... link over /dev/ttyUSB0. Or set usb instead.',
    }),
  ),
  usb: T.Optional(UsbSerialDevice),
};

/** The reader's recent raw reads, kept for `readpoint record --ring`. */
export const ReaderCapture = Strict(
  {
    ringMinutes: T.Integer({
      minimum: 1,
      maximum: 60,
      description:
        "Keep this reader's raw reads of the last this many minutes in memory, before decoding, for " +
        '`readpoint record --ring` to write to a capture file (what the reader saw before a problem was noticed).',
    }),
    ringMaxMb: T.Integer({
      minimum: 1,
      maximum: 256,
      default: 16,
      description:
        "The ring's memory, MiB, taken as it fills: a read takes 36 bytes and its own (48 for an SGTIN-96 tag, " +
        'about 350,000 of them in 16 MiB); when it is full the oldest go early, counted and said in the capture.',
    }),
  },
  "Always-on recording of this reader's recent traffic (off when absent).",
);

export const ReaderBase = {
  id: Segment('Reader id, unique; used in logs, health and rejects topics.'),
  readPoint: Segment('The read point this reader reports to (an id from readPoints).'),
  format: T.Optional(Format),
  retry: T.Optional(Retry),
  antennaMap: T.Optional(
    T.Array(AntennaPort, {
      description:
        "RFID: antennas that report to another read point than the reader's, or to a zone of a dock door, " +
        "or have their own RSSI floor. Antennas not listed report to the reader's readPoint.",
    }),
  ),
  rssiFloorDbm: T.Optional(
    T.Number({
      minimum: -128,
      maximum: 0,
      description:
        'RFID: reads weaker than this (dBm) are ignored and counted (stray reads from the next door).',
    }),
  ),
  multiReadSeparator: T.Optional(
    T.String({
      minLength: 1,
      maxLength: 8,
      ...Pattern('^[^\\x1d\\r\\n]+$', 'not a separator: use 1-8 characters other than GS, CR and LF'),
      description:
        'Triggered scanners in multi-read mode: the text between the codes of one trigger (e.g. ";"). Each ' +
        'code is a read of its own, and the trigger is reported on the rejects topic as a multi-read.',
    }),
  ),
  capture: T.Optional(ReaderCapture),
  noRead: T.Optional(
    T.Array(T.String({ minLength: 1, maxLength: 64 }), {
      description:
        'Triggered scanners: the exact texts the scanner sends when a trigger read nothing (e.g. "NR", ' +
        '"NoRead"); each is counted and reported on the rejects topic as a no-read, not as a bad read.',
    }),
  ),
};

export type Filled<O, K extends keyof O> = Omit<O, K> & { [P in K]-?: NonNullable<O[P]> };
/** A reader's config type with its defaults filled in (what a driver's constructor receives). */
export type WithReaderDefaults<R> = R extends unknown
  ? Filled<R, Extract<keyof R, 'format' | 'retry'>>
  : never;
export type FormatConfig = Static<typeof Format>;
export type RetryConfig = Static<typeof Retry>;
