/**
 * The real daemon against a real RabbitMQ node (Debian's rabbitmq-server with its MQTT plugin,
 * started by test/support/rabbitmq.ts): MQTT 3.1.1 as a clustered central broker speaks it.
 * Events arrive at QoS 1, complete and in rp:sequence order with their bytes unchanged; the
 * retained `online` status and the `offline` will reach subscribers; and ids with `.` come out
 * with `/` in their place, because RabbitMQ maps MQTT's `/` to AMQP's `.` and back. QoS 2 is
 * served as QoS 1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gtinCheckDigit } from '../../../daemon/identity/epc-encode.js';
import { type DaemonProcess, startDaemon } from '../../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../../support/e2e-config.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { openPty, type Pty } from '../../support/pty.js';
import { type RabbitCluster, startRabbitCluster } from '../../support/rabbitmq.js';
import { ownErrors } from '../../support/schemas.js';

const gtin13 = '950600013435';
const GTIN = `0${gtin13}${gtinCheckDigit(`0${gtin13}`)}`.slice(-14);
const serial = (i: number) => `SN${String(i).padStart(6, '0')}`;
const scan = (i: number) => `]d201${GTIN}21${serial(i)}\x1d10LOT${i % 7}\r`;

let dir: string;
let rabbit: RabbitCluster;
let url: string;
const daemons: DaemonProcess[] = [];
const ptys: Pty[] = [];
const collectors: Collector[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-rabbitmq-e2e-'));
  rabbit = await startRabbitCluster({ nodes: 1 });
  url = rabbit.urls[0]!;
  console.log(`rabbitmq: 1 node took MQTT CONNECTs after ${rabbit.startMs} ms`);
}, 120_000);

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  for (const c of collectors) await c.close();
  for (const p of ptys) await p.close();
  await rabbit?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A daemon for `site`/`gateway` reading a fresh pseudo-terminal scanner, with its own data dir. */
async function gateway(name: string, site: string, gatewayId: string) {
  const home = join(dir, name);
  mkdirSync(home);
  const pty = await openPty(home);
  ptys.push(pty);
  const file = writeE2eConfig({
    dir: home,
    uplinkUrl: url,
    liveShare: 0,
    readers: serialReaderYaml(pty.readerPath, { baudRate: 115200, delimiter: 'CR' }),
  });
  writeFileSync(
    file,
    readFileSync(file, 'utf8')
      .replace('  id: gw-test\n', `  id: ${gatewayId}\n`)
      .replace('  site: site-test\n', `  site: ${site}\n`),
  );
  const start = async () => {
    const daemon = startDaemon(file);
    daemons.push(daemon);
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
    return daemon;
  };
  const feed = async (from: number, to: number) => {
    let chunk = '';
    for (let i = from; i < to; i++) chunk += scan(i);
    await pty.write(chunk);
  };
  return { start, feed };
}

async function subscribe(filter: string): Promise<Collector> {
  const c = await collect(url, filter);
  collectors.push(c);
  return c;
}

/** A QoS 1 publish by a client of its own, resolved on PUBACK. */
async function publish(topic: string, payload: string) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  await client.publishAsync(topic, payload, { qos: 1 });
  await client.endAsync();
}

const texts = (c: Collector) => c.messages.map((m) => [String(m.payload), m.retain]);

