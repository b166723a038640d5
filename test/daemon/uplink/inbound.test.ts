/**
 * The inbound link on both uplinks (in process and on a thread), MQTT 3.1.1 and 5, against a real
 * Mosquitto: subscriptions made after every CONNACK, retained messages flagged, order kept,
 * oversized payloads dropped and counted, replies with correlation data, reply topics vetted.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../daemon/broker/embedded-broker.js';
import { topics } from '../../../daemon/contract/topics.js';
import type { InboundMessage } from '../../../daemon/inventory/inbound.js';
import { silentLogger } from '../../../daemon/log.js';
import { InboundLink } from '../../../daemon/uplink/inbound-link.js';
import { MqttUplink } from '../../../daemon/uplink/mqtt-uplink.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { memoryLogger, until, uplinkKinds, uplinkOptions } from './helpers.js';

const t = topics('readpoint/v1', 'site-t', 'gw-t');
const base = 'readpoint/v1/site-t/gw-t';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** An upstream system's client (a WMS, a recall service). */
async function upstream(url: string, protocolVersion: 4 | 5): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion,
    clientId: `rp-upstream-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
  });
  cleanup.push(() => client.endAsync(true));
  return client;
}

const cases = uplinkKinds.flatMap((kind) => ([4, 5] as const).map((v) => ({ ...kind, v })));

describe.each(cases)('$name inbound over MQTT $v', ({ make, v }) => {
  it('hands a retained message flagged, then live ones in order; an oversized one is dropped and counted', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const wms = await upstream(broker.url, v);
    await wms.publishAsync(t.inputs.holds[1]!, 'retained-list', { qos: 1, retain: true });

    const { log, lines } = memoryLogger();
    const uplink = make(uplinkOptions(broker.url, { protocolVersion: v }), log);
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, log);
    link.attach(uplink);
    const got: InboundMessage[] = [];
    link.subscribe(t.inputs.holds[1]!, { maxBytes: 100 }, (m) => got.push(m));
    await uplink.start();

    await until(() => got.length === 1, 'the retained message');
    expect(got[0]).toMatchObject({ topic: t.inputs.holds[1], retain: true });
    expect(got[0]!.payload.toString()).toBe('retained-list');

    for (let i = 1; i <= 5; i++) {
      await wms.publishAsync(t.inputs.holds[1]!, `update-${i}`, { qos: 1 });
      if (i === 3) await wms.publishAsync(t.inputs.holds[1]!, 'x'.repeat(101), { qos: 1 });
    }
    await until(() => got.length === 6, 'five live messages');
    expect(got.slice(1).map((m) => [m.payload.toString(), m.retain])).toEqual([
      ['update-1', false],
      ['update-2', false],
      ['update-3', false],
      ['update-4', false],
      ['update-5', false],
    ]);
    expect(link.stats()).toMatchObject({ subscriptions: 1, received: 6, tooLarge: 1 });
    const dropped = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg?.startsWith('inbound message dropped'));
    expect(dropped).toMatchObject([{ topic: t.inputs.holds[1], bytes: 101, maxBytes: 100 }]);
  });

  it('subscribes again after the broker restarts', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const { log } = memoryLogger();
    const uplink = make(uplinkOptions(broker.url, { protocolVersion: v }), log);
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, log);
    link.attach(uplink);
    const got: string[] = [];
    link.subscribe(`${t.inputs.context}+`, { maxBytes: 1000 }, (m) => got.push(m.payload.toString()));
    await uplink.start();
    await until(() => uplink.status().state === 'connected', 'connected');

    await broker.kill();
    await until(() => uplink.status().state !== 'connected', 'the loss noticed');
    await broker.restart();
    await until(() => uplink.status().connects === 2, 'the second connection');
    // Retained: it reaches a subscription made after it, so only a resubscribe can bring it.
    const wms = await upstream(broker.url, v);
    await wms.publishAsync(`${t.inputs.context}dock-1`, 'shipment-7', { qos: 1, retain: true });
    await until(() => got.length === 1, 'the context after the restart');
    expect(got).toEqual(['shipment-7']);
  });

  it('replies below the replies prefix only, with the correlation data under MQTT 5', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const wms = await upstream(broker.url, v);
    const answers: IPublishPacket[] = [];
    wms.on('message', (_topic, _payload, packet) => answers.push(packet));
    await wms.subscribeAsync(`${base}/#`, { qos: 1 });
    // Retained, so its arrival says the subscription is in place before the question is asked.
    await wms.publishAsync(`${t.inputs.query}ready`, 'ready', { qos: 1, retain: true });

    const { log } = memoryLogger();
    const uplink = make(uplinkOptions(broker.url, { protocolVersion: v }), log);
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, log);
    link.attach(uplink);
    const refused: boolean[] = [];
    const questions: InboundMessage[] = [];
    link.subscribe(`${t.inputs.query}+`, { maxBytes: 1000 }, (m) => {
      if (m.retain) return;
      questions.push(m);
      // The contract's own topics and anything not a plain topic below the prefix are refused.
      refused.push(
        link.reply(t.events('dock-1'), 'hijack'),
        link.reply(`${base}/replies/a/+`, 'wild'),
        link.reply(`${base}/replies/a/b/c/d/e`, 'deep'),
      );
      const replyTo = m.responseTopic ?? (JSON.parse(m.payload.toString()) as { replyTo: string }).replyTo;
      link.reply(replyTo, `answer to ${m.payload.toString()}`, m.correlationData);
    });
    await uplink.start();
    await until(() => link.stats().received === 1, 'the retained marker');

    const replyTo = `${base}/replies/wms-1`;
    const asked = JSON.stringify({ replyTo, unit: 'urn:epc:id:sgtin:9506000.100067.1' });
    await wms.publishAsync(`${t.inputs.query}where`, asked, {
      qos: 1,
      ...(v === 5 ? { properties: { responseTopic: replyTo, correlationData: Buffer.from('c-1') } } : {}),
    });
    await until(() => answers.some((a) => a.topic === replyTo), 'the answer');
    const answer = answers.find((a) => a.topic === replyTo)!;
    expect(answer.payload.toString()).toBe(`answer to ${asked}`);
    expect(answer.retain).toBe(false);
    if (v === 5) {
      expect(questions[0]).toMatchObject({ responseTopic: replyTo, correlationData: Buffer.from('c-1') });
      expect(answer.properties?.correlationData).toEqual(Buffer.from('c-1'));
    }
    // Nothing went out on a refused topic: it would have come before the answer.
    const from = (topic: string) => topic !== t.status && !topic.startsWith(t.inputs.query);
    expect(answers.map((a) => a.topic).filter(from)).toEqual([replyTo]);
    expect(refused).toEqual([false, false, false]);
    expect(link.stats()).toMatchObject({ repliesRefused: 3, repliesSent: 1, received: 2 });
  });
});

