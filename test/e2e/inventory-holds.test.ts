import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { openPtyDevice, type PtyDevice } from '../support/pty-device.js';
import { gs1Errors, healthErrors, holdAlertErrors, ownErrors } from '../support/schemas.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

type HealthWithHolds = { inventory?: { holds?: Record<string, unknown> & { alerts: number } } };

const GTIN = '09506000134352';
const BASE = 'readpoint/v1/site-test/gw-test';
const RECALL = {
  version: 2,
  entries: [{ gtin: GTIN, lot: 'L42', reason: 'recall', reference: 'R-2026-118' }],
};
const scan = (serial: string, lot: string) => `]d201${GTIN}21${serial}\x1d10${lot}\r`;

let dir: string;
let broker: Mosquitto;
/** Between the daemon and the broker: keeps the daemon away from a restarted broker until the test's subscribers are back. */
let proxy: TcpProxy;
let scanner: Pty;
let relay: PtyDevice;
let relayPort: SerialPort;
let relayBytes = Buffer.alloc(0);
let relayChanged: (() => void) | undefined;
const daemons: DaemonProcess[] = [];
const collectors: Collector[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-e2e-holds-'));
  broker = await startMosquitto();
  proxy = await startTcpProxy(broker.port);
  scanner = await openPty(dir, 'scanner');
  relay = await openPtyDevice(dir, 'relay');
  relayPort = new SerialPort({ path: relay.devicePath, baudRate: 9600 });
  relayPort.on('data', (b: Buffer) => {
    relayBytes = Buffer.concat([relayBytes, b]);
    relayChanged?.();
  });
  await new Promise((r) => relayPort.once('open', r));
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  for (const c of collectors) await c.close();
  await new Promise<void>((r) => (relayPort?.isOpen ? relayPort.close(() => r()) : r()));
  await relay?.close();
  await scanner?.close();
  await proxy?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes a retained hold list upstream, as the central system does. */
async function publishHolds(topic: string, body: unknown): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `upstream-${Date.now()}` });
  await client.publishAsync(topic, JSON.stringify(body), { qos: 1, retain: true });
  await client.endAsync();
}

