/**
 * An attacker on the floor network against the embedded broker's resources, with real mqtt.js
 * clients and raw sockets over TCP, each limit set low so the test stays light:
 * - a packet announced larger than maxPacketBytes closes the connection (nothing of it delivered);
 * - sockets that never log in cannot take more than their share of the connections, are closed
 *   after the connect timeout, and logged-in readers and consumers keep working throughout;
 * - retained messages beyond the count or bytes are delivered but not kept;
 * - a client flooding publishes is disconnected; one publishing steadily faster than the rate
 *   is slowed down and loses nothing.
 * Every refusal is counted under its reason in health's `broker.refused`.
 */
import { type Socket, connect as tcpConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerLimitsConfig } from '../../config/broker-limits.js';
import { EmbeddedBroker } from '../../daemon/broker/embedded-broker.js';
import { silentLogger } from '../../daemon/log.js';
import { closed, connectReader, endClient } from '../drivers/mqtt-reader/helpers.js';
import { type Collector, collect } from '../support/mqtt-collector.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function brokerWith(limits: Partial<BrokerLimitsConfig>) {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, limits }, silentLogger());
  await broker.start();
  cleanup.push(() => broker.stop());
  const { port } = broker.address();
  return { broker, port, url: `mqtt://127.0.0.1:${port}` };
}

async function client(url: string, clientId?: string): Promise<MqttClient> {
  const c = await connectReader(url, clientId ? { clientId } : {});
  cleanup.push(() => endClient(c));
  return c;
}

async function subscriber(url: string, filter: string): Promise<Collector> {
  const c = await collect(url, filter);
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
  return Promise.race([
    closed(c).then(() => 'closed' as const),
    c.publishAsync(topic, payload, { qos: 1, retain }).then(
      () => 'acknowledged' as const,
      () => 'closed' as const,
    ),
  ]);
}

const refused = (broker: EmbeddedBroker) => broker.health()?.refused ?? {};

describe('the embedded broker bounds packet size', () => {
  it('closes a connection whose packet announces more than maxPacketBytes, and delivers nothing of it', async () => {
    const { broker, url } = await brokerWith({ maxPacketBytes: 65536 });
    const seen = await subscriber(url, 'floor/#');
    const attacker = await client(url);
    expect(await publishOutcome(attacker, 'floor/big', Buffer.alloc(4 * 1024 * 1024, 0x41))).toBe('closed');
    expect(refused(broker)).toEqual({ 'packet-size': 1 });
    // A packet within the limit still goes through, for anyone.
    const honest = await client(url);
    expect(await publishOutcome(honest, 'floor/small', Buffer.alloc(60_000, 0x42))).toBe('acknowledged');
    await seen.waitFor(1, 10_000);
    expect(seen.messages.map((m) => [m.topic, m.payload.length])).toEqual([['floor/small', 60_000]]);
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
    const { broker, port, url } = await brokerWith({
      maxConnections: 6,
      maxPendingConnections: 3,
      maxPendingPerAddress: 3,
      connectTimeoutS: 2,
    });
    const seen = await subscriber(url, 'floor/#');
    const reader = await client(url, 'dock-reader');

    const idle = Array.from({ length: 10 }, () => idleSocket(port));
    // Three wait for their CONNECT; the seven beyond are closed as they are accepted.
    await expect.poll(() => refused(broker)['pending-connections'], { timeout: 10_000 }).toBe(7);
    expect(await publishOutcome(reader, 'floor/tags', 'read while flooded')).toBe('acknowledged');
    // The three that never logged in are dropped after connectTimeoutS.
    await Promise.all(idle.map((s) => s.closed));
    expect(refused(broker)).toEqual({ 'pending-connections': 7 });

    // The total: 2 logged in + 4 more = 6; the seventh socket is closed at accept.
    const more = [];
    for (let i = 0; i < 4; i++) more.push(await client(url, `consumer-${i}`));
    expect(broker.clients()).toBe(6);
    const extra = idleSocket(port);
    await extra.closed;
    await expect.poll(() => refused(broker).connections, { timeout: 10_000 }).toBe(1);
    // Nobody logged in was disturbed, and a freed slot is taken again.
    expect(await publishOutcome(reader, 'floor/tags', 'still reading')).toBe('acknowledged');
    await endClient(more[0]!);
    await expect.poll(() => broker.clients(), { timeout: 10_000 }).toBe(5);
    await client(url, 'dock-reader-2');
    await seen.waitFor(2, 10_000);
    expect(seen.messages.map((m) => m.payload.toString())).toEqual(['read while flooded', 'still reading']);
  });
});

