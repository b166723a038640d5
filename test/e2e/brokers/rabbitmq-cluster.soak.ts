/**
 * A real 3-node RabbitMQ cluster (test/support/rabbitmq.ts) as the fleet's central broker: what
 * a gateway and a consumer on different nodes can count on. Its start takes 10-20 s on a 2-core
 * box, so this runs in `npm run soak`, not in CI; a single node checks the daemon in CI.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { type RabbitCluster, startRabbitCluster } from '../../support/rabbitmq.js';

let cluster: RabbitCluster;
const collectors: Collector[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  cluster = await startRabbitCluster({ nodes: 3 });
  console.log(`rabbitmq: 3-node cluster took MQTT CONNECTs after ${cluster.startMs} ms`);
}, 120_000);

afterAll(async () => {
  for (const c of collectors) await c.close();
  for (const c of clients) c.end(true);
  await cluster?.stop();
});

const url = (node: number) => cluster.urls[node - 1]!;

async function subscribe(node: number, filter: string): Promise<Collector> {
  const c = await collect(url(node), filter);
  collectors.push(c);
  return c;
}

async function client(node: number, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url(node), { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

/**
 * QoS 1 publishes of `0`..`count-1`, one at a time, through `node`; when the connection drops
 * before a PUBACK, a new one sends that message again, as the daemon's uplink does. Returns how
 * many connections were lost and how long the first PUBACK took.
 */
async function publishEach(node: number, topic: string, count: number) {
  const began = Date.now();
  let firstAckMs = -1;
  let lost = 0;
  let c = await client(node);
  let gone = new Promise<false>((resolve) => c.once('close', () => resolve(false)));
  for (let i = 0; i < count; ) {
    const acked = await Promise.race([c.publishAsync(topic, String(i), { qos: 1 }).then(() => true), gone]);
    if (acked) {
      if (i === 0) firstAckMs = Date.now() - began;
      i++;
      continue;
    }
    lost++;
    c.end(true);
    c = await client(node);
    gone = new Promise<false>((resolve) => c.once('close', () => resolve(false)));
  }
  return { lost, firstAckMs };
}

const payloads = (c: Collector) => c.messages.map((m) => String(m.payload));
const numbers = (n: number) => Array.from({ length: n }, (_, i) => String(i));

