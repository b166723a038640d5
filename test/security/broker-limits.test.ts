/**
 * An attacker on the floor network against the embedded broker's resources, with real mqtt.js
 * clients and raw sockets over TCP, each limit set low so the test stays light. The broker denies
 * by default, so every publish that should go through comes from a login allowed to make it: the
 * gateway's own login under its topics, or a reader's login to its own topic with a driver's
 * intake attached.
 * - a packet announced larger than maxPacketBytes closes the connection, whoever sends it, before
 *   the login is even judged (nothing of it delivered);
 * - sockets that never log in cannot take more than their share of the connections, are closed
 *   after the connect timeout, and logged-in readers and consumers keep working throughout;
 * - retained messages beyond the count or bytes are delivered but not kept, and a reader cannot
 *   store one outside its own topic;
 * - a reader flooding publishes is disconnected; one publishing steadily faster than the rate is
 *   slowed down and loses nothing; the gateway's own session is never paced.
 * Every refusal is counted under its reason in health's `broker.refused`.
 */
import { type Socket, connect as tcpConnect } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerLimitsConfig } from '../../config/broker-limits.js';
import type { BrokerOptions, EmbeddedBroker } from '../../daemon/broker/embedded-broker.js';
import type { ReaderLogin } from '../../daemon/broker/reader-access.js';
import { closed, connectReader, endClient, startBroker, TOPIC_BASE } from '../drivers/mqtt-reader/helpers.js';
import { gatewayClient } from '../support/gateway-client.js';
import { type Collector, collect } from '../support/mqtt-collector.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A network reader with its login; it may publish to READER.topic only. */
const READER: ReaderLogin = {
  id: 'dock-reader',
  username: 'r700-dock',
  password: 'reader-secret',
  topic: 'readpoint/v1/readers/dock-reader/tags',
};
const READER_AUTH = { username: READER.username, password: READER.password! };
/** The floor's consumer login. */
const FLOOR = { username: 'floor', password: 'floor-secret' };

async function brokerWith(limits: Partial<BrokerLimitsConfig>, floor: Partial<BrokerOptions> = {}) {
  const { broker, url, stop } = await startBroker([READER], { limits, ...floor });
  cleanup.push(stop);
  const { port } = broker.address();
  return { broker, port, url };
}

/** Attaches a driver's intake to the reader that records every payload it is handed, in order. */
function intakeOf(broker: EmbeddedBroker): string[] {
  const payloads: string[] = [];
  const attachment = broker.attachReader(READER.id, {
    message: async (payload) => {
      payloads.push(payload.toString());
    },
    connection: () => {},
  });
  cleanup.push(async () => attachment.detach());
  return payloads;
}

/** The gateway's own session, in process. */
async function gatewaySession(broker: EmbeddedBroker, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await gatewayClient(broker, options);
  cleanup.push(() => endClient(c));
  return c;
}

async function client(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await connectReader(url, options);
  cleanup.push(() => endClient(c));
  return c;
}

/** A consumer subscribed to the gateway's topics. */
async function subscriber(
  url: string,
  auth: { username?: string; password?: string } = {},
): Promise<Collector> {
  const c = await collect(url, `${TOPIC_BASE}/#`, auth);
  cleanup.push(() => c.close());
  return c;
}

