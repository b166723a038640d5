/**
 * The gateway reports its health when it starts and whenever its uplink (re)connects, not only at
 * its heartbeat: with a heartbeat of an hour, the broker still holds a current report at once, so
 * `readpoint status` answers right after a start and after an outage. Real daemon, real Mosquitto.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { freePort, type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { openPty, type Pty } from '../support/pty.js';

const HEALTH = 'readpoint/v1/site-test/gw-test/health';

let dir: string;
let pty: Pty;
let broker: Mosquitto | undefined;
/** Every daemon started here, stopped at the end whatever failed. */
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-health-connect-'));
  pty = await openPty(dir);
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  await pty?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The first health report the broker gives a new subscriber (retained or live). */
async function firstHealth(url: string): Promise<HealthPayload> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    const first = new Promise<HealthPayload>((resolve) =>
      client.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString('utf8')))),
    );
    await client.subscribeAsync(HEALTH, { qos: 0 });
    return await first;
  } finally {
    await client.endAsync(true);
  }
}

function status(config: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [cliPath, 'status', '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

describe('health on start and on connect', () => {
  it('reaches a broker that comes up after the gateway started, with an hourly heartbeat', async () => {
    const port = await freePort();
    const config = writeE2eConfig({
      dir,
      uplinkUrl: `mqtt://127.0.0.1:${port}`,
      healthIntervalS: 3600,
      readers: serialReaderYaml(pty.readerPath),
    });
    const daemon = startDaemon(config);
    daemons.push(daemon);
    await daemon.waitForLog((l) => l.msg === 'readpoint running');
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
    broker = await startMosquitto({ port });
    const health = await firstHealth(broker.url);
    expect([health.gateway, health.site, health.uplink.state]).toEqual(['gw-test', 'site-test', 'connected']);
    expect(health.readers.map((r) => [r.id, r.connected])).toEqual([['scanner-1', true]]);

    const r = await status(config);
    expect([r.code, r.out.split('\n')[0]]).toEqual([0, '● readpoint gw-test at site-test: online, healthy']);
    expect(await daemon.kill('SIGTERM')).toBe(0);
  });

  it('reports at once when it starts with its broker up', async () => {
    await broker!.stop();
    broker = await startMosquitto(); // a new broker: nothing retained from the run before
    const own = join(dir, 'second');
    const config = writeE2eConfig({
      dir: mkdtempSync(`${own}-`),
      uplinkUrl: broker.url,
      healthIntervalS: 3600,
      readers: serialReaderYaml(pty.readerPath),
    });
    const daemon = startDaemon(config);
    daemons.push(daemon);
    const health = await firstHealth(broker.url);
    expect([health.gateway, health.uplink.state]).toEqual(['gw-test', 'connected']);
    expect(health.uptimeS).toBeLessThan(3600);
    // The next heartbeat is announced: an hour after the interval started, never before this report.
    const next = Date.parse(health.nextHeartbeatAt ?? '');
    expect(next - Date.parse(health.time)).toBeGreaterThan(3_500_000);
    expect(next - Date.parse(health.time)).toBeLessThanOrEqual(3_600_000);
    expect(await daemon.kill('SIGTERM')).toBe(0);
  });
});