describe('a 3-node RabbitMQ cluster', () => {
  it('forms one cluster: QoS 1 publishes through node 1 reach subscribers on nodes 2 and 3 in order', async () => {
    const COUNT = 200;
    const on2 = await subscribe(2, 'fleet/events/#');
    const on3 = await subscribe(3, 'fleet/events/#');
    const publisher = await client(1);
    for (let i = 0; i < COUNT; i++)
      await publisher.publishAsync(`fleet/events/gw-${i % 4}`, String(i), { qos: 1 });
    await on2.waitFor(COUNT, 20_000);
    await on3.waitFor(COUNT, 20_000);
    for (const c of [on2, on3]) {
      expect(payloads(c)).toEqual(numbers(COUNT));
      expect(c.messages.every((m) => m.qos === 1 && !m.retain)).toBe(true);
    }
  });

  it('keeps retained messages and a will on the node they were published to; the will itself reaches every node', async () => {
    const topic = 'fleet/site-1/gw-1/status';
    const live = await subscribe(2, topic);
    // A gateway on node 1 with the daemon's will; its connection drops without DISCONNECT.
    const gateway = await client(1, {
      will: { topic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await gateway.publishAsync(topic, 'online', { qos: 1, retain: true });
    gateway.stream.destroy();
    await live.waitFor(2, 10_000);
    expect(payloads(live)).toEqual(['online', 'offline']);

    const onNode1 = await subscribe(1, topic);
    await onNode1.waitFor(1, 10_000);
    expect(onNode1.messages.map((m) => [String(m.payload), m.retain])).toEqual([['offline', true]]);
    // A subscriber on node 2 is handed nothing: a marker published after its SUBACK comes first.
    const onNode2 = await subscribe(2, topic);
    const other = await client(2);
    await other.publishAsync(topic, 'marker', { qos: 1 });
    await onNode2.waitFor(1, 10_000);
    expect(onNode2.messages.map((m) => [String(m.payload), m.retain])).toEqual([['marker', false]]);
  });

  it('takes `$share/...` as a plain topic filter: shared subscribers get none of the topic they name', async () => {
    const COUNT = 20;
    const shared = [
      await subscribe(1, '$share/workers/fleet/shared/#'),
      await subscribe(2, '$share/workers/fleet/shared/#'),
    ];
    const plain = await subscribe(2, 'fleet/shared/#');
    const publisher = await client(1);
    for (let i = 0; i < COUNT; i++) await publisher.publishAsync('fleet/shared/gw-1', String(i), { qos: 1 });
    // What does reach them: a topic that literally starts with `$share/workers/`, routed after the rest.
    await publisher.publishAsync('$share/workers/fleet/shared/marker', 'marker', { qos: 1 });
    await plain.waitFor(COUNT, 10_000);
    expect(payloads(plain)).toEqual(numbers(COUNT));
    for (const c of shared) {
      await c.waitFor(1, 10_000);
      expect(payloads(c)).toEqual(['marker']);
    }
  });

  it("keeps a persistent session (clean=false, a quorum queue) through the SIGKILL of its node, which takes its clients' wills with it; the node rejoins", async () => {
    const COUNT = 100;
    const id = 'fleet-consumer-1';
    const first = await client(3, { clientId: id, clean: false });
    await first.subscribeAsync('fleet/durable/#', { qos: 1 });
    await first.endAsync();

    // A gateway on node 3 with the daemon's will, watched from node 1.
    const statusTopic = 'fleet/site-1/gw-3/status';
    const watcher = await subscribe(1, statusTopic);
    const gateway = await client(3, {
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await gateway.publishAsync(statusTopic, 'online', { qos: 1, retain: true });
    await watcher.waitFor(1, 10_000);

    await cluster.nodes[2]!.kill();
    // The queue's leader was on node 3; until a new one is elected, RabbitMQ 3.10 answers a
    // publish routed to it by closing the publisher's connection (MQTT 3.1.1 has no negative
    // PUBACK), and the publisher sends it again on a new one.
    const { lost, firstAckMs } = await publishEach(1, 'fleet/durable/gw-1', COUNT);
    console.log(`rabbitmq: first PUBACK ${firstAckMs} ms after the kill, ${lost} publisher connections lost`);
    // The node holding the gateway's will died with it: no `offline` is ever published. A marker
    // published after the kill comes next.
    const other = await client(1);
    await other.publishAsync(statusTopic, 'marker', { qos: 1 });
    await watcher.waitFor(2, 10_000);
    expect(payloads(watcher)).toEqual(['online', 'marker']);

    // The consumer comes back on another node and finds its session and every message.
    const got: string[] = [];
    const again = mqtt.connect(url(2), { clientId: id, clean: false, reconnectPeriod: 0 });
    clients.push(again);
    again.on('message', (_topic, payload) => got.push(String(payload)));
    const [ack] = (await new Promise((resolve, reject) => {
      again.once('connect', (packet) => resolve([packet]));
      again.once('error', reject);
    })) as [{ sessionPresent: boolean }];
    expect(ack.sessionPresent).toBe(true);
    await expect.poll(() => new Set(got).size, { timeout: 20_000 }).toBe(COUNT);
    // In order; a message is repeated only where its publisher lost the connection.
    expect([...new Set(got)]).toEqual(numbers(COUNT));
    expect(got.length - COUNT).toBeLessThanOrEqual(lost);

    // The killed node starts again from its data dir, rejoins, and routes to the other nodes.
    const restartedAt = Date.now();
    await cluster.nodes[2]!.start();
    console.log(`rabbitmq: a killed node took MQTT CONNECTs again after ${Date.now() - restartedAt} ms`);
    const on1 = await subscribe(1, 'fleet/rejoined/#');
    const via3 = await client(3);
    await via3.publishAsync('fleet/rejoined/gw-1', 'back', { qos: 1 });
    await on1.waitFor(1, 10_000);
    expect(payloads(on1)).toEqual(['back']);
  }, 120_000);
});