describe('the embedded broker bounds retained messages', () => {
  it('keeps at most maxRetained; the rest are delivered live but not kept', async () => {
    const { broker, url } = await brokerWith({ maxRetained: 10 });
    const live = await subscriber(url, 'floor/#');
    const attacker = await client(url);
    for (let i = 0; i < 30; i++)
      expect(await publishOutcome(attacker, `floor/r${i}`, `value ${i}`, true)).toBe('acknowledged');
    await live.waitFor(30, 10_000);
    expect(refused(broker)).toEqual({ retained: 20 });
    const later = await subscriber(url, 'floor/#');
    // Retained messages come right after the SUBACK; one live message marks their end.
    expect(await publishOutcome(attacker, 'floor/end', 'end')).toBe('acknowledged');
    await later.waitFor(11, 10_000);
    expect(later.messages.filter((m) => m.retain).map((m) => m.topic)).toEqual(
      Array.from({ length: 10 }, (_, i) => `floor/r${i}`),
    );
  });

  it('keeps at most maxRetainedBytes, and clears a topic whose new value is not kept', async () => {
    const { broker, url } = await brokerWith({ maxRetainedBytes: 10_000 });
    const c = await client(url);
    expect(await publishOutcome(c, 'floor/a', Buffer.alloc(4000, 0x61), true)).toBe('acknowledged');
    expect(await publishOutcome(c, 'floor/b', Buffer.alloc(4000, 0x62), true)).toBe('acknowledged');
    expect(await publishOutcome(c, 'floor/c', Buffer.alloc(4000, 0x63), true)).toBe('acknowledged');
    // floor/a grows past the budget: its old value must not linger either.
    expect(await publishOutcome(c, 'floor/a', Buffer.alloc(6000, 0x41), true)).toBe('acknowledged');
    expect(refused(broker)).toEqual({ retained: 2 });
    const later = await subscriber(url, 'floor/#');
    expect(await publishOutcome(c, 'floor/end', 'end')).toBe('acknowledged');
    await later.waitFor(2, 10_000);
    expect(later.messages.map((m) => [m.topic, m.retain, m.payload.length])).toEqual([
      ['floor/b', true, 4000],
      ['floor/end', false, 3],
    ]);
  });
});

describe('the embedded broker bounds a client’s publish rate', () => {
  it('disconnects a client that floods publishes, after at most a burst of them', async () => {
    const { broker, url } = await brokerWith({ publishRate: 20, publishBurst: 10 });
    const seen = await subscriber(url, 'floor/#');
    const attacker = mqtt.connect(url, { reconnectPeriod: 0 });
    cleanup.push(() => endClient(attacker));
    await new Promise((resolve) => attacker.once('connect', resolve));
    const gone = closed(attacker);
    for (let i = 0; i < 2000; i++) attacker.publish('floor/flood', `m${i}`, { qos: 0 });
    await gone;
    expect(refused(broker)['publish-rate']).toBeGreaterThanOrEqual(1);
    // The burst, the burst that may wait, and what the rate refilled meanwhile: far below 2000.
    const honest = await client(url);
    expect(await publishOutcome(honest, 'floor/after', 'after')).toBe('acknowledged');
    await expect
      .poll(() => seen.messages.some((m) => m.topic === 'floor/after'), { timeout: 10_000 })
      .toBe(true);
    const flooded = seen.messages.filter((m) => m.topic === 'floor/flood').map((m) => m.payload.toString());
    expect(flooded.length).toBeGreaterThanOrEqual(10);
    expect(flooded.length).toBeLessThan(200);
    expect(flooded).toEqual(Array.from({ length: flooded.length }, (_, i) => `m${i}`));
  });

  it('slows a client that keeps its window (QoS 1) above the rate, and loses nothing', async () => {
    const { broker, url } = await brokerWith({ publishRate: 50, publishBurst: 10 });
    const seen = await subscriber(url, 'floor/#');
    const steady = await client(url);
    const sent = Array.from({ length: 60 }, (_, i) => `s${i}`);
    // Five at a time in flight: never more than a burst waiting.
    for (let i = 0; i < sent.length; i += 5)
      await Promise.all(sent.slice(i, i + 5).map((p) => steady.publishAsync('floor/steady', p, { qos: 1 })));
    await seen.waitFor(60, 10_000);
    expect(seen.messages.map((m) => m.payload.toString())).toEqual(sent);
    expect(steady.connected).toBe(true);
    expect(refused(broker)).toEqual({});
  });
});
