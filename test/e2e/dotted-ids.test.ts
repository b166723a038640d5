/**
 * Ids with a `.` stay valid (Mosquitto keeps the `.` in the topic as it is), but some central
 * brokers take them apart (RabbitMQ makes each `.` a topic level): `readpoint check` names them
 * in a warning, and the running daemon logs the same text and carries it in every health report.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';

const WARNING =
  'site "dc.east", gateway "gw.1", read point "dock.1" have a "." in the topics: on RabbitMQ\'s MQTT ' +
  'plugin a "." is a topic-level separator, so these events arrive on extra levels (a "+" filter misses ' +
  'them) and ids that differ only in where a "." sits share a topic; Mosquitto and most other brokers keep ' +
  'the "." as it is. On RabbitMQ, rename them without "."';

let dir: string;
let broker: Mosquitto;
let daemon: DaemonProcess | undefined;
const collectors: Collector[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-dotted-'));
  broker = await startMosquitto();
});
afterAll(async () => {
  await daemon?.kill('SIGKILL');
  for (const c of collectors) await c.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(url: string): string {
  const file = join(dir, 'readpoint.yaml');
  writeFileSync(
    file,
    `gateway: { id: gw.1, site: dc.east }
dataDir: ${join(dir, 'data')}
log: { level: info }
broker: { enabled: false }
uplink: { url: "${url}", healthIntervalS: 1, retry: { minMs: 100, maxMs: 1000 } }
readPoints:
  - { id: dock.1, bizStep: receiving }
  - { id: dock-2, bizStep: receiving }
readers:
  - { id: sim-1, driver: simulator, readPoint: dock.1, readsPerSecond: 20, units: 1000000, repeats: 1, garbageShare: 0, limit: 5 }
`,
  );
  return file;
}

async function subscribe(filter: string): Promise<Collector> {
  const c = await collect(broker.url, filter);
  collectors.push(c);
  return c;
}

describe('ids with a "."', () => {
  it('are valid: check exits 0 and names them in one warning', () => {
    const file = config(broker.url);
    const stdout = execFileSync(process.execPath, [cliPath, 'check', '--config', file], { encoding: 'utf8' });
    expect(stdout.split('\n').filter((l) => l.includes(': warning: '))).toEqual([
      `${file}: warning: ${WARNING}`,
    ]);
  });

  it('keep the "." on Mosquitto; the daemon logs the warning and every health report carries it', async () => {
    const health = await subscribe('readpoint/v1/dc.east/gw.1/health');
    const events = await subscribe('readpoint/v1/dc.east/gw.1/events/+');
    daemon = startDaemon(config(broker.url));
    const logged = await daemon.waitForLog((l) => l.warning === 'uplink.dottedIds', 15_000);
    expect(logged).toMatchObject({ level: 40, msg: WARNING });
    await events.waitFor(5, 15_000);
    expect(new Set(events.messages.map((m) => m.topic))).toEqual(
      new Set(['readpoint/v1/dc.east/gw.1/events/dock.1']),
    );
    await health.waitFor(1, 15_000);
    const report = JSON.parse(health.messages[0]!.payload.toString()) as HealthPayload;
    expect(report.warnings).toEqual([WARNING]);
    expect(await daemon.kill('SIGTERM')).toBe(0);
  });
});
