/**
 * The gateway's own session with its embedded broker is internal: the real daemon (dist) with the
 * embedded broker as its upstream, a scanner on a socat PTY, and an attacker on loopback.
 * - An attacker holding every pending-connection slot with idle sockets, beside consumers holding
 *   the rest of maxConnections, cannot keep the uplink out: a reload reconnects the uplink, and
 *   the event read after it reaches a consumer while every one of those sockets is still open.
 * - The uplink is no TCP client of the broker: health's `broker.clients` counts the floor's
 *   clients only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { freePort } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';

const BASE = 'readpoint/v1/site-test/gw-test';
const FLOOR = { username: 'floor', password: 'floor-secret' };
const SCAN = ']d2010950600013435221SN0042\x1d10LOT7\r';

let dir: string;
let pty: Pty;
let daemon: DaemonProcess | undefined;
const cleanup: (() => unknown)[] = [];

function config(port: number, keepaliveS: number): string {
  const file = join(dir, 'readpoint.yaml');
  writeFileSync(
    file,
    `gateway: { id: gw-test, site: site-test }
dataDir: ${join(dir, 'data')}
log: { level: info }
broker:
  enabled: true
  host: 127.0.0.1
  port: ${port}
  username: ${FLOOR.username}
  password: ${FLOOR.password}
  limits:
    maxConnections: 4
    maxConsumers: 2
    maxPendingConnections: 2
    maxPendingPerAddress: 2
    connectTimeoutS: 120
uplink:
  keepaliveS: ${keepaliveS}
  healthIntervalS: 60
  retry: { minMs: 50, maxMs: 200 }
readPoints:
  - id: conveyor-1
    bizStep: shipping
    disposition: in_transit
    bizLocation: urn:epc:id:sgln:4012345.00001.0
readers:
  - id: scanner-1
    driver: serial-line
    readPoint: conveyor-1
    path: ${pty.readerPath}
`,
  );
  return file;
}

/** A socket that connects and never sends CONNECT; `open()` says whether the broker still holds it. */
function idleSocket(port: number): { open: () => boolean; closed: Promise<void> } {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  let open = true;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      open = false;
      resolve();
    }),
  );
  cleanup.push(() => socket.destroy());
  return { open: () => open, closed };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-internal-'));
  pty = await openPty(dir);
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await daemon?.kill('SIGKILL');
  daemon = undefined;
  await pty?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function running(): Promise<{ port: number; file: string; floor: Collector }> {
  const port = await freePort();
  const file = config(port, 5);
  daemon = startDaemon(file);
  await daemon.waitForLog((l) => l.msg === 'uplink connected');
  await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
  const floor = await collect(`mqtt://127.0.0.1:${port}`, `${BASE}/events/#`, FLOOR);
  cleanup.push(() => floor.close());
  return { port, file, floor };
}

describe("the gateway's own broker session is internal", () => {
  it('reconnects and delivers while an attacker holds every pending slot on loopback', async () => {
    const { port, floor } = await running();
    const d = daemon!;
    // Two consumers and two idle sockets fill maxConnections (4); a fifth socket is closed at once,
    // so every slot is held.
    const second = await collect(`mqtt://127.0.0.1:${port}`, `${BASE}/status`, FLOOR);
    cleanup.push(() => second.close());
    const held = [idleSocket(port), idleSocket(port)];
    const probe = idleSocket(port);
    await probe.closed;
    expect(held.map((s) => s.open())).toEqual([true, true]);

    // A changed keepalive reconnects the uplink.
    const since = d.logs.length;
    config(port, 6);
    d.child.kill('SIGHUP');
    const reload = await d.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
    expect(reload.msg).toMatch(/uplink reconnected/);

    await pty.write(SCAN);
    // Whatever comes first: the event at the consumer, or the uplink failing to get in.
    const outcome = await Promise.race([
      floor.waitFor(1, 20_000).then(() => 'event delivered'),
      d
        .waitForLog(
          (l) => l.msg === 'uplink cannot connect' || l.msg === 'uplink connection lost',
          20_000,
          since,
        )
        .then((l) => `${l.msg}: ${String(l.lastError)}`),
    ]);
    expect(outcome).toBe('event delivered');
    expect(held.map((s) => s.open())).toEqual([true, true]);
    const event = JSON.parse(floor.messages[0]!.payload.toString('utf8')) as { epcList?: string[] };
    expect(floor.messages[0]!.topic).toBe(`${BASE}/events/conveyor-1`);
    expect(event.epcList).toHaveLength(1);
    const connected = d.logs.slice(since).filter((l) => l.msg === 'uplink connected');
    expect(connected).toHaveLength(1);
  });

  it("counts the floor's clients in health, not the gateway's own session", async () => {
    const { port } = await running();
    const d = daemon!;
    // A reload that changes nothing reports health at once.
    const since = d.logs.length;
    d.child.kill('SIGHUP');
    const report = await d.waitForLog((l) => l.msg === 'health', 20_000, since);
    const health = report.health as HealthPayload;
    expect(health.uplink.state).toBe('connected');
    // One consumer (the collector) is connected over TCP; the uplink is not a TCP client.
    expect(health.broker).toMatchObject({ host: '127.0.0.1', port, clients: 1 });
  });
});
