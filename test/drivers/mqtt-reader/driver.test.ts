/**
 * MqttReaderDriver over a real embedded broker (aedes on TCP) with real mqtt.js clients playing
 * the readers: the driver contract, exact reads in order, rejects, and state following the
 * reader's session.
 */
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { readerLogins, readerTopic } from '../../../daemon/broker/reader-access.js';
import { silentLogger } from '../../../daemon/log.js';
import type { ReaderStatus } from '../../../drivers/driver.js';
import { MqttReaderDriver } from '../../../drivers/mqtt-reader/driver.js';
import { type DriverSetup, driverContract, RecordingSink } from '../driver.contract.js';
import {
  closed,
  connectReader,
  endClient,
  impinjEvent,
  readerConfig,
  startBroker,
  zebraEvent,
} from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const impinj = readerConfig('impinj-r700');
const zebra = readerConfig('zebra-fx', {
  id: 'dock-door-2',
  username: 'reader-dock-2',
  password: 'fx-secret',
  eventTime: 'reader',
});

async function setUp(configs = [impinj]) {
  const tb = await startBroker(readerLogins(configs));
  cleanup.push(() => tb.stop());
  const drivers = configs.map((c) => new MqttReaderDriver(c, { log: silentLogger(), broker: tb.broker }));
  for (const d of drivers) cleanup.push(() => d.stop());
  return { ...tb, drivers };
}

async function reader(url: string, config = impinj): Promise<MqttClient> {
  const client = await connectReader(url, { username: config.username, password: config.password });
  cleanup.push(() => endClient(client));
  return client;
}

const mqttSetup: DriverSetup = async () => {
  const tb = await startBroker(readerLogins([impinj]));
  const client = await connectReader(tb.url, { username: impinj.username, password: impinj.password });
  const driver = new MqttReaderDriver(impinj, { log: silentLogger(), broker: tb.broker });
  const lineOf = new Map<string, string>();
  return {
    driver,
    kind: 'epc',
    text: (read) =>
      lineOf.get(read.data.toString('hex').toUpperCase()) ?? `unknown ${read.data.toString('hex')}`,
    async feed(lines) {
      for (const line of lines) {
        // Each line becomes a tag of its own: 12 EPC bytes from its hash.
        const epc = createHash('sha256').update(line).digest('hex').slice(0, 24).toUpperCase();
        lineOf.set(epc, line);
        client.publish(readerTopic(impinj), impinjEvent(epc), { qos: 1 });
      }
    },
    async teardown() {
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
      await tb.stop();
    },
  };
};

driverContract('mqtt-reader (impinj-r700 over the embedded broker)', mqttSetup);

