/**
 * The embedded broker as an attacker on the floor sees it: the real daemon (CLI child process)
 * with its broker on loopback, real mqtt.js clients. Nobody but the gateway publishes under its
 * topics; readers write only their own topic and read nothing; consumers read and never write;
 * a client id belongs to its login; password guessing is throttled, counted and not flooding
 * the log; the broker does not listen when nothing needs it; an anonymous broker beyond
 * loopback is refused or, when allowed explicitly, warned about.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { freePort, startMosquitto } from '../support/mosquitto.js';
import { type CollectedMessage, type Collector, collect } from '../support/mqtt-collector.js';

const BASE = 'readpoint/v1/site-sec/gw-sec';
const UPLINK_CLIENT_ID = 'readpoint-site-sec-gw-sec';
const FORGED_EVENT = JSON.stringify({ type: 'ObjectEvent', 'rp:sequence': 999999, action: 'OBSERVE' });
const READER = 'door-1';
const READER_TOPIC = `readpoint/v1/readers/${READER}/tags`;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Setup {
  /** YAML lines of the broker section, indented by 2 (host and port are added). */
  broker?: string;
  host?: string;
  uplinkUrl?: string;
  networkReader?: boolean;
}

function writeConfig(o: Setup & { port: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'rp-broker-access-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'readpoint.yaml');
  writeFileSync(
    file,
    `gateway: { id: gw-sec, site: site-sec }
dataDir: ${join(dir, 'data')}
broker:
  host: ${o.host ?? '127.0.0.1'}
  port: ${o.port}
${o.broker ?? ''}uplink:
${o.uplinkUrl ? `  url: ${o.uplinkUrl}\n` : ''}  healthIntervalS: 1
  retry: { minMs: 100, maxMs: 1000 }
readPoints:
  - { id: conveyor-1, bizStep: shipping }
readers:
  - { id: sim, driver: simulator, readPoint: conveyor-1, readsPerSecond: 20, units: 50, repeats: 1 }
${o.networkReader ? `  - { id: ${READER}, driver: impinj-r700, readPoint: conveyor-1, username: r700, password: reader-secret }\n` : ''}`,
  );
  return file;
}

async function daemonWith(o: Setup = {}): Promise<{ daemon: DaemonProcess; url: string; port: number }> {
  const port = await freePort();
  const daemon = startDaemon(writeConfig({ ...o, port }));
  cleanup.push(() => daemon.kill('SIGKILL'));
  await daemon.waitForLog((l) => l.msg === 'readpoint running');
  return { daemon, url: `mqtt://127.0.0.1:${port}`, port };
}

function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => {
      cleanup.push(() => client.endAsync(true));
      resolve(client);
    });
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The CONNACK refusal code of a login, or 'accepted'. */
async function loginOutcome(url: string, options: IClientOptions): Promise<number | 'accepted'> {
  try {
    await connect(url, options);
    return 'accepted';
  } catch (err) {
    return (err as { code: number }).code;
  }
}

/** Publishes at QoS 1: 'acknowledged' (PUBACK) or 'refused' (the broker closed the connection). */
function attempt(client: MqttClient, topic: string, payload: string, retain = false) {
  return new Promise<'acknowledged' | 'refused'>((resolve) => {
    client.once('close', () => resolve('refused'));
    client.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (!err) resolve('acknowledged');
    });
  });
}

/** Waits for `count` more messages than the collector holds now (a marker that time has passed). */
async function more(c: Collector, count: number): Promise<void> {
  await c.waitFor(c.messages.length + count, 15_000);
}

/** The first message the collector received, or receives, that satisfies `ok`. */
async function firstWhere(c: Collector, ok: (m: CollectedMessage) => boolean): Promise<CollectedMessage> {
  for (let seen = 0; ; seen++) {
    await c.waitFor(seen + 1, 15_000);
    if (ok(c.messages[seen]!)) return c.messages[seen]!;
  }
}

/** The next health report the collector (subscribed to the health topic) receives that satisfies `ok`. */
async function healthWhere(c: Collector, ok: (h: HealthPayload) => boolean): Promise<HealthPayload> {
  for (let seen = 0; ; seen++) {
    await c.waitFor(seen + 1, 15_000);
    const h = JSON.parse(c.messages[seen]!.payload.toString()) as HealthPayload;
    if (ok(h)) return h;
  }
}

const texts = (c: Collector) => c.messages.map((m) => `${m.topic} ${m.payload.toString()}`);

