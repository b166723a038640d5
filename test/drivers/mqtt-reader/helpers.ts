/** A real embedded broker with reader logins, and real mqtt.js clients playing the readers. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttReaderConfig } from '../../../config/readers/mqtt-reader.js';
import { type BrokerOptions, EmbeddedBroker } from '../../../daemon/broker/embedded-broker.js';
import type { ReaderLogin } from '../../../daemon/broker/reader-access.js';
import { silentLogger } from '../../../daemon/log.js';

export interface TestBroker {
  broker: EmbeddedBroker;
  url: string;
  stop(): Promise<void>;
}

/** The gateway's topics in these tests (as the uplink helpers use them). */
export const TOPIC_BASE = 'readpoint/v1/site-t/gw-t';

export async function startBroker(
  readers: ReaderLogin[],
  floor: Partial<BrokerOptions> = {},
): Promise<TestBroker> {
  const broker = new EmbeddedBroker(
    { host: '127.0.0.1', port: 0, topicBase: TOPIC_BASE, ...floor, readers },
    silentLogger(),
  );
  await broker.start();
  return { broker, url: `mqtt://127.0.0.1:${broker.address().port}`, stop: () => broker.stop() };
}

/** Connects without retrying; resolves once connected, rejects with the CONNACK error. */
export function connectReader(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** Resolves when the client's connection closes (the broker refused something of it). */
export function closed(client: MqttClient): Promise<void> {
  if (client.disconnected) return Promise.resolve();
  return new Promise((resolve) => client.once('close', () => resolve()));
}

export function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(!client.connected, {}, () => resolve()));
}

/** A reader's config with every default filled, for tests. */
export function readerConfig(
  driver: MqttReaderConfig['driver'],
  extra: Partial<MqttReaderConfig> = {},
): MqttReaderConfig {
  return {
    id: 'dock-door-1',
    readPoint: 'dock-1',
    driver,
    username: 'reader-dock-1',
    password: 'r700-secret',
    maxMessageBytes: 1048576,
    maxEventsPerMessage: 10000,
    eventTime: 'gateway',
    format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
    retry: { minMs: 50, maxMs: 200 },
    ...extra,
  } as MqttReaderConfig;
}

/** An Impinj tagInventory event as the R700 publishes it (see impinj.test.ts for the shape). */
export function impinjEvent(epcHex: string, antennaPort = 1, peakRssiCdbm = -5500): string {
  return JSON.stringify({
    timestamp: '2025-03-04T10:15:30.456789Z',
    hostname: 'impinj-14-a2-7f',
    eventType: 'tagInventory',
    tagInventoryEvent: { epcHex, antennaPort, peakRssiCdbm, lastSeenTime: '2025-03-04T10:15:30.4Z' },
  });
}

/** A Zebra tag data event as the IoT Connector publishes it (see zebra.test.ts for the shape). */
export function zebraEvent(idHex: string, antenna = 1, peakRssi = -55) {
  return {
    type: 'SIMPLE',
    timestamp: '2025-03-04T10:15:30.250+0000',
    data: { MAC: '84:24:8D:00:11:22', antenna, eventNum: 1, format: 'epc', idHex, peakRssi, reads: 1 },
  };
}
