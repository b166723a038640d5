/** The embedded aedes broker: listening, credentials, clean stop, and the uplink through it. */
import { connect as tcpConnect } from 'node:net';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type BrokerOptions, EmbeddedBroker } from '../../../daemon/broker/embedded-broker.js';
import { silentLogger } from '../../../daemon/log.js';
import { MqttUplink } from '../../../daemon/uplink/mqtt-uplink.js';
import { gatewayClient } from '../../support/gateway-client.js';
import { freePort } from '../../support/mosquitto.js';
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
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function started(options: Partial<BrokerOptions> = {}) {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, topicBase, ...options }, silentLogger());
  await broker.start();
  cleanup.push(() => broker.stop());
  return { broker, url: `mqtt://127.0.0.1:${broker.address().port}` };
}

/** Connects once, without retrying; resolves with the CONNACK outcome. */
function tryConnect(url: string, auth: { username?: string; password?: string }) {
  return new Promise<{ ok: true } | { ok: false; code: unknown; message: string }>((resolve) => {
    const client = mqtt.connect(url, { ...auth, reconnectPeriod: 0, connectTimeout: 3000 });
    client.once('connect', () => client.end(false, {}, () => resolve({ ok: true })));
    client.once('error', (err) => {
      client.end(true);
      resolve({ ok: false, code: (err as { code?: unknown }).code, message: err.message });
    });
  });
}

describe('EmbeddedBroker', () => {
  it('listens on an ephemeral port, counts clients and frees the port on stop', async () => {
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, topicBase }, silentLogger());
    await broker.start();
    const { port } = broker.address();
    expect(port).toBeGreaterThan(0);
    const url = `mqtt://127.0.0.1:${port}`;
    expect(broker.clients()).toBe(0);
    const a = mqtt.connect(url, { reconnectPeriod: 0 });
    await new Promise((resolve) => a.once('connect', resolve));
    expect(broker.clients()).toBe(1);
    // A socket that never sends CONNECT must not keep stop() waiting.
    const idle = tcpConnect(port, '127.0.0.1');
    idle.on('error', () => {});
    await new Promise((resolve) => idle.once('connect', resolve));

    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    await broker.stop();
    await closed;
    expect(broker.clients()).toBe(0);
    // The port is free again: a new broker can take it at once.
    const again = new EmbeddedBroker({ host: '127.0.0.1', port, topicBase }, silentLogger());
    await again.start();
    expect(again.address().port).toBe(port);
    await again.stop();
  });

  it('fails start() clearly when the port is taken', async () => {
    const { broker } = await started();
    const clash = new EmbeddedBroker(
      { host: '127.0.0.1', port: broker.address().port, topicBase },
      silentLogger(),
    );
    await expect(clash.start()).rejects.toThrow(/broker cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });

  it('without credentials accepts anonymous clients', async () => {
    const { url } = await started();
    expect(await tryConnect(url, {})).toEqual({ ok: true });
  });

  it('with credentials refuses a wrong password, a missing one, an unknown user and anonymous', async () => {
    const { url, broker } = await started({ username: 'floor', password: 'dock-secret' });
    expect(await tryConnect(url, { username: 'floor', password: 'dock-secret' })).toEqual({ ok: true });
    for (const auth of [
      { username: 'floor', password: 'dock-secreT' },
      { username: 'floor' },
      { username: 'other', password: 'dock-secret' },
    ]) {
      const result = await tryConnect(url, auth);
      expect(result).toEqual({ ok: false, code: 4, message: 'Connection refused: Bad username or password' });
    }
    expect(await tryConnect(url, {})).toEqual({
      ok: false,
      code: 5,
      message: 'Connection refused: Not authorized',
    });
    expect(broker.health()?.failedLogins).toBe(4);
    await until(() => broker.clients() === 0, 'refused clients gone');
  });

  it("takes the gateway's own login only in process: over the network it is a failed login", async () => {
    const { url, broker } = await started({ username: 'floor', password: 'dock-secret' });
    // The right secret, presented over TCP: refused, and counted.
    expect(await tryConnect(url, broker.gatewayLogin())).toMatchObject({ ok: false, code: 5 });
    expect(broker.health()?.failedLogins).toBe(1);
    // It counts towards the address's block; four guesses more block loopback. The in-process
    // session still gets in.
    for (let i = 0; i < 4; i++)
      expect(await tryConnect(url, { username: 'floor', password: `guess-${i}` })).toMatchObject({ code: 4 });
    expect(await tryConnect(url, { username: 'floor', password: 'dock-secret' })).toMatchObject({ code: 5 });
    const gateway = await gatewayClient(broker);
    cleanup.push(() => gateway.endAsync());
    expect(gateway.connected).toBe(true);
    await expect(gatewayClient(broker, { password: 'guess' })).rejects.toThrow(/Bad username or password/);
    expect(broker.health()?.failedLogins).toBe(7);
  });

  it("carries the uplink under the gateway's own login: ordered QoS 1 delivery and the retained status", async () => {
    const { url, broker } = await started({ username: 'floor', password: 'pw-1' });
    const auth = { username: 'floor', password: 'pw-1' };
    const events = await collect(url, eventTopic, auth);
    cleanup.push(() => events.close());
    const uplink = new MqttUplink(
      uplinkOptions(url, { ...broker.gatewayLogin(), inflight: 50, stream: () => broker.gatewayStream() }),
      silentLogger(),
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });

    const total = 500;
    let next = 1;
    await new Promise<void>((resolve, reject) => {
      let acked = 0;
      const fill = () => {
        while (next <= total && uplink.canPublish()) {
          uplink
            .publish(eventTopic, eventPayload(next++))
            .then(() => (++acked === total ? resolve() : fill()), reject);
        }
      };
      fill();
    });
    await events.waitFor(total, 5000);
    expect(events.messages.map((m) => sequenceOf(m.payload))).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );

    await uplink.stop();
    const status = await collect(url, statusTopic, auth);
    cleanup.push(() => status.close());
    await status.waitFor(1, 5000);
    expect(status.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['offline', true]]);
  });

  it('uses the port it was given', async () => {
    const port = await freePort();
    const { broker } = await started({ port });
    expect(broker.address()).toEqual({ host: '127.0.0.1', port });
  });
});