describe('the embedded broker under attack', () => {
  it('refuses an anonymous forged event and a retained offline status; no subscriber sees them', async () => {
    const { url } = await daemonWith();
    const watcher = await collect(url, 'readpoint/v1/#');
    cleanup.push(() => watcher.close());
    await watcher.waitFor(1, 15_000);

    const forger = await connect(url);
    expect(await attempt(forger, `${BASE}/events/conveyor-1`, FORGED_EVENT)).toBe('refused');
    const suppressor = await connect(url);
    expect(await attempt(suppressor, `${BASE}/status`, 'offline', true)).toBe('refused');
    await more(watcher, 3);

    expect(texts(watcher).filter((t) => t.includes('999999'))).toEqual([]);
    expect(
      watcher.messages.filter((m) => m.topic === `${BASE}/status`).map((m) => m.payload.toString()),
    ).toEqual(['online']);
    const status = await collect(url, `${BASE}/status`);
    cleanup.push(() => status.close());
    await status.waitFor(1, 15_000);
    expect(status.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['online', true]]);
  });

  it('refuses the same forgeries from the floor login, which reads the events', async () => {
    const { url } = await daemonWith({ broker: '  username: floor\n  password: floor-secret\n' });
    const floor = { username: 'floor', password: 'floor-secret' };
    const events = await collect(url, `${BASE}/events/+`, floor);
    cleanup.push(() => events.close());
    await events.waitFor(1, 15_000);

    const forger = await connect(url, floor);
    expect(await attempt(forger, `${BASE}/events/conveyor-1`, FORGED_EVENT)).toBe('refused');
    const suppressor = await connect(url, floor);
    expect(await attempt(suppressor, `${BASE}/status`, 'offline', true)).toBe('refused');
    await more(events, 2);
    expect(texts(events).filter((t) => t.includes('999999'))).toEqual([]);
    expect(await loginOutcome(url, {})).toBe(5);
  });

  it('lets a reader login write its own topic only, and read nothing', async () => {
    const { url } = await daemonWith({ networkReader: true });
    const reader = await connect(url, { username: 'r700', password: 'reader-secret' });
    // mqtt.js reports a refused subscription as an error carrying the SUBACK codes.
    const granted = await reader.subscribeAsync([`${BASE}/#`, '#', READER_TOPIC], { qos: 1 }).then(
      (g) => g.map((x) => x.qos),
      (err: { packet?: { granted: number[] } }) => err.packet?.granted,
    );
    expect(granted).toEqual([128, 128, 128]);
    const tag = JSON.stringify({
      timestamp: new Date().toISOString(),
      eventType: 'tagInventory',
      tagInventoryEvent: { epcHex: '3034257BF7194E4000001A85', antennaPort: 1, peakRssiCdbm: -5500 },
    });
    expect(await attempt(reader, READER_TOPIC, tag)).toBe('acknowledged');
    expect(await attempt(reader, `${BASE}/events/conveyor-1`, FORGED_EVENT)).toBe('refused');
  });

  it('lets a consumer login read the events and write nothing', async () => {
    const { url } = await daemonWith({
      broker: '  consumers:\n    - { username: erp, password: erp-secret }\n',
      networkReader: true,
    });
    const erp = { username: 'erp', password: 'erp-secret' };
    const everything = await collect(url, '#', erp);
    cleanup.push(() => everything.close());
    const reader = await connect(url, { username: 'r700', password: 'reader-secret' });
    const tag = JSON.stringify({
      timestamp: new Date().toISOString(),
      eventType: 'tagInventory',
      tagInventoryEvent: { epcHex: '3034257BF7194E4000001A86', antennaPort: 1, peakRssiCdbm: -5500 },
    });
    expect(await attempt(reader, READER_TOPIC, tag)).toBe('acknowledged');
    // The event the gateway made of the reader's tag comes after the raw message would have.
    const event = await firstWhere(
      everything,
      (m) => m.topic === `${BASE}/events/conveyor-1` && m.payload.includes(`"rp:reader":"${READER}"`),
    );
    expect(event.retain).toBe(false);
    // The reader's raw message never reaches a consumer, only what the gateway made of it.
    expect(everything.messages.filter((m) => !m.topic.startsWith(`${BASE}/`))).toEqual([]);

    for (const topic of [`${BASE}/events/conveyor-1`, READER_TOPIC, 'floor/notes']) {
      const consumer = await connect(url, erp);
      expect(await attempt(consumer, topic, FORGED_EVENT)).toBe('refused');
    }
    expect(await loginOutcome(url, {})).toBe(5);
  });

  it("refuses a takeover of the uplink's or a reader's client id; the uplink stays online", async () => {
    const { url } = await daemonWith({ networkReader: true });
    const status = await collect(url, `${BASE}/status`);
    cleanup.push(() => status.close());
    const health = await collect(url, `${BASE}/health`);
    cleanup.push(() => health.close());
    await status.waitFor(1, 15_000);

    for (let i = 0; i < 5; i++)
      expect([2, 5]).toContain(await loginOutcome(url, { clientId: UPLINK_CLIENT_ID }));
    const reader = await connect(url, { username: 'r700', password: 'reader-secret', clientId: 'r700-door' });
    expect([2, 5]).toContain(await loginOutcome(url, { clientId: 'r700-door' }));
    expect(reader.connected).toBe(true);

    const after = await healthWhere(health, (h) => (h.broker?.failedLogins ?? 0) >= 6);
    expect(after.uplink).toMatchObject({ state: 'connected', connects: 1 });
    expect(status.messages.map((m) => m.payload.toString())).toEqual(['online']);
    expect(reader.connected).toBe(true);
  });

  it('throttles password guessing per address, counts it in health and keeps the log short', async () => {
    const { url, daemon } = await daemonWith({ broker: '  username: floor\n  password: floor-secret\n' });
    const floor = { username: 'floor', password: 'floor-secret' };
    const health = await collect(url, `${BASE}/health`, floor);
    cleanup.push(() => health.close());

    const outcomes: (number | string)[] = [];
    for (let i = 0; i < 20; i++)
      outcomes.push(await loginOutcome(url, { username: 'floor', password: `guess-${i}` }));
    expect(outcomes.slice(0, 5)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(outcomes.slice(5))).toEqual(new Set([5]));
    // Blocked: even the right password is not checked now.
    expect(await loginOutcome(url, floor)).toBe(5);

    const h = await healthWhere(health, (x) => (x.broker?.failedLogins ?? 0) >= 21);
    expect(h.broker?.failedLogins).toBe(21);
    // 21 refusals, 3 lines: the first of each kind; the repeats are summed up a minute later.
    const lines = daemon.logs.filter((l) => l.component === 'broker' && l.level >= 40);
    expect(lines.map((l) => l.msg)).toEqual([
      'broker refused a login: bad username or password',
      'broker blocks an address after failed logins',
      'broker refused a login: too many failed logins from this address',
    ]);
    expect(daemon.logs.filter((l) => JSON.stringify(l).includes('guess-'))).toEqual([]);
  });

  it('does not listen when uplink.url is set and no network reader needs it', async () => {
    const central = await startMosquitto();
    cleanup.push(() => central.stop());
    const health = await collect(central.url, `${BASE}/health`);
    cleanup.push(() => health.close());
    const { port } = await daemonWith({ uplinkUrl: central.url });
    const first = await healthWhere(health, () => true);
    expect(first.broker).toBeUndefined();
    const refused = await new Promise<string>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('listening');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('refuses a broker beyond loopback without a login, in check and in run', async () => {
    const file = writeConfig({ host: '0.0.0.0', port: await freePort() });
    const check = spawnSync(process.execPath, [cliPath, 'check', '--config', file], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/broker\.host.*broker\.allowAnonymous/);

    const daemon = startDaemon(file);
    cleanup.push(() => daemon.kill('SIGKILL'));
    const ran = await Promise.race([
      daemon.exited,
      daemon.waitForLog((l) => l.msg === 'readpoint running').then(() => 'running'),
    ]);
    expect(ran).toBe(1);
  });

  it('with allowAnonymous beyond loopback, warns at start and in every health report', async () => {
    const { daemon, url } = await daemonWith({ host: '0.0.0.0', broker: '  allowAnonymous: true\n' });
    const warning = daemon.logs.find(
      (l) => l.level === 40 && String(l.msg).includes('broker.allowAnonymous'),
    );
    expect(warning?.msg).toMatch(/anonymous/);
    const health = await collect(url, `${BASE}/health`);
    cleanup.push(() => health.close());
    const h = await healthWhere(health, () => true);
    expect(h.broker?.anonymous).toBe(true);
    expect(h.warnings).toEqual([warning?.msg]);
  });
});
