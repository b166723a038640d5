/**
 * The finding on the real daemon (a child process): four 255 MB publishes took it from 192 MB to
 * 2.0 GB, and 20,000 idle sockets locked out readers and /metrics. Scaled down: a packet limit of
 * 64 KiB and an attacker announcing 48 MiB, then a burst of idle sockets. The daemon must close
 * the attacker early without growing by the announced size (VmRSS of the child), count both in
 * health's broker.refused, keep serving /metrics, and keep turning a network reader's tag reads
 * into events.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { closed, connectReader, endClient, impinjEvent } from '../drivers/mqtt-reader/helpers.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Collector, collect } from '../support/mqtt-collector.js';

const BASE = 'readpoint/v1/site-test/gw-limits';
const MiB = 1024 * 1024;
const epc = encodeSgtin96({ filter: 2, companyPrefix: '0614141', itemReference: '812345', serial: 7 });

let dir: string;
let daemon: DaemonProcess;
let url: string;
let metricsPort: number;
let events: Collector;
let health: Collector;
let reader: MqttClient;

/** The child's resident memory, from /proc/<pid>/status. */
function rssBytes(): number {
  const status = readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${daemon.child.pid}/status`);
  return Number(kb[1]) * 1024;
}

const lastHealth = () =>
  health.messages.length === 0
    ? undefined
    : (JSON.parse(String(health.messages.at(-1)!.payload)) as HealthPayload);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-broker-limits-'));
  const config = join(dir, 'readpoint.yaml');
  await writeFile(
    config,
    `gateway: { id: gw-limits, site: site-test }
dataDir: ${join(dir, 'data')}
broker:
  port: 0
  limits: { maxPacketBytes: 65536, maxPendingConnections: 4, maxPendingPerAddress: 4, connectTimeoutS: 5 }
uplink: { healthIntervalS: 1, retry: { minMs: 100, maxMs: 1000 } }
metrics: { enabled: true, port: 0 }
readPoints:
  - { id: gate, bizStep: arriving }
readers:
  - { id: gate-r700, driver: impinj-r700, readPoint: gate, username: gate-r700, password: gate-secret, maxMessageBytes: 32768 }
`,
  );
  daemon = startDaemon(config);
  const listening = await daemon.waitForLog((l) => l.msg === 'broker listening');
  url = `mqtt://127.0.0.1:${listening.port as number}`;
  metricsPort = (await daemon.waitForLog((l) => l.msg === 'metrics served at /metrics')).port as number;
  await daemon.waitForLog((l) => l.msg === 'readpoint running');
  events = await collect(url, `${BASE}/events/+`);
  health = await collect(url, `${BASE}/health`);
  reader = await connectReader(url, { username: 'gate-r700', password: 'gate-secret' });
}, 30_000);

afterAll(async () => {
  if (reader) await endClient(reader);
  await events?.close();
  await health?.close();
  await daemon?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('the daemon under a resource attack on its embedded broker', () => {
  it('closes a connection announcing a 48 MiB packet before buffering it, and does not grow by it', async () => {
    const before = rssBytes();
    const attacker = mqtt.connect(url, { reconnectPeriod: 0 });
    attacker.on('error', () => {});
    await new Promise((resolve) => attacker.once('connect', resolve));
    const outcome = await Promise.race([
      closed(attacker).then(() => 'closed'),
      attacker.publishAsync('floor/junk', Buffer.alloc(48 * MiB, 0x41), { qos: 1 }).then(
        () => 'acknowledged',
        () => 'closed',
      ),
    ]);
    attacker.end(true);
    expect(outcome).toBe('closed');
    const line = await daemon.waitForLog((l) => l.reason === 'packet-size');
    // The whole packet: type byte, 4 length bytes, topic length and topic, packet id, payload.
    const announced = 1 + 4 + 2 + 'floor/junk'.length + 2 + 48 * MiB;
    expect(line).toMatchObject({ level: 40, announced, maxPacketBytes: 65536 });
    expect(rssBytes() - before).toBeLessThan(16 * MiB);
    await expect.poll(() => lastHealth()?.broker?.refused['packet-size'], { timeout: 10_000 }).toBe(1);
  });

  it('closes idle sockets beyond its share at accept, and keeps serving /metrics and the reader', async () => {
    const idle = Array.from({ length: 20 }, () => {
      const s = tcpConnect(Number(new URL(url).port), '127.0.0.1');
      s.on('error', () => {});
      return s;
    });
    try {
      await expect
        .poll(() => lastHealth()?.broker?.refused['pending-connections'], { timeout: 10_000 })
        .toBe(16);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      await res.text();
      await reader.publishAsync('readpoint/v1/readers/gate-r700/tags', impinjEvent(epc.toString('hex')), {
        qos: 1,
      });
      await events.waitFor(1, 10_000);
      const event = JSON.parse(String(events.messages[0]!.payload)) as { epcList: string[] };
      expect(event.epcList).toEqual(['urn:epc:id:sgtin:0614141.812345.7']);
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});