describe('EmbeddedBroker consumer logins', () => {
  it('replaces consumers and anonymous access live: new ones get in, removed ones are put out', async () => {
    const { url, broker } = await started({ consumers: [{ username: 'erp', password: 'erp-1' }] });
    const erp = mqtt.connect(url, { username: 'erp', password: 'erp-1', reconnectPeriod: 0 });
    await new Promise((resolve) => erp.once('connect', resolve));
    const erpGone = new Promise<void>((resolve) => erp.once('close', () => resolve()));
    expect(await tryConnect(url, {})).toMatchObject({ ok: false, code: 5 });

    const next = { username: 'floor', password: 'f-1', allowAnonymous: true };
    const prepared = await broker.prepareLogins([], next);
    expect(broker.loginChanges(prepared)).toEqual({ readers: [], consumers: ['erp', 'floor', 'anonymous'] });
    expect(erp.connected).toBe(true); // preparing changes nothing
    broker.replaceLogins(prepared);
    await erpGone;
    expect(await tryConnect(url, { username: 'erp', password: 'erp-1' })).toMatchObject({
      ok: false,
      code: 4,
    });
    expect(await tryConnect(url, { username: 'floor', password: 'f-1' })).toEqual({ ok: true });
    expect(await tryConnect(url, {})).toEqual({ ok: true });
    expect(broker.health()?.anonymous).toBe(true);
    await expect(
      broker.prepareLogins([], { consumers: [{ username: 'x', passwordFile: '/nonexistent/x' }] }),
    ).rejects.toThrow('broker consumer logins: consumer x: cannot read passwordFile /nonexistent/x: ENOENT');
  });
});
