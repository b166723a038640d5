/**
 * The daemon on a real 3-node RabbitMQ cluster (test/support/rabbitmq.ts), uplink.url listing the
 * three nodes: the node the gateway is on (health `uplink.node`) is SIGKILLed mid-stream, started
 * again, and the node the gateway then moved to is SIGKILLed too. A consumer with a persistent
 * session (clean=false: a quorum queue, replicated over the nodes) must receive every
 * rp:sequence 1..N.
 *
 * The first node is started again before the second kill: a quorum queue needs a majority of its
 * three members, so with two nodes down it takes no message at all and the gateway would wait for
 * a node, not fail over. Its restart is watched with raw MQTT CONNECTs, to see what a booting
 * node answers a gateway that tries it.
 *
 * Duplicates are bounded by one in-flight window per connection the gateway lost (the killed
 * node's, and any RabbitMQ closes while a queue elects a new leader, docs/fleet.md) plus the
 * consumer's unacknowledged deliveries (mqtt.prefetch, 10) per consumer reconnect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstNode } from '../../../daemon/uplink/broker-node.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import { EVENTS_FILTER, outboxState, streamingReader, until } from '../../support/faults.js';
import { type RabbitCluster, startRabbitCluster } from '../../support/rabbitmq.js';

const EVENTS = 10_000;
const RATE = 400;
const WINDOW = 100;
/** RabbitMQ's mqtt.prefetch default: unacknowledged deliveries per consumer. */
const PREFETCH = 10;

let dir: string;
let cluster: RabbitCluster | undefined;
let daemon: DaemonProcess | undefined;
let consumer: DurableConsumer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-rabbit-kill-'));
  cluster = await startRabbitCluster({ nodes: 3 });
  console.log(`rabbitmq node-kill: 3-node cluster took MQTT CONNECTs after ${cluster.startMs} ms`);
}, 120_000);

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await consumer?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Arrival {
  seq: number;
  at: number;
}

/**
 * A clean=false consumer that moves to the next node when its connection closes; its session (a
 * quorum queue) is on every node, so it misses nothing that RabbitMQ acknowledged.
 */
class DurableConsumer {
  readonly arrivals: Arrival[] = [];
  reconnects = 0;
  private client: MqttClient | undefined;
  private closing = false;

  constructor(
    private readonly urls: readonly string[],
    private node: number,
    private readonly clientId: string,
  ) {}

  /** Resolves once subscribed (the quorum queue exists from then on). */
  open(): Promise<void> {
    return new Promise((resolve) => this.connect(resolve));
  }

  get on(): number {
    return this.node;
  }

  private connect(subscribed?: () => void): void {
    if (this.closing) return;
    const client = mqtt.connect(this.urls[this.node]!, {
      clientId: this.clientId,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    this.client = client;
    client.on('error', () => {}); // a close follows, and with it the next node
    client.on('message', (_topic, payload) => {
      const seq = (JSON.parse(payload.toString('utf8')) as { 'rp:sequence': number })['rp:sequence'];
      this.arrivals.push({ seq, at: Date.now() });
    });
    client.on('connect', () => {
      client.subscribe(EVENTS_FILTER, { qos: 1 }, (err) => {
        if (!err) subscribed?.();
      });
    });
    client.once('close', () => {
      if (this.closing) return;
      this.reconnects++;
      this.node = (this.node + 1) % this.urls.length;
      setTimeout(() => this.connect(subscribed), 100);
    });
  }

  distinct(): number {
    return new Set(this.arrivals.map((a) => a.seq)).size;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.client?.endAsync(true);
  }
}

type Outcome = 'refused' | 'closed before CONNACK' | 'no answer' | `CONNACK ${number}`;

/** One raw MQTT 3.1.1 CONNECT to `port`: what the node answers. */
function connectOutcome(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const id = Buffer.from('rp-boot-watch');
    const body = Buffer.concat([
      Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, id.length]),
      id,
    ]);
    const socket = connect(port, '127.0.0.1');
    let opened = false;
    const done = (o: Outcome) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(o);
    };
    socket.setTimeout(3000, () => done('no answer'));
    socket.once('connect', () => {
      opened = true;
      socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    });
    socket.once('error', () => done(opened ? 'closed before CONNACK' : 'refused'));
    socket.once('close', () => done(opened ? 'closed before CONNACK' : 'refused'));
    socket.once('data', (d) => done(d[0] === 0x20 ? `CONNACK ${d[3] ?? -1}` : 'closed before CONNACK'));
  });
}