describe('MqttReaderDriver', () => {
  it("hands an Impinj reader's reads over exactly and in order, before the broker acknowledges", async () => {
    const { url, drivers } = await setUp();
    const sink = new RecordingSink();
    await drivers[0]!.start(sink);
    const client = await reader(url);
    const topic = readerTopic(impinj);
    const handedAfterEach: number[] = [];
    const messages = [
      impinjEvent('3034257BF7194E4000001A85', 1, -5234),
      `${impinjEvent('3034257BF7194E4000001A86', 2, -6000)}\n${impinjEvent('3034257BF7194E4000001A87', 4, -4150)}`,
      'not json at all',
      JSON.stringify({ eventType: 'inventoryStatus', inventoryStatusEvent: { status: 'idle' } }),
      impinjEvent('E280116060000209', 3, -7000),
    ];
    for (const message of messages) {
      await client.publishAsync(topic, message, { qos: 1 }); // resolves on PUBACK
      handedAfterEach.push(sink.calls.length);
    }
    expect(handedAfterEach).toEqual([1, 3, 3, 3, 4]);
    expect(sink.calls.map((r) => [r.readerId, r.kind, r.data.toString('hex'), r.antenna, r.rssi])).toEqual([
      ['dock-door-1', 'epc', '3034257bf7194e4000001a85', 1, -52.34],
      ['dock-door-1', 'epc', '3034257bf7194e4000001a86', 2, -60],
      ['dock-door-1', 'epc', '3034257bf7194e4000001a87', 4, -41.5],
      ['dock-door-1', 'epc', 'e280116060000209', 3, -70],
    ]);
    expect(sink.rejects.map((r) => [r.readerId, r.code, r.data.toString()])).toEqual([
      ['dock-door-1', 'not-json', 'not json at all'],
    ]);
    await expect.poll(() => sink.reads.length).toBe(4);
    expect(drivers[0]!.status()).toMatchObject({ state: 'connected', reads: 4, rejects: 1, reconnects: 0 });
  });

  it('takes a batched Zebra message in order, each driver only its own reader, with reader time', async () => {
    const { url, drivers } = await setUp([impinj, zebra]);
    const [impinjSink, zebraSink] = [new RecordingSink(), new RecordingSink()];
    await drivers[0]!.start(impinjSink);
    await drivers[1]!.start(zebraSink);
    const client = await reader(url, zebra);
    const epcs = ['3034257BF7194E4000001A85', '3034257BF7194E4000001A86', '3034257BF7194E4000001A87'];
    const batch = epcs.map((epc, i) => zebraEvent(epc, i + 1, -50 - i));
    await client.publishAsync(readerTopic(zebra), JSON.stringify(batch), { qos: 1 });
    const runTogether = [zebraEvent(epcs[2]!, 4), zebraEvent(epcs[0]!, 1)]
      .map((e) => JSON.stringify(e))
      .join('');
    await client.publishAsync(readerTopic(zebra), runTogether, { qos: 1 });
    expect(
      zebraSink.calls.map((r) => [r.data.toString('hex').toUpperCase(), r.antenna, r.rssi, r.at]),
    ).toEqual([
      [epcs[0], 1, -50, Date.UTC(2025, 2, 4, 10, 15, 30, 250)],
      [epcs[1], 2, -51, Date.UTC(2025, 2, 4, 10, 15, 30, 250)],
      [epcs[2], 3, -52, Date.UTC(2025, 2, 4, 10, 15, 30, 250)],
      [epcs[2], 4, -55, Date.UTC(2025, 2, 4, 10, 15, 30, 250)],
      [epcs[0], 1, -55, Date.UTC(2025, 2, 4, 10, 15, 30, 250)],
    ]);
    expect(impinjSink.calls).toEqual([]);
    expect(drivers[0]!.status().state).toBe('disconnected');
    expect(drivers[1]!.status()).toMatchObject({ driver: 'zebra-fx', state: 'connected', reads: 5 });
  });

  it('rejects a message over maxMessageBytes and keeps taking the next', async () => {
    const small = { ...impinj, maxMessageBytes: 1024 };
    const { url, drivers } = await setUp([small]);
    const sink = new RecordingSink();
    await drivers[0]!.start(sink);
    const client = await reader(url, small);
    const big = JSON.stringify({ padding: 'x'.repeat(2000) });
    await client.publishAsync(readerTopic(small), big, { qos: 1 });
    await client.publishAsync(readerTopic(small), impinjEvent('3034257BF7194E4000001A85'), { qos: 1 });
    expect(sink.rejects.map((r) => [r.code, r.message, r.data.toString()])).toEqual([
      ['overlong', `a message of ${big.length} bytes is longer than maxMessageBytes (1024)`, big],
    ]);
    expect(sink.calls.map((r) => r.data.toString('hex'))).toEqual(['3034257bf7194e4000001a85']);
  });

  it("follows the reader's session: disconnected, connected, disconnected, reconnected", async () => {
    const { url, drivers } = await setUp();
    const driver = drivers[0]!;
    const states: ReaderStatus[] = [];
    driver.on('state', (s: ReaderStatus) => states.push(s));
    await driver.start(new RecordingSink());
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'waiting for the reader to log in to the broker as reader-dock-1',
    });
    // A wrong password is refused and changes nothing.
    await expect(connectReader(url, { username: impinj.username, password: 'wrong' })).rejects.toThrow(
      'Connection refused: Bad username or password',
    );
    expect(driver.status().state).toBe('disconnected');

    const first = await reader(url);
    await expect.poll(() => driver.status().state).toBe('connected');
    await endClient(first);
    await expect.poll(() => driver.status().state).toBe('disconnected');
    expect(driver.status().lastError).toMatch(/^the reader's MQTT session ended \(client /);
    const second = await reader(url);
    await expect.poll(() => driver.status().state).toBe('connected');
    expect(driver.status()).toMatchObject({ reconnects: 1 });
    expect(driver.status().lastError).toBeUndefined();

    await driver.stop();
    await endClient(second);
    expect(states.map((s) => [s.state, s.reconnects])).toEqual([
      ['disconnected', 0],
      ['connected', 0],
      ['disconnected', 0],
      ['connected', 1],
      ['stopped', 1],
    ]);
  });

  it('once stopped, refuses the reader unacknowledged so it resends later', async () => {
    const { url, drivers } = await setUp();
    const sink = new RecordingSink();
    await drivers[0]!.start(sink);
    const client = await reader(url);
    await client.publishAsync(readerTopic(impinj), impinjEvent('3034257BF7194E4000001A85'), { qos: 1 });
    await drivers[0]!.stop();
    const gone = closed(client);
    client.publish(readerTopic(impinj), impinjEvent('3034257BF7194E4000001A86'), { qos: 1 });
    await gone;
    expect(sink.calls.map((r) => r.data.toString('hex'))).toEqual(['3034257bf7194e4000001a85']);
    expect(drivers[0]!.status()).toMatchObject({ state: 'stopped', reads: 1 });
  });

  it('without the embedded broker starts disconnected and says why', async () => {
    const driver = new MqttReaderDriver(impinj, { log: silentLogger() });
    await driver.start(new RecordingSink());
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'the embedded broker is not running (broker.enabled: false); this reader publishes to it',
    });
    await driver.stop();
    expect(driver.status().state).toBe('stopped');
  });
});
