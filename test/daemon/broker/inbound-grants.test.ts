/**
 * Input topics on the embedded broker: a consumer login granted an input kind publishes to the
 * gateway's input topics of that kind and its messages reach the gateway's own session (the
 * inbound link over the in-process stream); a login without the grant, the floor login and a
 * granted login on another kind's topic are refused and counted; anonymous clients stay out.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../daemon/broker/embedded-broker.js';
import { consumerChanges, prepareConsumers } from '../../../daemon/broker/roles.js';
import { topics } from '../../../daemon/contract/topics.js';
import type { InboundMessage } from '../../../daemon/inventory/inbound.js';
import { silentLogger } from '../../../daemon/log.js';
import { InboundLink } from '../../../daemon/uplink/inbound-link.js';
import { MqttUplink } from '../../../daemon/uplink/mqtt-uplink.js';
import { until, uplinkOptions } from '../uplink/helpers.js';

const t = topics('readpoint/v1', 'site-t', 'gw-t');
const topicBase = 'readpoint/v1/site-t/gw-t';
const FLOOR = { username: 'floor', password: 'floor-1' };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function login(url: string, username?: string, password?: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(username !== undefined ? { username, password } : {}),
  });
  cleanup.push(() => client.endAsync(true));
  return client;
}

describe('consumer grants on the embedded broker', () => {
  it('lets a granted login publish to its inputs only, and the gateway session takes them', async () => {
    const broker = new EmbeddedBroker(
      {
        host: '127.0.0.1',
        port: 0,
        topicBase,
        ...FLOOR,
        consumers: [
          { username: 'recalls', password: 'recalls-1', publish: ['holds'] },
          { username: 'wms', password: 'wms-1', publish: ['context', 'query'] },
          { username: 'dashboard', password: 'dash-1' },
        ],
      },
      silentLogger(),
    );
    await broker.start();
    cleanup.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.address().port}`;

    const recalls = await login(url, 'recalls', 'recalls-1');
    // Retained before the gateway subscribes: it must be kept and handed on subscription.
    await recalls.publishAsync(t.inputs.holds[0]!, 'site-recall', { qos: 1, retain: true });

    const uplink = new MqttUplink(
      uplinkOptions(`embedded://127.0.0.1:${broker.address().port}`, {
        ...broker.gatewayLogin(),
        stream: () => broker.gatewayStream(),
      }),
      silentLogger(),
    );
    cleanup.push(() => uplink.stop());
    const link = new InboundLink(t, silentLogger());
    link.attach(uplink);
    const got: InboundMessage[] = [];
    const take = (m: InboundMessage) => got.push(m);
    for (const filter of [...t.inputs.holds, `${t.inputs.context}+`, `${t.inputs.query}+`])
      link.subscribe(filter, { maxBytes: 10_000 }, take);
    await uplink.start();
    await until(() => got.length === 1, 'the retained site-wide hold');
    expect(got[0]).toMatchObject({ topic: t.inputs.holds[0], retain: true });

    const refusedPublishes = () => broker.health()?.refused.publish ?? 0;
    // Refused: a kind not granted, no grant at all, the floor login, a topic beside the inputs.
    const attempts: [string, string, string][] = [
      ['recalls', 'recalls-1', `${t.inputs.context}dock-1`],
      ['dashboard', 'dash-1', t.inputs.holds[1]!],
      [FLOOR.username, FLOOR.password, t.inputs.holds[1]!],
      ['wms', 'wms-1', `${t.inputs.context}dock-1/extra`],
      ['wms', 'wms-1', t.events('dock-1')],
      ['wms', 'wms-1', `${t.replies}wms`],
    ];
    for (const [username, password, topic] of attempts) {
      const before = refusedPublishes();
      const client = await login(url, username, password);
      client.publish(topic, 'forged', { qos: 1 });
      await until(() => refusedPublishes() === before + 1, `the refusal of ${username} on ${topic}`);
    }

    await recalls.publishAsync(t.inputs.holds[1]!, 'gateway-recall', { qos: 1 });
    const wms = await login(url, 'wms', 'wms-1');
    await wms.publishAsync(`${t.inputs.context}dock-1`, 'shipment-7', { qos: 1, retain: true });
    await wms.publishAsync(`${t.inputs.query}where`, 'question', { qos: 1, retain: true });
    await until(() => got.length === 4, 'the granted messages');
    expect(got.slice(1).map((m) => [m.topic, m.payload.toString()])).toEqual([
      [t.inputs.holds[1], 'gateway-recall'],
      [`${t.inputs.context}dock-1`, 'shipment-7'],
      [`${t.inputs.query}where`, 'question'],
    ]);
    expect(refusedPublishes()).toBe(attempts.length);

    // The question was not kept: a later subscriber gets the retained context but no question.
    const late = await login(url, FLOOR.username, FLOOR.password);
    const seen: string[] = [];
    late.on('message', (topic) => seen.push(topic));
    await late.subscribeAsync(`${t.inputs.query}+`, { qos: 1 });
    await late.subscribeAsync(`${t.inputs.context}+`, { qos: 1 });
    await until(() => seen.length >= 1, 'the retained context');
    expect(seen).toEqual([`${t.inputs.context}dock-1`]);
  });

  it('keeps anonymous clients out and grants nothing to a login without publish', async () => {
    const broker = new EmbeddedBroker(
      { host: '127.0.0.1', port: 0, topicBase, consumers: [{ username: 'wms', password: 'wms-1' }] },
      silentLogger(),
    );
    await broker.start();
    cleanup.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.address().port}`;
    await expect(login(url)).rejects.toMatchObject({ code: 5 });
    const wms = await login(url, 'wms', 'wms-1');
    wms.publish(`${t.inputs.query}where`, 'question', { qos: 1 });
    await until(() => broker.health()?.refused.publish === 1, 'the refusal');
  });
});

describe('a reload that changes grants', () => {
  it('counts the login as changed (its sessions are closed), like a changed password', async () => {
    const prepare = (publish?: ('holds' | 'context' | 'query')[]) =>
      prepareConsumers(
        [
          { username: 'wms', password: 'wms-1', ...(publish ? { publish } : {}) },
          { username: 'dash', password: 'dash-1' },
        ],
        false,
        new Set(),
      );
    const none = await prepare();
    const context = await prepare(['context']);
    const both = await prepare(['query', 'context']);
    expect(consumerChanges(none, context)).toEqual(['wms']);
    expect(consumerChanges(context, both)).toEqual(['wms']);
    expect(consumerChanges(both, await prepare(['context', 'query']))).toEqual([]);
    expect(consumerChanges(both, none)).toEqual(['wms']);
  });
});
