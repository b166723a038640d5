/**
 * Network RFID readers that publish their tag reads as JSON over MQTT into the embedded broker:
 * Impinj R700 (IoT device interface) and Zebra FX (IoT Connector). One schema per driver literal,
 * because the loader checks each reader against the schema of its `driver` (config/load.ts).
 *
 * Each reader logs in to the embedded broker with its own username and password and may publish
 * only to its own topic (daemon/broker/reader-access.ts).
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { ReaderBase, Strict, Topic, type WithReaderDefaults } from '../reader-base.js';
import { DEFAULT_MAX_EVENTS_PER_MESSAGE } from './mqtt-reader-kind.js';

const mqttReaderProperties = {
  ...ReaderBase,
  username: T.String({
    minLength: 1,
    maxLength: 128,
    description: "The MQTT username this reader logs in with; set the same on the reader's MQTT endpoint.",
  }),
  password: T.Optional(
    T.String({
      minLength: 1,
      description: 'Its MQTT password; use ${ENV_VAR} to keep it out of the file. Set this or passwordFile.',
    }),
  ),
  passwordFile: T.Optional(
    T.String({
      minLength: 1,
      description:
        'A file holding its MQTT password (one trailing line break is ignored), read when the broker ' +
        'starts, e.g. a systemd credential. Set this or password.',
    }),
  ),
  topic: T.Optional(
    Topic(
      'The one topic this reader may publish its tag reads to (no wildcards); defaults to ' +
        'readpoint/v1/readers/<id>/tags.',
    ),
  ),
  maxMessageBytes: T.Integer({
    minimum: 1024,
    maximum: 16777216,
    default: 1048576,
    description: 'Largest message taken; a larger one is rejected whole (batched reports stay well below).',
  }),
  maxEventsPerMessage: T.Integer({
    minimum: 1,
    maximum: 100000,
    default: DEFAULT_MAX_EVENTS_PER_MESSAGE,
    description:
      'Most events (tag reads and others) one message may carry; a message with more is rejected whole ' +
      '(code too-many-events) before it is parsed, so no message can hold the gateway up for long.',
  }),
  eventTime: T.Union([T.Literal('gateway'), T.Literal('reader')], {
    default: 'gateway',
    description:
      "gateway: a read's time is when the gateway received it (one clock for every reader). reader: the " +
      "time the reader stamped on the tag read, when present (trust it only if the reader's clock is synced).",
  }),
};

export const ImpinjR700Reader = Strict(
  { ...mqttReaderProperties, driver: T.Literal('impinj-r700') },
  'An Impinj R700 (IoT device interface) publishing tagInventory events over MQTT to the embedded broker.',
);

export const ZebraFxReader = Strict(
  { ...mqttReaderProperties, driver: T.Literal('zebra-fx') },
  'A Zebra FX reader (IoT Connector) publishing tag data events over MQTT to the embedded broker.',
);

export type ImpinjR700Config = WithReaderDefaults<Static<typeof ImpinjR700Reader>>;
export type ZebraFxConfig = WithReaderDefaults<Static<typeof ZebraFxReader>>;
export type MqttReaderConfig = ImpinjR700Config | ZebraFxConfig;