describe.each(uplinkKinds)('$name over MQTT 5 with a bound', ({ make }) => {
  it('tells the broker its Maximum Packet Size: Mosquitto sends nothing larger and the link stays up', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const { log } = memoryLogger();
    // 2 KiB of payload, plus 64 KiB of room for a topic and properties: 67,584 bytes a packet.
    const uplink = make(uplinkOptions(broker.url, { protocolVersion: 5, maxInboundBytes: 2048 }), log);
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, log);
    link.attach(uplink);
    const got: string[] = [];
    link.subscribe(t.inputs.holds[1]!, { maxBytes: 1_000_000 }, (m) => got.push(m.payload.toString()));
    const wms = await upstream(broker.url, 5);
    await wms.publishAsync(t.inputs.holds[1]!, 'first', { qos: 1, retain: true });
    await uplink.start();
    await until(() => got.length === 1, 'the retained list');
    await wms.publishAsync(t.inputs.holds[1]!, 'y'.repeat(70_000), { qos: 1 });
    await wms.publishAsync(t.inputs.holds[1]!, 'after', { qos: 1 });
    await until(() => got.length === 2, 'the message after the large one');
    expect(got).toEqual(['first', 'after']);
    // Never sent, so never received and dropped here.
    expect(link.stats().tooLarge).toBe(0);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
  });
});

describe('MQTT 5 against a broker that takes 3.1.1 only', () => {
  it('says to check uplink.protocolVersion', async () => {
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, topicBase: base }, silentLogger());
    await broker.start();
    cleanup.push(() => broker.stop());
    const uplink = new MqttUplink(
      uplinkOptions(`mqtt://127.0.0.1:${broker.address().port}`, { protocolVersion: 5 }),
      silentLogger(),
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();
    expect(uplink.status().state).not.toBe('connected');
    expect(uplink.status().lastError).toBe(
      'Connection refused: Unacceptable protocol version (the broker does not take MQTT 5: check uplink.protocolVersion)',
    );
  });
});