/** A socket that connects and never sends CONNECT; `closed` resolves when the broker closes it. */
function idleSocket(port: number): { socket: Socket; closed: Promise<void> } {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  cleanup.push(async () => socket.destroy());
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

/** Resolves with what came first: the broker closing the connection, or the PUBACK. */
function publishOutcome(c: MqttClient, topic: string, payload: Buffer | string, retain = false) {
  return settled(c, c.publishAsync(topic, payload, { qos: 1, retain }));
}

/** Resolves 'acknowledged' when `acks` do, 'closed' when the broker closes the connection first. */
function settled(c: MqttClient, acks: Promise<unknown>): Promise<'acknowledged' | 'closed'> {
  if (c.disconnected) return Promise.resolve('closed');
  let onClose = () => {};
  const gone = new Promise<'closed'>((resolve) => {
    onClose = () => resolve('closed');
    c.once('close', onClose);
  });
  const acked = acks.then(
    () => 'acknowledged' as const,
    () => 'closed' as const,
  );
  return Promise.race([gone, acked]).finally(() => c.off('close', onClose));
}

const refused = (broker: EmbeddedBroker) => broker.health()?.refused ?? {};
/** Rows by topic: a later subscriber's retained messages and a live one may come in either order. */
const byTopic = <T extends [string, ...unknown[]]>(rows: T[]) =>
  [...rows].sort((a, b) => a[0].localeCompare(b[0]));
const big = (bytes: number, fill: number) => Buffer.alloc(bytes, fill);

describe('the embedded broker bounds packet size', () => {
  it('closes a connection whose packet announces more than maxPacketBytes, whoever sends it, and delivers nothing of it', async () => {
    const { broker, url } = await brokerWith({ maxPacketBytes: 65536 }, { ...FLOOR, allowAnonymous: true });
    const intake = intakeOf(broker);
    const seen = await subscriber(url, FLOOR);
    // Anyone may send a packet: an anonymous client and a consumer, neither allowed to publish,
    // are refused by size before their login is judged (no `publish` refusal is counted).
    const anonymous = await client(url);
    expect(await publishOutcome(anonymous, `${TOPIC_BASE}/big`, big(4 * 1024 * 1024, 0x41))).toBe('closed');
    expect(refused(broker)).toEqual({ 'packet-size': 1 });
    const consumer = await client(url, FLOOR);
    expect(await publishOutcome(consumer, `${TOPIC_BASE}/big`, big(4 * 1024 * 1024, 0x41))).toBe('closed');
    expect(refused(broker)).toEqual({ 'packet-size': 2 });
    // A reader, allowed to publish to its topic, is held to it too.
    const reader = await client(url, READER_AUTH);
    expect(await publishOutcome(reader, READER.topic, big(70_000, 0x52))).toBe('closed');
    expect(refused(broker)).toEqual({ 'packet-size': 3 });

    // Within the limit, a legitimate publisher goes through: the gateway to its consumers, a
    // reader to its driver.
    const gateway = await gatewaySession(broker);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/small`, big(60_000, 0x42))).toBe('acknowledged');
    const honestReader = await client(url, READER_AUTH);
    expect(await publishOutcome(honestReader, READER.topic, big(60_000, 0x43))).toBe('acknowledged');
    await seen.waitFor(1, 10_000);
    expect(seen.messages.map((m) => [m.topic, m.payload.length, m.payload[0]])).toEqual([
      [`${TOPIC_BASE}/small`, 60_000, 0x42],
    ]);
    expect(intake.map((p) => [p.length, p[0]])).toEqual([[60_000, 'C']]);
    expect(refused(broker)).toEqual({ 'packet-size': 3 });
  });

  it('closes the connection from the header alone, while the body is still being streamed', async () => {
    const { broker, port } = await brokerWith({ maxPacketBytes: 65536 });
    const { socket, closed: gone } = idleSocket(port);
    await new Promise((resolve) => socket.once('connect', resolve));
    // CONNECT (MQTT 3.1.1, client id "a"), then a PUBLISH announcing 200 MB, then body bytes.
    socket.write(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 1, 0x61]));
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0xd0, 0x5f])); // remaining length 200,000,000
    let written = 0;
    let open = true;
    gone.then(() => {
      open = false;
    });
    // Stream body until the broker hangs up; it must do so long before the announced length.
    while (open && written < 200_000_000) {
      const chunk = Buffer.alloc(65536, 0x43);
      written += chunk.length;
      if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), gone]);
    }
    await gone;
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(refused(broker)).toEqual({ 'packet-size': 1 });
  });
});

describe('the embedded broker bounds connections', () => {
  it('keeps only a few sockets that never log in, closes them after the connect timeout, and lets logged-in clients work', async () => {
    const { broker, port, url } = await brokerWith(
      { maxConnections: 6, maxPendingConnections: 3, maxPendingPerAddress: 3, connectTimeoutS: 2 },
      FLOOR,
    );
    const intake = intakeOf(broker);
    const seen = await subscriber(url, FLOOR);
    const reader = await client(url, READER_AUTH);

    const idle = Array.from({ length: 10 }, () => idleSocket(port));
    // Three wait for their CONNECT; the seven beyond are closed as they are accepted.
    await expect.poll(() => refused(broker)['pending-connections'], { timeout: 10_000 }).toBe(7);
    expect(await publishOutcome(reader, READER.topic, 'read while flooded')).toBe('acknowledged');
    // The three that never logged in are dropped after connectTimeoutS.
    await Promise.all(idle.map((s) => s.closed));
    expect(refused(broker)).toEqual({ 'pending-connections': 7 });

    // The total: 2 logged in + 4 consumers = 6; the seventh socket is closed at accept.
    const more = [];
    for (let i = 0; i < 4; i++) more.push(await client(url, { ...FLOOR, clientId: `consumer-${i}` }));
    expect(broker.clients()).toBe(6);
    const extra = idleSocket(port);
    await extra.closed;
    await expect.poll(() => refused(broker).connections, { timeout: 10_000 }).toBe(1);
    // Nobody logged in was disturbed, and a freed slot is taken again: by the gateway's own login.
    expect(await publishOutcome(reader, READER.topic, 'still reading')).toBe('acknowledged');
    await endClient(more[0]!);
    await expect.poll(() => broker.clients(), { timeout: 10_000 }).toBe(5);
    const gateway = await gatewaySession(broker);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/status`, 'online')).toBe('acknowledged');
    await seen.waitFor(1, 10_000);
    expect(seen.messages.map((m) => [m.topic, m.payload.toString()])).toEqual([
      [`${TOPIC_BASE}/status`, 'online'],
    ]);
    expect(intake).toEqual(['read while flooded', 'still reading']);
    expect(refused(broker)).toEqual({ 'pending-connections': 7, connections: 1 });
  });
});

