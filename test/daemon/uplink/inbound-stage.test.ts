/**
 * The inbound link across uplinks: a reload that swaps the uplink stage (here to another broker
 * and to the threaded uplink) keeps the features' subscriptions without their subscribing again;
 * and with a cluster of two Mosquitto nodes the uplink subscribes on the node it switches to.
 */
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { topics } from '../../../daemon/contract/topics.js';
import type { InboundMessage } from '../../../daemon/inventory/inbound.js';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { InboundLink } from '../../../daemon/uplink/inbound-link.js';
import { ThreadedUplink } from '../../../daemon/uplink/threaded-uplink.js';
import { swapStage, UplinkStage, upstreamOf } from '../../../daemon/uplink-stage.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { baseOptions, tempDirs } from '../outbox/helpers.js';
import { built, clientIdStartingOn, memoryLogger, until, uplinkKinds, uplinkOptions } from './helpers.js';

const dir = tempDirs();
const t = topics('readpoint/v1', 'site-t', 'gw-t');
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const config = (uplink: string) =>
  parseConfig(
    `gateway: { id: gw-t, site: site-t }
dataDir: /var/lib/readpoint
broker: { enabled: false }
uplink: { ${uplink} }
readPoints: [{ id: dock-1, bizStep: shipping }]
readers: [{ id: s1, driver: simulator, readPoint: dock-1 }]
`,
    'stage.yaml',
  );

/** Publishes a retained message as an upstream system would (a retained one reaches later subscriptions). */
async function publishRetained(url: string, topic: string, payload: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  await client.publishAsync(topic, payload, { qos: 1, retain: true });
  await client.endAsync();
}

describe('the inbound link through a reload', () => {
  it('keeps its subscriptions when the uplink stage is swapped for one on another broker and thread', async () => {
    const first = await startMosquitto();
    cleanup.push(() => first.stop());
    const second = await startMosquitto();
    cleanup.push(() => second.stop());
    await publishRetained(first.url, t.inputs.holds[1]!, 'list-on-first');
    await publishRetained(second.url, t.inputs.holds[1]!, 'list-on-second');

    const outbox = new LevelOutbox(dir(), baseOptions, silentLogger());
    await outbox.open();
    cleanup.push(() => outbox.close());
    const link = new InboundLink(t, silentLogger());
    const got: InboundMessage[] = [];
    link.subscribe(t.inputs.holds[1]!, { maxBytes: 1000 }, (m) => got.push(m));

    const before = config(`url: "${first.url}"`);
    const stage = new UplinkStage(before, upstreamOf(before), outbox, t, silentLogger(), link);
    expect(stage.inbound).toBe(link);
    await stage.start();
    await until(() => got.length === 1, 'the retained list on the first broker');

    const after = config(`url: "${second.url}", thread: true`);
    const swapped = await swapStage(
      stage,
      outbox,
      () => new UplinkStage(after, upstreamOf(after), outbox, t, silentLogger(), link),
      () => new UplinkStage(before, upstreamOf(before), outbox, t, silentLogger(), link),
    );
    cleanup.push(() => swapped.running.stop());
    expect(swapped.error).toBeUndefined();
    expect(swapped.running.uplink).toBeInstanceOf(ThreadedUplink);
    await until(() => got.length === 2, 'the retained list on the second broker');
    expect(got.map((m) => [m.payload.toString(), m.retain])).toEqual([
      ['list-on-first', true],
      ['list-on-second', true],
    ]);
    expect(swapped.running.inboundStats()).toMatchObject({ subscriptions: 1, received: 2, tooLarge: 0 });
  });
});

describe.each(uplinkKinds)('$name inbound on a cluster of two nodes', ({ make }) => {
  it('subscribes on the node it switches to when its node dies', async () => {
    const a = await startMosquitto();
    cleanup.push(() => a.stop());
    const b = await startMosquitto();
    cleanup.push(() => b.stop());
    const { log } = memoryLogger();
    const uplink = make(
      uplinkOptions(a.url, { nodes: [a.url, b.url], clientId: clientIdStartingOn(0, 2) }),
      log,
    );
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, log);
    link.attach(uplink);
    const got: string[] = [];
    link.subscribe(`${t.inputs.context}+`, { maxBytes: 1000 }, (m) => got.push(m.payload.toString()));
    await publishRetained(a.url, `${t.inputs.context}dock-1`, 'on-node-0');
    await uplink.start();
    await until(() => got.length === 1, 'the context on node 0');
    expect(uplink.status().node).toBe(0);

    await a.kill();
    await until(() => uplink.status().state === 'connected' && uplink.status().node === 1, 'node 1');
    await publishRetained(b.url, `${t.inputs.context}dock-1`, 'on-node-1');
    await until(() => got.length === 2, 'the context on node 1');
    expect(got).toEqual(['on-node-0', 'on-node-1']);
  });
});

describe('ThreadedUplink inbound when its thread dies', () => {
  it('subscribes again from the new thread', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const { log } = memoryLogger();
    const uplink = new ThreadedUplink(
      uplinkOptions(broker.url, { retry: { minMs: 50, maxMs: 300 } }),
      log,
      built('test/support/crashing-uplink-thread.js'),
    );
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, log);
    link.attach(uplink);
    const got: string[] = [];
    link.subscribe(t.inputs.holds[1]!, { maxBytes: 1000 }, (m) => got.push(m.payload.toString()));
    await publishRetained(broker.url, t.inputs.holds[1]!, 'before');
    await uplink.start();
    await until(() => got.length === 1, 'the list from the first thread');

    // test/support/crashing-uplink-thread.ts throws on this status topic.
    uplink.publishStatus('readpoint-test/uplink-thread/crash', 'x');
    await until(
      () => uplink.status().connects === 2 && uplink.status().state === 'connected',
      'a new thread',
    );
    await publishRetained(broker.url, t.inputs.holds[1]!, 'after');
    await until(() => got.length >= 2 && got.at(-1) === 'after', 'the list from the new thread');
    // The new thread's subscription hands the retained list again, then the new one, or the new one only.
    expect(got[0]).toBe('before');
    expect(got.slice(1).filter((p) => p !== 'before')).toEqual(['after']);
  });
});
