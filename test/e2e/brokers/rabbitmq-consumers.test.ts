/**
 * Consumers that scale out on a real RabbitMQ node (test/support/rabbitmq.ts): the recipe of
 * docs/examples/rabbitmq-workers.ts, the file docs/consuming.md quotes, with three workers on
 * one quorum queue bound to `amq.topic` and three gateway-like MQTT publishers that send
 * duplicates, an announced drop and an unannounced one. And `readpoint tail --session` keeping
 * its queue on RabbitMQ while it is away.
 */
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OverflowNotice } from '../../../daemon/contract/topics.js';
import {
  EVENTS_QUEUE,
  type EventKey,
  MemoryLedger,
  startWorker,
  type Worker,
} from '../../../docs/examples/rabbitmq-workers.js';
import { labelEvent } from '../../cli/tail-fixtures.js';
import { startTail, type Tail } from '../../cli/tail-process.js';
import { type RabbitCluster, startRabbitCluster } from '../../support/rabbitmq.js';

let rabbit: RabbitCluster;
let mqttUrl: string;
let amqpUrl: string;

beforeAll(async () => {
  rabbit = await startRabbitCluster({ nodes: 1 });
  mqttUrl = rabbit.urls[0]!;
  amqpUrl = `amqp://guest:guest@127.0.0.1:${rabbit.nodes[0]!.amqpPort}`;
}, 120_000);

afterAll(async () => {
  await rabbit?.stop();
});

const eventsTopic = (gateway: string) => `readpoint/v1/site-1/${gateway}/events/dock-1`;

/** One gateway's uplink: QoS 1, each PUBACK awaited, so its events reach the queue in this order. */
async function gatewayPublisher(gateway: string): Promise<MqttClient> {
  return mqtt.connectAsync(mqttUrl, { clientId: `rp-${gateway}`, reconnectPeriod: 0 });
}

function notice(gateway: string, ranges: [number, number][]): string {
  const n: OverflowNotice = {
    gateway,
    site: 'site-1',
    policy: 'drop-oldest',
    dropped: ranges.reduce((sum, [a, b]) => sum + b - a + 1, 0),
    firstSeq: ranges[0]![0],
    lastSeq: ranges.at(-1)![1],
    firstAt: '2026-03-01T07:59:00.000Z',
    lastAt: '2026-03-01T07:59:01.000Z',
    ranges,
    totalDropped: 3,
    time: '2026-03-01T08:00:00.500Z',
  };
  return JSON.stringify(n);
}

