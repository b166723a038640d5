/**
 * Three Mosquittos stand in for the nodes of one clustered broker. The node the uplink is on is
 * SIGKILLed mid-stream twice; the test plays the dispatcher (a rejected publish is sent again
 * after the next `up`, from the lowest unacknowledged sequence). Every sequence must arrive,
 * across the nodes, with duplicates only from the in-flight window lost with each node; the
 * retained `online` must be on every node the uplink connected to; the status names the node.
 *
 * As in broker-restart.test.ts, a proxy per node withholds the PUBACKs before each kill, so the
 * window is full and already forwarded to the node's subscriber: a crash at an arbitrary instant
 * could also lose what Mosquitto acknowledged but had not yet written out, the broker's loss.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import {
  clientIdStartingOn,
  eventTopic,
  memoryLogger,
  publishAll,
  range,
  sequenceOf,
  statusTopic,
  until,
  uplinkKinds,
  uplinkOptions,
} from './helpers.js';
import { wireProxy } from './wire-proxy.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe.each(uplinkKinds)('$name across the nodes of a cluster', ({ make }) => {
  it('moves to the next node when the one it is on is SIGKILLed, twice, and loses nothing', async () => {
    const total = 3000;
    const inflight = 100;
    const nodes = await Promise.all([0, 1, 2].map(() => startMosquitto()));
    for (const node of nodes) cleanup.push(() => node.stop());
    const proxies = await Promise.all(nodes.map((node) => wireProxy(node.port, eventTopic)));
    for (const proxy of proxies) cleanup.push(() => proxy.close());
    const collectors = await Promise.all(
      nodes.map((node) => collect(node.url, 'readpoint/v1/site-t/gw-t/#')),
    );
    for (const collector of collectors) cleanup.push(() => collector.close());
    const { log, lines } = memoryLogger();
    // The default retry delays: the first attempt after a loss waits 250-500 ms.
    const uplink = make(
      uplinkOptions(proxies[0]!.url, {
        clientId: clientIdStartingOn(0, 3),
        nodes: proxies.map((p) => p.url),
        inflight,
        retry: { minMs: 500, maxMs: 30_000 },
      }),
      log,
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();
    expect(uplink.status()).toMatchObject({
      state: 'connected',
      node: 0,
      nodeSwitches: 0,
      url: proxies[0]!.url,
    });

    const stream = publishAll(uplink, { total, holdAt: total + 1, hold: () => {} });
    cleanup.push(async () => stream.abandon());
    const events = (i: number) => collectors[i]!.messages.filter((m) => m.topic === eventTopic);

    const killed: number[] = [];
    const stalls: number[] = [];
    for (const [on, next, after] of [
      [0, 1, 800],
      [1, 2, 1800],
    ] as const) {
      await until(() => stream.acked.size >= after, `${after} acknowledged on node ${on}`, 10_000);
      proxies[on]!.hold();
      await until(
        () => proxies[on]!.outstanding === inflight && !uplink.canPublish(),
        `a full in-flight window on node ${on}`,
      );
      const acked = stream.acked.size;
      killed.push(acked);
      // The window reached the node's subscriber before the node dies.
      const before = on === 0 ? 0 : (killed[0] as number);
      await until(() => events(on).length >= acked + inflight - before, 'the window at the subscriber');
      await nodes[on]!.kill();
      const at = performance.now();
      await until(() => stream.acked.size > acked, `the next PUBACK, from node ${next}`, 10_000);
      stalls.push(performance.now() - at);
      expect(uplink.status()).toMatchObject({ node: next, nodeSwitches: next, url: proxies[next]!.url });
    }
    await stream.done;

    const [first, second] = killed as [number, number];
    const received = [0, 1, 2].flatMap((i) => events(i).map((m) => sequenceOf(m.payload)));
    // Node 0 got 1..first+window; node 1 that window again and on to second+window; node 2 the rest.
    expect(received).toEqual([
      ...range(1, first + inflight),
      ...range(first + 1, second + inflight),
      ...range(second + 1, total),
    ]);
    expect(stream.rejections).toEqual(Array(2 * inflight).fill('UplinkDisconnectedError'));
    expect(uplink.status()).toMatchObject({
      state: 'connected',
      connects: 3,
      node: 2,
      nodeSwitches: 2,
      inflight: 0,
    });

    // The retained `online` went to each node as the uplink connected to it.
    for (const i of [0, 1, 2]) {
      const status = collectors[i]!.messages.filter((m) => m.topic === statusTopic);
      expect(status.map((m) => m.payload.toString())).toEqual(['online']);
    }
    const online = await collect(nodes[2]!.url, statusTopic);
    cleanup.push(() => online.close());
    await online.waitFor(1, 5000);
    expect(online.messages[0]).toMatchObject({ retain: true });
    expect(online.messages[0]!.payload.toString()).toBe('online');

    const switches = lines
      .map((line) => JSON.parse(line) as { msg: string; node?: number; fromNode?: number; url?: string })
      .filter((line) => line.msg === 'uplink switched to another broker node');
    expect(switches.map((s) => [s.fromNode, s.node, s.url])).toEqual([
      [0, 1, proxies[1]!.url],
      [1, 2, proxies[2]!.url],
    ]);
    console.log(
      `node failover: ${total} delivered, ${received.length - total} duplicates, next PUBACK ${stalls
        .map((ms) => `${Math.round(ms)} ms`)
        .join(' and ')} after each SIGKILL`,
    );
  });
});
