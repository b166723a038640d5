/**
 * Which readers publish over MQTT, and where they publish by default: the plain values the daemon
 * and the loader use, apart from the readers' schema (config/readers/mqtt-reader.ts).
 */
import type { MqttReaderConfig } from './mqtt-reader.js';

/** Where a reader publishes when `topic` is absent: `readpoint/v1/readers/<id>/tags`. */
export const DEFAULT_READER_TOPIC = (id: string) => `readpoint/v1/readers/${id}/tags`;

/** Events (tag reads and others) one message may carry when maxEventsPerMessage is not set. */
export const DEFAULT_MAX_EVENTS_PER_MESSAGE = 10000;

/** The drivers of readers that publish over MQTT. */
export const MQTT_READER_DRIVERS: readonly string[] = ['impinj-r700', 'zebra-fx'];

export function isMqttReader<R extends { readonly driver: string }>(
  reader: R,
): reader is R & MqttReaderConfig {
  return MQTT_READER_DRIVERS.includes(reader.driver);
}