describe('the embedded broker keeps room for its readers and the gateway', () => {
  it('refuses a consumer beyond maxConsumers, so logged-in consumers cannot take the slots readers and the uplink need', async () => {
    const { broker, url } = await brokerWith(
      { maxConnections: 8, maxPendingConnections: 2, maxConsumers: 3 },
      FLOOR,
    );
    const intake = intakeOf(broker);
    const seen = await subscriber(url, FLOOR);
    for (let i = 0; i < 2; i++) await client(url, { ...FLOOR, clientId: `consumer-${i}` });
    const outcome = await new Promise<unknown>((resolve) => {
      const c = mqtt.connect(url, {
        ...FLOOR,
        clientId: 'consumer-3',
        reconnectPeriod: 0,
        connectTimeout: 5000,
      });
      c.once('connect', () => resolve('connected'));
      c.once('error', (err) => resolve((err as { code?: unknown }).code));
      cleanup.push(() => endClient(c));
    });
    expect(outcome).toBe(3); // CONNACK 3: server unavailable
    expect(refused(broker)).toEqual({ consumers: 1 });
    expect(broker.health()?.failedLogins).toBe(0);
    // The reader and the gateway's own session still get in, and work.
    const reader = await client(url, READER_AUTH);
    expect(await publishOutcome(reader, READER.topic, 'read')).toBe('acknowledged');
    const gateway = await gatewaySession(broker);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/status`, 'online')).toBe('acknowledged');
    await seen.waitFor(1, 10_000);
    expect(seen.messages.map((m) => [m.topic, m.payload.toString()])).toEqual([
      [`${TOPIC_BASE}/status`, 'online'],
    ]);
    expect(intake).toEqual(['read']);
    // Three consumers and the reader; the gateway's in-process session is not a network client.
    expect(broker.clients()).toBe(4);
  });
});

describe('the embedded broker bounds retained messages', () => {
  it('keeps at most maxRetained; the rest are delivered live but not kept', async () => {
    const { broker, url } = await brokerWith({ maxRetained: 10 });
    const live = await subscriber(url);
    const gateway = await gatewaySession(broker);
    for (let i = 0; i < 30; i++)
      expect(await publishOutcome(gateway, `${TOPIC_BASE}/r${i}`, `value ${i}`, true)).toBe('acknowledged');
    await live.waitFor(30, 10_000);
    expect(live.messages.map((m) => m.topic)).toEqual(
      Array.from({ length: 30 }, (_, i) => `${TOPIC_BASE}/r${i}`),
    );
    await expect.poll(() => refused(broker), { timeout: 10_000 }).toEqual({ retained: 20 });
    const later = await subscriber(url);
    // The retained messages are streamed after the SUBACK, live ones may overtake them.
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/end`, 'end')).toBe('acknowledged');
    await later.waitFor(11, 10_000);
    const kept = later.messages.filter((m) => m.retain).map((m) => m.topic);
    expect([...kept].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${TOPIC_BASE}/r${i}`).sort());
    expect(later.messages.filter((m) => !m.retain).map((m) => m.topic)).toEqual([`${TOPIC_BASE}/end`]);
  });

  it('keeps at most maxRetainedBytes, and clears a topic whose new value is not kept', async () => {
    const { broker, url } = await brokerWith({ maxRetainedBytes: 10_000 });
    const c = await gatewaySession(broker);
    const at = (t: string) => `${TOPIC_BASE}/${t}`;
    expect(await publishOutcome(c, at('a'), big(4000, 0x61), true)).toBe('acknowledged');
    expect(await publishOutcome(c, at('b'), big(4000, 0x62), true)).toBe('acknowledged');
    expect(await publishOutcome(c, at('c'), big(4000, 0x63), true)).toBe('acknowledged');
    // `a` grows past the budget: its old value must not linger either.
    expect(await publishOutcome(c, at('a'), big(6000, 0x41), true)).toBe('acknowledged');
    // The store is written beside the acknowledgement, not before it.
    await expect.poll(() => refused(broker), { timeout: 10_000 }).toEqual({ retained: 2 });
    const later = await subscriber(url);
    expect(await publishOutcome(c, at('end'), 'end')).toBe('acknowledged');
    await later.waitFor(2, 10_000);
    expect(byTopic(later.messages.map((m) => [m.topic, m.retain, m.payload.length]))).toEqual([
      [at('b'), true, 4000],
      [at('end'), false, 3],
    ]);
  });

  it('stores no retained message a reader publishes outside its own topic, nor counts it against the budget', async () => {
    const { broker, url } = await brokerWith({ maxRetained: 1 });
    intakeOf(broker);
    const reader = await client(url, READER_AUTH);
    // A forged retained `offline` status: refused, the reader's connection closed.
    expect(await publishOutcome(reader, `${TOPIC_BASE}/status`, 'offline', true)).toBe('closed');
    expect(refused(broker)).toEqual({ publish: 1 });
    // The one retained slot is still free for the gateway.
    const gateway = await gatewaySession(broker);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/health`, 'ok', true)).toBe('acknowledged');
    const later = await subscriber(url);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/end`, 'end')).toBe('acknowledged');
    await later.waitFor(2, 10_000);
    expect(byTopic(later.messages.map((m) => [m.topic, m.retain, m.payload.toString()]))).toEqual([
      [`${TOPIC_BASE}/end`, false, 'end'],
      [`${TOPIC_BASE}/health`, true, 'ok'],
    ]);
    expect(refused(broker)).toEqual({ publish: 1 });
  });

  it("keeps no reader's retained message, so readers cannot take the gateway's retained budget", async () => {
    const { broker, url } = await brokerWith({ maxRetainedBytes: 10_000 });
    const intake = intakeOf(broker);
    const reader = await client(url, READER_AUTH);
    // To its own topic a reader may publish, retained or not: its driver takes it; nobody may
    // read a reader's topic, so keeping it would only take what the gateway's status needs.
    expect(await publishOutcome(reader, READER.topic, big(9000, 0x52), true)).toBe('acknowledged');
    expect(intake.map((p) => p.length)).toEqual([9000]);
    const gateway = await gatewaySession(broker);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/health`, big(2000, 0x48), true)).toBe('acknowledged');
    expect(refused(broker)).toEqual({});
    const later = await subscriber(url);
    expect(await publishOutcome(gateway, `${TOPIC_BASE}/end`, 'end')).toBe('acknowledged');
    await later.waitFor(2, 10_000);
    expect(byTopic(later.messages.map((m) => [m.topic, m.retain, m.payload.length]))).toEqual([
      [`${TOPIC_BASE}/end`, false, 3],
      [`${TOPIC_BASE}/health`, true, 2000],
    ]);
  });
});

