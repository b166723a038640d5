/**
 * The gateway's own session over the embedded broker's in-process stream: delivery, the health
 * count, reconnects through a fresh stream, the link watchdog, and a clean stop.
 */
import type { Duplex } from 'node:stream';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../daemon/broker/embedded-broker.js';
import { silentLogger } from '../../../daemon/log.js';
import { MqttUplink } from '../../../daemon/uplink/mqtt-uplink.js';
import { collect } from '../../support/mqtt-collector.js';
import {
  eventPayload,
  eventTopic,
  sequenceOf,
  statusTopic,
  until,
  uplinkOptions,
} from '../uplink/helpers.js';

const topicBase = 'readpoint/v1/site-t/gw-t';
const FLOOR = { username: 'floor', password: 'floor-1' };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A broker and an uplink over its in-process stream; `streams` are the uplink's ends, one per attempt. */
async function gatewayOverStream(keepaliveS = 5) {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, topicBase, ...FLOOR }, silentLogger());
  await broker.start();
  cleanup.push(() => broker.stop());
  const url = `mqtt://127.0.0.1:${broker.address().port}`;
  const streams: Duplex[] = [];
  const uplink = new MqttUplink(
    uplinkOptions(`embedded://127.0.0.1:${broker.address().port}`, {
      ...broker.gatewayLogin(),
      keepaliveS,
      stream: () => {
        const s = broker.gatewayStream();
        streams.push(s);
        return s;
      },
    }),
    silentLogger(),
  );
  cleanup.push(() => uplink.stop());
  return { broker, url, uplink, streams };
}

async function publishAll(uplink: MqttUplink, from: number, total: number): Promise<void> {
  let next = from;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const fill = () => {
      while (next < from + total && uplink.canPublish()) {
        uplink
          .publish(eventTopic, eventPayload(next++))
          .then(() => (++acked === total ? resolve() : fill()), reject);
      }
    };
    fill();
  });
}

describe("the gateway's in-process session with the embedded broker", () => {
  it('delivers in order under its own login, is not counted as a network client, and stops cleanly', async () => {
    const { broker, url, uplink, streams } = await gatewayOverStream();
    const events = await collect(url, eventTopic, FLOOR);
    cleanup.push(() => events.close());
    expect(broker.clients()).toBe(1); // the collector
    await uplink.start();
    expect(uplink.status()).toMatchObject({
      state: 'connected',
      connects: 1,
      url: expect.stringMatching(/^embedded:/),
    });
    expect(streams).toHaveLength(1);
    expect(broker.clients()).toBe(1);
    expect(broker.health()?.clients).toBe(1);

    await publishAll(uplink, 1, 500);
    await events.waitFor(500, 10_000);
    expect(events.messages.map((m) => sequenceOf(m.payload))).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );

    const status = await collect(url, statusTopic, FLOOR);
    cleanup.push(() => status.close());
    await status.waitFor(1, 5000);
    expect(status.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['online', true]]);

    // A clean stop says `offline` (acknowledged) and ends the session: nothing left open.
    await uplink.stop();
    await status.waitFor(2, 5000);
    expect(status.messages[1]!.payload.toString()).toBe('offline');
    await until(() => streams[0]!.destroyed, 'the in-process stream closed');
    expect(broker.clients()).toBe(2);
  });

  it('reconnects through a fresh stream when the session is closed, and events flow again', async () => {
    const { url, uplink, streams } = await gatewayOverStream();
    const events = await collect(url, eventTopic, FLOOR);
    cleanup.push(() => events.close());
    await uplink.start();
    await publishAll(uplink, 1, 10);
    const states: string[] = [];
    uplink.on('state', (s: { state: string }) => states.push(s.state));
    const up = new Promise<void>((resolve) => uplink.once('up', () => resolve()));
    streams[0]!.destroy();
    await up;
    expect(states).toEqual(['disconnected', 'connecting', 'connected']);
    expect(streams).toHaveLength(2);
    expect(streams[0]!.destroyed).toBe(true);
    expect(uplink.status()).toMatchObject({
      connects: 2,
      lastError: 'connection closed by the broker or the network',
    });
    await publishAll(uplink, 11, 10);
    await events.waitFor(20, 10_000);
    expect(events.messages.map((m) => sequenceOf(m.payload))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('notices a silent in-process link with its watchdog and reconnects', async () => {
    const { uplink, streams } = await gatewayOverStream(1);
    await uplink.start();
    const up = new Promise<void>((resolve) => uplink.once('up', () => resolve()));
    // The client stops hearing the broker (its parser no longer gets the bytes): a black hole.
    streams[0]!.unpipe();
    await up;
    expect(uplink.status().connects).toBe(2);
    expect(uplink.status().lastError).toMatch(/^Keepalive timeout: nothing from the broker for \d+ ms/);
    expect(streams[0]!.destroyed).toBe(true);
  });

  it('after the broker stops, each attempt fails without a stream left open, and stop is clean', async () => {
    const { broker, uplink, streams } = await gatewayOverStream();
    await uplink.start();
    const down = new Promise<void>((resolve) => uplink.once('down', () => resolve()));
    await broker.stop();
    await down;
    await until(() => /not running/.test(uplink.status().lastError ?? ''), 'a failed attempt');
    expect(uplink.status().state).not.toBe('connected');
    await uplink.stop();
    expect(uplink.status().state).toBe('stopped');
    expect(streams).toHaveLength(1);
    expect(streams[0]!.destroyed).toBe(true);
    expect(broker.health()).toBeUndefined();
  });

  it('is refused to a client on the network that takes its client id', async () => {
    const { url, uplink } = await gatewayOverStream();
    await uplink.start();
    const clientId = (uplink as unknown as { options: { clientId: string } }).options.clientId;
    const thief = mqtt.connect(url, { ...FLOOR, clientId, reconnectPeriod: 0 });
    const refused = await new Promise<number | undefined>((resolve) => {
      thief.once('error', (err) => resolve((err as { code?: number }).code));
      thief.once('connect', () => resolve(0));
    });
    thief.end(true);
    expect(refused).toBe(2);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
  });
});