/** Starts `node` again while raw CONNECTs watch it; returns each change of answer, ms after the start. */
async function startWatched(index: number): Promise<{ ms: number; outcome: Outcome }[]> {
  const node = cluster!.nodes[index]!;
  const began = Date.now();
  const seen: { ms: number; outcome: Outcome }[] = [];
  let booted = false;
  const watch = (async () => {
    while (!booted) {
      const outcome = await connectOutcome(node.mqttPort);
      if (seen.at(-1)?.outcome !== outcome) seen.push({ ms: Date.now() - began, outcome });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await node.start();
  booted = true;
  await watch;
  return seen;
}

interface UplinkHealth {
  state: string;
  connects: number;
  node?: number;
  nodeUrl?: string;
  nodeSwitches?: number;
}
const uplinkOf = (line: LogLine) => (line.health as { uplink: UplinkHealth }).uplink;
const healthWith = (d: DaemonProcess, holds: (u: UplinkHealth) => boolean, since: number) =>
  d.waitForLog((l) => l.msg === 'health' && holds(uplinkOf(l)), 20_000, since);

/** The longest gap between arrivals within [from, from + spanMs]: the stall as the consumer saw it. */
function longestGap(arrivals: readonly Arrival[], from: number, spanMs: number): number {
  const times = arrivals.map((a) => a.at).filter((t) => t >= from && t <= from + spanMs);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

describe('the daemon on a 3-node RabbitMQ cluster', () => {
  it('moves on when the node it is on is SIGKILLed, twice; a persistent consumer gets every sequence', async () => {
    const c = cluster!;
    const config = writeE2eConfig({
      dir,
      uplinkUrl: `[${c.urls.join(', ')}]`,
      readers: streamingReader({ readsPerSecond: RATE, limit: EVENTS }),
      inflight: WINDOW,
    });
    // The gateway starts on the node its client id hashes to; the consumer on a node the first
    // kill spares, its queue made before the first event is published.
    const start = firstNode('readpoint-site-test-gw-test', 3);
    consumer = new DurableConsumer(c.urls, (start + 2) % 3, 'rp-fleet-consumer');
    await consumer.open();
    daemon = startDaemon(config);
    const d = daemon;
    const first = await healthWith(d, (u) => u.state === 'connected', 0);
    expect(uplinkOf(first)).toMatchObject({ node: start, nodeUrl: c.urls[start], nodeSwitches: 0 });
    const sink = consumer;

    const killedAt: number[] = [];
    const switchMs: number[] = [];
    let boot: { ms: number; outcome: Outcome }[] = [];
    let on = start;
    for (const [kill, position] of [
      [1, 1500],
      [2, 0],
    ] as const) {
      const at = kill === 1 ? position : sink.distinct() + 800;
      expect(at, 'the stream must still run at the second kill').toBeLessThan(EVENTS - 2000);
      await until(
        () => sink.distinct() >= at,
        60_000,
        () => `${sink.distinct()} of ${at} before kill ${kill}`,
      );
      const since = d.logs.length;
      await c.nodes[on]!.kill();
      killedAt.push(Date.now());
      const moved = await d.waitForLog(
        (l) => l.msg === 'uplink switched to another broker node',
        20_000,
        since,
      );
      switchMs.push(Date.parse(String(moved.time)) - killedAt.at(-1)!);
      expect(moved.fromNode).toBe(on);
      expect(moved.node).not.toBe(on);
      const health = await healthWith(d, (u) => u.state === 'connected' && u.node !== on, since);
      expect(uplinkOf(health)).toMatchObject({ nodeUrl: c.urls[uplinkOf(health).node!] });
      expect(uplinkOf(health).nodeSwitches).toBeGreaterThanOrEqual(kill);
      const killed = on;
      on = uplinkOf(health).node!;
      // Two nodes down would leave the quorum queues without a majority: start the first again.
      if (kill === 1) boot = await startWatched(killed);
    }

    await until(
      () => sink.distinct() === EVENTS,
      60_000,
      () => {
        const got = new Set(sink.arrivals.map((a) => a.seq));
        const missing = Array.from({ length: EVENTS }, (_, i) => i + 1).filter((s) => !got.has(s));
        const health = d.logs.filter((l) => l.msg === 'health').at(-1)?.health;
        const uplinkLog = d.logs
          .filter((l) => l.msg.startsWith('uplink') && l.msg !== 'uplink connected')
          .map((l) => [l.msg, l.node, l.lastError, l.retryInMs]);
        return (
          `${sink.distinct()} of ${EVENTS} distinct events at the consumer (on node ${sink.on}, ` +
          `${sink.reconnects} reconnects); missing ${missing.length}: ${missing.slice(0, 20).join(' ')} .. ` +
          `${missing.slice(-5).join(' ')}; last health ${JSON.stringify(health)}; uplink log ${JSON.stringify(uplinkLog)}`
        );
      },
    );
    const last = await d.waitForLog((l) => {
      if (l.msg !== 'health') return false;
      const outbox = (l.health as { outbox: { depth: number; lastSeq: number } }).outbox;
      return outbox.depth === 0 && outbox.lastSeq === EVENTS;
    }, 20_000);
    expect(await d.kill('SIGTERM')).toBe(0);
    const { lastSeq, depth } = await outboxState(join(dir, 'data'));
    expect([lastSeq, depth]).toEqual([EVENTS, 0]);

    const seqs = sink.arrivals.map((a) => a.seq);
    expect(new Set(seqs)).toEqual(new Set(Array.from({ length: EVENTS }, (_, i) => i + 1)));
    expect(seqs.filter((s) => s < 1 || s > EVENTS)).toEqual([]);
    const lost = d.logs.filter((l) => l.msg === 'uplink connection lost').length;
    const duplicates = seqs.length - EVENTS;
    expect(lost).toBeGreaterThanOrEqual(2);
    expect(duplicates).toBeLessThanOrEqual(WINDOW * lost + PREFETCH * sink.reconnects);
    const switches = uplinkOf(last).nodeSwitches!;
    expect(switches).toBeGreaterThanOrEqual(2);
    expect(d.logs.filter((l) => l.msg === 'uplink switched to another broker node')).toHaveLength(switches);

    // Each kill's window ends where the next one's begins.
    const gaps = killedAt.map((t, i) =>
      longestGap(sink.arrivals, t - 1000, Math.min(30_000, (killedAt[i + 1] ?? Infinity) - t)),
    );
    console.log(
      `rabbitmq node-kill: ${EVENTS} events at ${RATE}/s, started on node ${start}, ${lost} connections lost, ` +
        `${switches} node switches, ${duplicates} duplicates (bound ${WINDOW * lost + PREFETCH * sink.reconnects}), ` +
        `consumer reconnects ${sink.reconnects}; per kill: switch logged ${switchMs.join(' / ')} ms after the ` +
        `SIGKILL, longest gap at the consumer ${gaps.join(' / ')} ms`,
    );
    console.log(`rabbitmq node-kill: a restarting node answered: ${JSON.stringify(boot)}`);
    console.log(
      `rabbitmq node-kill: uplink log: ${JSON.stringify(
        d.logs
          .filter((l) => l.msg.startsWith('uplink') && l.msg !== 'uplink connected')
          .map((l) => [l.msg, l.node, l.lastError, l.retryInMs]),
      )}`,
    );
  }, 300_000);
});