describe('the embedded broker bounds a client’s publish rate', () => {
  it('disconnects a reader that floods publishes, after at most a burst of them, and hands on nothing that was still waiting', async () => {
    const { broker, url } = await brokerWith({ publishRate: 20, publishBurst: 10 });
    const intake = intakeOf(broker);
    const attacker = await client(url, READER_AUTH);
    // What the reader's driver had been handed when the broker closed the connection.
    const atClose = closed(attacker).then(() => [...intake]);
    for (let i = 0; i < 2000; i++) attacker.publish(READER.topic, `m${i}`, { qos: 0 });
    const flooded = await atClose;
    expect(refused(broker)['publish-rate']).toBeGreaterThanOrEqual(1);
    // The burst and what the rate refilled meanwhile: far below 2000, in the order sent.
    expect(flooded.length).toBeGreaterThanOrEqual(10);
    expect(flooded.length).toBeLessThan(200);
    expect(flooded).toEqual(Array.from({ length: flooded.length }, (_, i) => `m${i}`));
    // The reader logs in again (a fresh session, a fresh bucket) and is heard, paced for over a
    // second: longer than any publish of the closed session could have been waiting. None of
    // those reaches the driver once its session is gone.
    const again = await client(url, READER_AUTH);
    const after = Array.from({ length: 30 }, (_, i) => `a${i}`);
    for (let i = 0; i < after.length; i += 5)
      expect(
        await settled(
          again,
          Promise.all(after.slice(i, i + 5).map((p) => again.publishAsync(READER.topic, p, { qos: 1 }))),
        ),
      ).toBe('acknowledged');
    expect(intake).toEqual([...flooded, ...after]);
    expect(Object.keys(refused(broker))).toEqual(['publish-rate']);
  });

  it('still hands on the last will of a reader whose connection dies', async () => {
    const { broker, url } = await brokerWith({ publishRate: 20, publishBurst: 10 });
    const intake = intakeOf(broker);
    const reader = await client(url, {
      ...READER_AUTH,
      will: { topic: READER.topic, payload: Buffer.from('reader gone'), qos: 1, retain: false },
    });
    expect(await publishOutcome(reader, READER.topic, 'tags')).toBe('acknowledged');
    reader.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await expect.poll(() => intake, { timeout: 10_000 }).toEqual(['tags', 'reader gone']);
    expect(refused(broker)).toEqual({});
  });

  it('slows a reader that keeps its window (QoS 1) above the rate, and loses nothing', async () => {
    const { broker, url } = await brokerWith({ publishRate: 50, publishBurst: 10 });
    const intake = intakeOf(broker);
    const steady = await client(url, READER_AUTH);
    const sent = Array.from({ length: 60 }, (_, i) => `s${i}`);
    // Five at a time in flight: never more than a burst waiting.
    for (let i = 0; i < sent.length; i += 5)
      await Promise.all(sent.slice(i, i + 5).map((p) => steady.publishAsync(READER.topic, p, { qos: 1 })));
    expect(intake).toEqual(sent);
    expect(steady.connected).toBe(true);
    expect(refused(broker)).toEqual({});
  });

  it("never paces the gateway's own session", async () => {
    const { broker, url } = await brokerWith({ publishRate: 20, publishBurst: 10 });
    const seen = await subscriber(url);
    const gateway = await gatewaySession(broker, { clientId: 'readpoint-site-t-gw-t' });
    // Far more than a burst plus a second's rate, all in flight at once (a backlog replayed).
    const sent = Array.from({ length: 100 }, (_, i) => `e${i}`);
    const acks = Promise.all(sent.map((p) => gateway.publishAsync(`${TOPIC_BASE}/events`, p, { qos: 1 })));
    expect(await settled(gateway, acks)).toBe('acknowledged');
    await seen.waitFor(100, 10_000);
    expect(seen.messages.map((m) => m.payload.toString())).toEqual(sent);
    expect(gateway.connected).toBe(true);
    expect(refused(broker)).toEqual({});
  });
});
