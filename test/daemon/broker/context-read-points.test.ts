/**
 * A login granted `context` sets the context of the gateway's read points, not of made-up ones:
 * each would be a retained message on the embedded broker, and enough of them fill the retained
 * budget the gateway's own status and health need.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../daemon/broker/embedded-broker.js';
import { topics } from '../../../daemon/contract/topics.js';
import { silentLogger } from '../../../daemon/log.js';
import { until } from '../uplink/helpers.js';

const t = topics('readpoint/v1', 'site-t', 'gw-t');
const topicBase = 'readpoint/v1/site-t/gw-t';
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function login(url: string, username: string, password: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    username,
    password,
  });
  cleanup.push(() => client.endAsync(true));
  return client;
}

describe('contexts on the embedded broker', () => {
  it('takes a context for a read point of the config in force only, reloads included', async () => {
    const points = [{ id: 'dock-1' }];
    const broker = new EmbeddedBroker(
      {
        host: '127.0.0.1',
        port: 0,
        topicBase,
        consumers: [
          { username: 'wms', password: 'wms-1', publish: ['context'] },
          { username: 'dash', password: 'dash-1' },
        ],
        readPoints: () => points,
      },
      silentLogger(),
    );
    await broker.start();
    cleanup.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.address().port}`;
    const refused = () => broker.health()?.refused.publish ?? 0;

    const wms = await login(url, 'wms', 'wms-1');
    await wms.publishAsync(`${t.inputs.context}dock-1`, 'shipment-7', { qos: 1, retain: true });
    expect(refused()).toBe(0);
    for (const [n, id] of ['made-up-1', 'made-up-2'].entries()) {
      const forger = await login(url, 'wms', 'wms-1');
      forger.publish(`${t.inputs.context}${id}`, 'forged', { qos: 1, retain: true });
      await until(() => refused() === n + 1, `the refusal of ${id}`);
    }

    points.push({ id: 'dock-2' }); // a reload added the read point
    const wms2 = await login(url, 'wms', 'wms-1');
    await wms2.publishAsync(`${t.inputs.context}dock-2`, 'receipt-3', { qos: 1, retain: true });
    expect(refused()).toBe(2);

    const dash = await login(url, 'dash', 'dash-1');
    const kept: string[] = [];
    dash.on('message', (topic, payload) => kept.push(`${topic} ${payload}`));
    await dash.subscribeAsync(`${t.inputs.context}+`, { qos: 1 });
    await until(() => kept.length === 2, 'the retained contexts');
    expect(kept.sort()).toEqual([
      `${t.inputs.context}dock-1 shipment-7`,
      `${t.inputs.context}dock-2 receipt-3`,
    ]);
  });
});