describe('the daemon against a RabbitMQ node', () => {
  it('delivers QoS 1 events complete, in sequence, byte for byte; status and will reach subscribers', async () => {
    const TOTAL = 500;
    const base = 'readpoint/v1/site-test/gw-test';
    const events = await subscribe(`${base}/events/+`);
    const status = await subscribe(`${base}/status`);
    const gw = await gateway('plain', 'site-test', 'gw-test');
    let daemon = await gw.start();
    await gw.feed(0, TOTAL);
    await events.waitFor(TOTAL, 30_000);

    for (const m of events.messages) {
      expect(m.topic).toBe(`${base}/events/conveyor-1`);
      expect([m.qos, m.retain]).toEqual([1, false]);
    }
    const parsed = events.messages.map((m) => JSON.parse(String(m.payload)));
    // The event bytes are the daemon's JSON.stringify output; the broker adds or changes nothing.
    for (const [i, m] of events.messages.entries()) {
      expect(m.payload.equals(Buffer.from(JSON.stringify(parsed[i])))).toBe(true);
    }
    expect(parsed.map((e) => e['rp:sequence'])).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(parsed.map((e) => e['rp:unit'].serial)).toEqual(
      Array.from({ length: TOTAL }, (_, i) => serial(i)),
    );
    expect(parsed.filter((e) => ownErrors(e).length > 0)).toEqual([]);

    // `online` live to the subscriber already there, and retained for one that comes later.
    await status.waitFor(1, 10_000);
    expect(texts(status)).toEqual([['online', false]]);
    const late = await subscribe(`${base}/status`);
    await late.waitFor(1, 10_000);
    expect(texts(late)).toEqual([['online', true]]);

    // A power cut: the will `offline` reaches the subscriber that is there, and is retained.
    expect(await daemon.kill('SIGKILL')).toBe('SIGKILL');
    await status.waitFor(2, 10_000);
    expect(texts(status)).toEqual([
      ['online', false],
      ['offline', false],
    ]);
    const afterCrash = await subscribe(`${base}/status`);
    await afterCrash.waitFor(1, 10_000);
    expect(texts(afterCrash)).toEqual([['offline', true]]);

    // A clean stop publishes `offline` itself, retained: a later subscriber is told.
    daemon = await gw.start();
    await status.waitFor(3, 10_000);
    expect(await daemon.kill('SIGTERM')).toBe(0);
    await status.waitFor(4, 10_000);
    expect(texts(status).slice(2)).toEqual([
      ['online', false],
      ['offline', false],
    ]);
    const afterStop = await subscribe(`${base}/status`);
    await afterStop.waitFor(1, 10_000);
    expect(texts(afterStop)).toEqual([['offline', true]]);
    // RabbitMQ 3.10 hands retained messages only to a filter that is exactly the topic: one with
    // a wildcard gets none. A marker published after the SUBACK comes after any retained message.
    const wildcard = await subscribe('readpoint/v1/site-test/+/status');
    await publish('readpoint/v1/site-test/marker/status', 'marker');
    await wildcard.waitFor(1, 10_000);
    expect(wildcard.messages.map((m) => [m.topic, String(m.payload), m.retain])).toEqual([
      ['readpoint/v1/site-test/marker/status', 'marker', false],
    ]);
    // Whatever the restart sent again (deletes not yet on disk at the power cut) is a duplicate.
    const sequences = new Set(events.messages.map((m) => JSON.parse(String(m.payload))['rp:sequence']));
    expect([sequences.size, Math.max(...sequences)]).toEqual([TOTAL, TOTAL]);
  }, 60_000);

  it('turns a `.` in site or gateway ids into a topic level: `site.a/gw.7` arrives as `site/a/gw/7`', async () => {
    const COUNT = 50;
    const exact = await subscribe('readpoint/v1/site.a/gw.7/events/+');
    const levels = await subscribe('readpoint/v1/+/+/events/+');
    const gw = await gateway('dotted', 'site.a', 'gw.7');
    const daemon = await gw.start();
    await gw.feed(0, COUNT);
    // A filter naming the ids still matches (its `.` are word separators too) ...
    await exact.waitFor(COUNT, 30_000);
    expect(new Set(exact.messages.map((m) => m.topic))).toEqual(
      new Set(['readpoint/v1/site/a/gw/7/events/conveyor-1']),
    );
    expect(exact.messages.map((m) => JSON.parse(String(m.payload))['rp:gateway'])).toEqual(
      Array(COUNT).fill('gw.7'),
    );
    // ... but one level per id does not. A marker published after every event was acknowledged
    // is routed after them, so once it is in, no event will follow.
    await publish('readpoint/v1/m/m/events/m', 'marker');
    await levels.waitFor(1, 10_000);
    expect(levels.messages.map((m) => m.topic)).toEqual(['readpoint/v1/m/m/events/m']);
    expect(await daemon.kill('SIGTERM')).toBe(0);
  }, 60_000);

  it('grants a QoS 2 subscription as QoS 1 and delivers a QoS 2 publish at QoS 1', async () => {
    const subscriber = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    try {
      const got: [string, number][] = [];
      subscriber.on('message', (_topic, payload, packet) => got.push([String(payload), packet.qos]));
      const granted = await subscriber.subscribeAsync('qos/#', { qos: 2 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
      const publisher = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
      await publisher.publishAsync('qos/two', 'exactly-once?', { qos: 2 });
      await publisher.endAsync();
      await expect.poll(() => got.length, { timeout: 10_000 }).toBe(1);
      expect(got).toEqual([['exactly-once?', 1]]);
    } finally {
      await subscriber.endAsync();
    }
  });
});