/** Resolves once the relay has received `hex`, with how long it took from `since`. */
function relayGets(hex: string, since: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay got ${relayBytes.toString('hex')}`)), 15_000);
    const check = () => {
      if (relayBytes.toString('hex') !== hex) return;
      clearTimeout(timer);
      relayChanged = undefined;
      resolve(performance.now() - since);
    };
    relayChanged = check;
    check();
  });
}

async function cli(args: string[]): Promise<{ status: number | string; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCli(args);
  return { status: code, stdout, stderr };
}

const update = (outcome: string, version: number) => (l: LogLine) =>
  l.msg === `hold update ${outcome}` && l.version === version;

describe('holds and recalls at the dock door', () => {
  it('signals a recalled unit locally with the uplink down, alerts once it is back, and keeps the holds across a restart', async () => {
    const config = writeE2eConfig({
      dir,
      uplinkUrl: proxy.url,
      readers: `  - { id: door-scanner, driver: serial-line, readPoint: dock-1, path: ${scanner.readerPath}, delimiter: CR }
`,
      extra: `  - id: dock-1
    bizStep: shipping
    holdSignal: { path: ${relay.readerPath}, bytes: A00101A2 }
holds:
  alertIntervalS: 60
`,
    });
    await publishHolds(`readpoint/v1/site-test/holds`, RECALL);
    const alerts = await collect(broker.url, `${BASE}/alerts/+`);
    const events = await collect(broker.url, `${BASE}/events/+`);
    collectors.push(alerts, events);

    let daemon = startDaemon(config);
    daemons.push(daemon);
    await daemon.waitForLog(update('applied', 2));
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');

    // The uplink is cut; a unit of the recalled lot comes to the door.
    await broker.kill();
    await daemon.waitForLog(
      (l) => l.msg === 'health' && (l.health as { uplink: { state: string } }).uplink.state !== 'connected',
      20_000,
    );
    const scanned = performance.now();
    await scanner.write(scan('A7', 'L42'));
    const signalMs = await relayGets('a00101a2', scanned);
    console.log(`holds e2e: local signal on the relay ${signalMs.toFixed(0)} ms after the scan, uplink down`);
    await daemon.waitForLog((l) => l.msg === 'held unit seen');
    expect(alerts.messages).toHaveLength(0);

    // The broker returns: the event and its alert are delivered from the outbox. This broker keeps
    // no sessions across its death, so the daemon is let through only once the test's subscribers
    // are back (what it delivered before they were would reach nobody).
    const subscribed = [alerts.subscribed, events.subscribed];
    proxy.holdNew();
    await broker.restart();
    await expect
      .poll(() => alerts.subscribed > subscribed[0]! && events.subscribed > subscribed[1]!, {
        timeout: 15_000,
      })
      .toBe(true);
    proxy.releaseNew();
    // This broker keeps no retained messages across its death: upstream publishes the list again.
    await publishHolds(`readpoint/v1/site-test/holds`, RECALL);
    await alerts.waitFor(1, 30_000);
    await events.waitFor(1, 30_000);
    const event = JSON.parse(String(events.messages[0]!.payload));
    const alert = JSON.parse(String(alerts.messages[0]!.payload));
    expect(alerts.messages[0]!.topic).toBe(`${BASE}/alerts/dock-1`);
    expect(gs1Errors(event)).toEqual([]);
    expect(ownErrors(event)).toEqual([]);
    expect(holdAlertErrors(alert)).toEqual([]);
    expect(alert).toMatchObject({
      unit: `https://id.gs1.org/01/${GTIN}/21/A7`,
      lot: 'L42',
      readPoint: 'dock-1',
      eventID: event.eventID,
      eventSequence: event['rp:sequence'],
      hold: { list: 'site', version: 2, kind: 'lot', reference: 'R-2026-118' },
    });
    expect(alert.sequence).toBeGreaterThan(event['rp:sequence']);

    // A restart keeps the holds; the retained list comes again (same version) and an older one is ignored.
    expect(await daemon.kill('SIGTERM')).toBe(0);
    daemon = startDaemon(config);
    daemons.push(daemon);
    const loaded = await daemon.waitForLog((l) => l.msg === 'hold lists loaded');
    // One component per line (a second would be written twice), the feature beside it.
    expect(loaded).toMatchObject({
      component: 'inventory',
      feature: 'holds',
      entries: 1,
      indexLimitBytes: 48 * 1024 * 1024,
      versions: { site: 2 },
    });
    await daemon.waitForLog(update('ignored', 2));
    await publishHolds(`readpoint/v1/site-test/holds`, { version: 1, entries: [{ gtin: GTIN, lot: 'L99' }] });
    await daemon.waitForLog(update('ignored', 1));
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');

    // A local hold through the running daemon's control socket.
    const added = await cli([
      'holds',
      'add',
      '--config',
      config,
      '--unit',
      `https://id.gs1.org/01/${GTIN}/21/B1`,
    ]);
    expect(added).toMatchObject({ status: 0, stdout: 'local hold list now at version 1\n' });
    const listed = await cli(['holds', 'list', '--config', config, '--json']);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).list),
    ).toEqual(['local', 'site']);

    await scanner.write(scan('C1', 'L99') + scan('B1', 'L1') + scan('A8', 'L42'));
    await events.waitFor(4, 30_000);
    await alerts.waitFor(3, 30_000);
    // Two held units read together: their alerts recorded in read order.
    const later = alerts.messages.slice(1).map((m) => JSON.parse(String(m.payload)));
    expect(later[0].eventSequence).toBeLessThan(later[1].eventSequence);
    expect(later.map((a) => [a.serial, a.hold.list])).toEqual([
      ['B1', 'local'],
      ['A8', 'site'],
    ]);
    const report = await daemon.waitForLog(
      (l) => l.msg === 'health' && (l.health as HealthWithHolds).inventory?.holds?.alerts === 2,
      20_000,
    );
    expect(healthErrors(report.health)).toEqual([]);
    expect((report.health as HealthWithHolds).inventory?.holds).toMatchObject({
      entries: { unit: 1, lot: 1, total: 2 },
      versions: { site: 2, local: 1 },
      hits: 2,
      updates: { applied: 0, ignored: 2, rejected: 0 },
    });
    expect(await daemon.kill('SIGTERM')).toBe(0);
    expect(alerts.messages).toHaveLength(3);
  }, 120_000);
});
