/**
 * `uplink.thread` in the uplink stage: with a broker URL the stage runs the threaded uplink and
 * the dispatcher drains the outbox through it, in order, acknowledging (deleting) each event; with
 * the embedded broker's in-process stream the stage keeps the main-thread uplink.
 */
import { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { topics } from '../../../daemon/contract/topics.js';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { MqttUplink } from '../../../daemon/uplink/mqtt-uplink.js';
import { ThreadedUplink } from '../../../daemon/uplink/threaded-uplink.js';
import { UplinkStage, upstreamOf } from '../../../daemon/uplink-stage.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import { baseOptions, put, tempDirs } from '../outbox/helpers.js';
import { until } from './helpers.js';

const dir = tempDirs();
let broker: Mosquitto;
const cleanup: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await broker?.stop();
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

async function outbox(): Promise<LevelOutbox> {
  const o = new LevelOutbox(dir(), baseOptions, silentLogger());
  await o.open();
  cleanup.push(() => o.close());
  return o;
}

describe('UplinkStage with uplink.thread', () => {
  it('drains the outbox through the threaded uplink, in order, deleting what the broker acknowledged', async () => {
    const c = config(`url: "${broker.url}", thread: true, inflight: 20`);
    const t = topics(c.uplink.topicPrefix, c.gateway.site, c.gateway.id);
    const o = await outbox();
    const events = await collect(broker.url, 't/#');
    cleanup.push(() => events.close());
    await put(o, 500);
    const stage = new UplinkStage(c, upstreamOf(c), o, t, silentLogger());
    cleanup.push(() => stage.stop());
    expect(stage.uplink).toBeInstanceOf(ThreadedUplink);
    await stage.start();
    await events.waitFor(500, 10_000);
    expect(events.messages.map((m) => m.payload.toString())).toEqual(
      Array.from({ length: 500 }, (_, i) => `event ${i + 1}`),
    );
    expect(events.messages.map((m) => m.topic)).toEqual(Array.from({ length: 500 }, (_, i) => `t/${i + 1}`));
    await until(() => o.stats().depth === 0, 'every event acknowledged');
    expect(stage.dispatcher.stats().published).toBe(500);
    expect(stage.uplink.status()).toMatchObject({ state: 'connected', connects: 1, inflight: 0 });
    await stage.stop();
    expect(stage.uplink.status().state).toBe('stopped');
  });

  it('keeps the main-thread uplink for the embedded broker in process (its stream cannot cross), and when off', async () => {
    const c = config('thread: true');
    const t = topics(c.uplink.topicPrefix, c.gateway.site, c.gateway.id);
    const upstream = upstreamOf(c, {
      host: '127.0.0.1',
      port: 1883,
      stream: () => new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() }),
    });
    const stage = new UplinkStage(c, upstream, await outbox(), t, silentLogger());
    expect(stage.uplink).toBeInstanceOf(MqttUplink);
    // And with the setting off (the default), whatever the upstream.
    const off = config(`url: "${broker.url}"`);
    expect(off.uplink.thread).toBe(false);
    expect(new UplinkStage(off, upstreamOf(off), await outbox(), t, silentLogger()).uplink).toBeInstanceOf(
      MqttUplink,
    );
  });
});