describe('workers sharing one quorum queue on RabbitMQ (docs/examples/rabbitmq-workers.ts)', () => {
  it('process every event once over all workers, count the duplicates, find the gaps, spread the work', async () => {
    const N = 200;
    const gateways = ['gw-a', 'gw-b', 'gw-c'];
    // gw-c's outbox dropped 50-52 (announced) and 100 went missing (not announced).
    const skipped = (gateway: string, seq: number) =>
      gateway === 'gw-c' && ((seq >= 50 && seq <= 52) || seq === 100);
    const expectedIds = new Set<string>();
    const processed = new Map<string, string[]>(); // eventID -> the workers that did its work
    let attemptsOfFailing = 0;
    let worker = '';
    const ledger = new MemoryLedger(async (key: EventKey) => {
      // The first attempt at gw-b #7 fails: its message goes back to the queue.
      if (key.gateway === 'site-1/gw-b' && key.seq === 7 && attemptsOfFailing++ === 0)
        throw new Error('database busy');
      processed.set(key.eventID, [...(processed.get(key.eventID) ?? []), worker]);
    });
    // Which worker does the work: each gets a ledger view that names it.
    const workers: Worker[] = [];
    for (const name of ['w1', 'w2', 'w3']) {
      const named = {
        process: (key: EventKey, event: Record<string, unknown>) => {
          worker = name;
          return ledger.process(key, event);
        },
        dropped: ledger.dropped.bind(ledger),
      };
      workers.push(await startWorker(amqpUrl, named, 5));
    }
    try {
      let messages = 0;
      let duplicates = 0;
      await Promise.all(
        gateways.map(async (gateway) => {
          const publisher = await gatewayPublisher(gateway);
          for (let seq = 1; seq <= N; seq++) {
            if (skipped(gateway, seq)) continue;
            const payload = labelEvent(seq, 'site-1', gateway);
            expectedIds.add(JSON.parse(payload).eventID);
            await publisher.publishAsync(eventsTopic(gateway), payload, { qos: 1 });
            messages++;
            if (seq % 10 === 0) {
              // A redelivery, as after a reconnect in the in-flight window.
              await publisher.publishAsync(eventsTopic(gateway), payload, { qos: 1 });
              messages++;
              duplicates++;
            }
          }
          if (gateway === 'gw-c') {
            await publisher.publishAsync('readpoint/v1/site-1/gw-c/overflow', notice('gw-c', [[50, 52]]), {
              qos: 1,
            });
            messages++;
          }
          await publisher.endAsync();
        }),
      );
      const acknowledged = () => workers.reduce((sum, w) => sum + w.acknowledged, 0);
      await expect.poll(acknowledged, { timeout: 15_000 }).toBe(messages);

      expect(ledger.size).toBe(expectedIds.size);
      expect(new Set(processed.keys())).toEqual(expectedIds);
      expect([...processed.values()].filter((by) => by.length !== 1)).toEqual([]);
      expect(ledger.duplicates).toBe(duplicates);
      expect(attemptsOfFailing).toBe(2);
      expect(ledger.gaps()).toEqual([
        { gateway: 'site-1/gw-c', from: 50, to: 52, explained: true },
        { gateway: 'site-1/gw-c', from: 100, to: 100, explained: false },
      ]);
      // Every worker took a share.
      const shares = workers.map((w) => w.acknowledged);
      expect(shares.filter((n) => n === 0)).toEqual([]);
      const byWorker = new Map<string, number>();
      for (const [by] of processed.values()) byWorker.set(by!, (byWorker.get(by!) ?? 0) + 1);
      expect([...byWorker.keys()].sort()).toEqual(['w1', 'w2', 'w3']);

      // Nothing is left in the queue, nothing unacknowledged.
      const connection = await amqp.connect(amqpUrl);
      try {
        const channel = await connection.createChannel();
        const q = await channel.checkQueue(EVENTS_QUEUE);
        expect([q.messageCount, q.consumerCount]).toEqual([0, 3]);
      } finally {
        await connection.close();
      }
    } finally {
      for (const w of workers) await w.stop();
    }
  }, 30_000);

  it('is the code docs/consuming.md quotes', () => {
    const doc = readFileSync(new URL('../../../docs/consuming.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL('../../../docs/examples/rabbitmq-workers.ts', import.meta.url), 'utf8');
    const quoted = /<!-- docs\/examples\/rabbitmq-workers\.ts -->\n```ts\n([\s\S]*?)```\n/.exec(doc);
    expect(quoted?.[1]).toBe(code);
  });
});

/** `kind #seq` of each `--dedup --json` line. */
const verdicts = (t: Tail) =>
  t.lines.map((l) => JSON.parse(l)).map((v) => (v.kind === 'summary' ? 'summary' : `${v.kind} #${v.seq}`));

describe('readpoint tail --session on RabbitMQ', () => {
  it('keeps a queue while tail is away, delivers it when tail is back; removed, the session starts anew', async () => {
    const tail = () =>
      startTail([
        '--url',
        mqttUrl,
        '--site',
        'site-1',
        '--gateway',
        'gw-s',
        '--dedup',
        '--json',
        '--session',
        'rabbit-1',
      ]);
    const publisher = await gatewayPublisher('gw-s');
    const publish = async (seqs: number[]) => {
      for (const seq of seqs)
        await publisher.publishAsync(eventsTopic('gw-s'), labelEvent(seq, 'site-1', 'gw-s'), { qos: 1 });
    };
    const connection = await amqp.connect(amqpUrl);
    try {
      const first = tail();
      await first.waitForStderr(/started the session readpoint-tail-rabbit-1/);
      await first.waitForStderr(/subscribed to /);
      await publish([1, 2]);
      await first.waitForLines(2);
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);

      await publish([3, 4, 4, 5]);
      // The session is a queue named after the client id; it holds what came meanwhile.
      const channel = await connection.createChannel();
      const queue = 'mqtt-subscription-readpoint-tail-rabbit-1qos1';
      expect((await channel.checkQueue(queue)).messageCount).toBe(4);

      const again = tail();
      await again.waitForStderr(/resumed the session readpoint-tail-rabbit-1/);
      await again.waitForLines(4);
      again.child.kill('SIGINT');
      expect(await again.exited).toBe(0);
      expect([...verdicts(first), ...verdicts(again)]).toEqual([
        'event #1',
        'event #2',
        'summary',
        'event #3',
        'event #4',
        'duplicate #4',
        'event #5',
        'summary',
      ]);

      // Removing the queue ends the session: what is published then is kept for nobody.
      await channel.deleteQueue(queue);
      await publish([6]);
      const anew = tail();
      await anew.waitForStderr(/started the session readpoint-tail-rabbit-1/);
      await anew.waitForStderr(/subscribed to /);
      await publish([7]);
      await anew.waitForLines(1);
      anew.child.kill('SIGINT');
      expect(await anew.exited).toBe(0);
      expect(verdicts(anew)).toEqual(['event #7', 'summary']);
    } finally {
      await connection.close();
      await publisher.endAsync();
    }
  }, 30_000);
});
