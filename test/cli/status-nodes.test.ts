/**
 * `readpoint status --config` when uplink.url lists several broker nodes. Retained messages stay
 * on the node they were published to (as on a RabbitMQ cluster; here two Mosquittos stand in for
 * two nodes), so every node is asked and the newest health report wins.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_EXIT } from '../../daemon/cli/status-format.js';
import { cliPath } from '../support/daemon.js';
import { freePort, type Mosquitto, startMosquitto } from '../support/mosquitto.js';

const STATUS = 'readpoint/v1/site-1/gw-1/status';
const HEALTH = 'readpoint/v1/site-1/gw-1/health';

let dir: string;
let nodes: Mosquitto[];

function status(config: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cliPath, 'status', '--config', config, '--timeout', '5'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** Leaves a retained status and health report (sent `agoS` seconds ago, up `uptimeS`) on `url`. */
async function retain(url: string, state: string, agoS: number, uptimeS: number): Promise<void> {
  const time = new Date(Date.now() - agoS * 1000).toISOString();
  const health = {
    gateway: 'gw-1',
    site: 'site-1',
    time,
    uptimeS,
    readers: [],
    events: { published: 7, suppressedReads: 0, rejected: 0 },
    outbox: {
      depth: 0,
      bytes: 0,
      dropped: 0,
      lastSeq: 7,
      backlog: 0,
      policy: 'drop-oldest',
      appendRate: 0,
      ackRate: 0,
      runwayS: null,
      readingStopped: false,
      stalledS: 0,
      stalls: 0,
      held: 0,
    },
    uplink: { state: 'connected', connects: 1, inflight: 0 },
    config: { generation: 1, loadedAt: time, reloads: 0, reloadFailures: 0 },
  };
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  await client.publishAsync(STATUS, state, { qos: 1, retain: true });
  await client.publishAsync(HEALTH, JSON.stringify(health), { qos: 1, retain: true });
  await client.endAsync();
}

function config(urls: readonly string[]): string {
  const file = join(dir, `gw-${urls.length}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `gateway: { id: gw-1, site: site-1 }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink: { url: [${urls.map((u) => JSON.stringify(u)).join(', ')}], healthIntervalS: 60 }
readPoints: [{ id: line-1 }]
readers: [{ id: sim, driver: simulator, readPoint: line-1 }]
`,
  );
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-status-nodes-'));
  nodes = [await startMosquitto(), await startMosquitto()];
});

afterAll(async () => {
  for (const n of nodes) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('readpoint status with several broker nodes', () => {
  it('takes the newest report of any node, goes on when a node is down, and is unreachable only when all are', async () => {
    // The gateway was on node 0 long ago (offline there since) and is on node 1 now.
    await retain(nodes[0]!.url, 'offline', 3600, 100);
    await retain(nodes[1]!.url, 'online', 2, 4000);
    const both = config(nodes.map((n) => n.url));
    const now = await status(both);
    expect([now.code, now.out.split('\n')[0]]).toEqual([
      STATUS_EXIT.healthy,
      '● readpoint gw-1 at site-1: online, healthy',
    ]);
    expect(now.out).toMatch(/up 1 h 6 min/);

    // A node that does not answer: the others still do.
    const gone = `mqtt://127.0.0.1:${await freePort()}`;
    const oneDown = await status(config([gone, nodes[1]!.url]));
    expect(oneDown.code).toBe(STATUS_EXIT.healthy);

    // None answers: unreachable, each node named.
    const noneUp = await status(config([gone, `mqtt://127.0.0.1:${await freePort()}`]));
    expect(noneUp.code).toBe(STATUS_EXIT.unreachable);
    expect(noneUp.err).toMatch(/no broker node answered \(node 0: .+; node 1: .+\)/);
  });
});
