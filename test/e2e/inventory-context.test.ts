/**
 * Transaction context at a dock door on real parts: the daemon as a child process, two socat PTYs
 * (a context scanner and the door's scanner), Mosquitto upstream, the CLI as a child process. A
 * shipment scanned on the context scanner goes on the next 20 cases through the door; cleared by
 * the CLI, the next case carries none; a context set upstream (retained) holds through a restart.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { contextChangeErrors, gs1Errors, healthErrors, ownErrors } from '../support/schemas.js';

const run = promisify(execFile);
const BASE = 'readpoint/v1/site-test/gw-test';
const GSIN = '40123450000000016';
const SHIPMENT = [{ type: 'desadv', bizTransaction: `https://id.gs1.org/402/${GSIN}` }];
const ORDER = [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:PO-4711' }];
const caseScan = (n: number) => `]d20109506000134352${`21CASE${String(n).padStart(3, '0')}`}\r`;

let dir: string;
let broker: Mosquitto;
let contextScanner: Pty;
let doorScanner: Pty;
let config: string;
const daemons: DaemonProcess[] = [];
const collectors: Collector[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-e2e-context-'));
  broker = await startMosquitto();
  contextScanner = await openPty(dir, 'ctx');
  doorScanner = await openPty(dir, 'door');
  const reader = (id: string, path: string) =>
    serialReaderYaml(path, { delimiter: 'CR' })
      .replace('id: scanner-1', `id: ${id}`)
      .replace('conveyor-1', 'door-1');
  config = writeE2eConfig({
    dir,
    uplinkUrl: broker.url,
    extra: `  - id: door-1
    bizStep: shipping
    context:
      scanners: [ctx-1]
      clearCode: CLEAR
`,
    readers: reader('ctx-1', contextScanner.readerPath) + reader('door-scanner', doorScanner.readerPath),
  });
});

afterAll(async () => {
  for (const d of daemons)
    if (d.child.exitCode === null && d.child.signalCode === null) await d.kill('SIGKILL');
  for (const c of collectors) await c.close();
  await contextScanner?.close();
  await doorScanner?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function started(): Promise<DaemonProcess> {
  const daemon = startDaemon(config);
  daemons.push(daemon);
  for (const id of ['ctx-1', 'door-scanner'])
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.reader === id && l.state === 'connected');
  return daemon;
}

const cli = (...args: string[]) => run(process.execPath, [cliPath, 'context', ...args, '--config', config]);
const parsed = (c: Collector) => c.messages.map((m) => JSON.parse(String(m.payload)));

describe('transaction context at a dock door', () => {
  it('a scanned shipment goes on 20 cases, a clear ends it, an upstream context holds through a restart', async () => {
    const events = await collect(broker.url, `${BASE}/events/door-1`);
    const changes = await collect(broker.url, `${BASE}/context-changes/door-1`);
    collectors.push(events, changes);
    let daemon = await started();

    // The shipment's GSIN on the context scanner, then 20 cases through the door.
    await contextScanner.write(`]C1402${GSIN}\r`);
    await changes.waitFor(1, 20_000);
    for (let n = 1; n <= 20; n++) await doorScanner.write(caseScan(n));
    await events.waitFor(20, 20_000);
    const cases = parsed(events);
    expect(cases.map((e) => e['rp:unit'].serial)).toEqual(
      Array.from({ length: 20 }, (_, i) => `CASE${String(i + 1).padStart(3, '0')}`),
    );
    for (const e of cases) {
      expect(e.bizTransactionList).toEqual(SHIPMENT);
      expect(ownErrors(e)).toEqual([]);
      expect(gs1Errors(e)).toEqual([]);
    }
    const set = parsed(changes)[0];
    expect(set).toMatchObject({
      readPoint: 'door-1',
      change: 'set',
      by: 'scan',
      context: { reader: 'ctx-1' },
    });
    expect(set.context.bizTransactionList).toEqual(SHIPMENT);
    expect(set.sequence).toBeLessThan(Math.min(...cases.map((e) => e['rp:sequence'])));
    // Health names the active context.
    const report = await daemon.waitForLog(
      (l) =>
        l.msg === 'health' &&
        (l.health as { inventory?: { context?: { active: number } } }).inventory?.context?.active === 1,
    );
    const health = report.health as { inventory: { context: unknown } };
    expect(healthErrors(health)).toEqual([]);
    expect(health.inventory.context).toMatchObject({
      active: 1,
      changes: 1,
      refused: 0,
      readPoints: { 'door-1': { by: 'scan', transactions: 1 } },
    });

    // Cleared from the CLI through the control socket: the next case carries no context.
    expect((await cli('clear', 'door-1')).stdout).toBe('cleared\n');
    await changes.waitFor(2, 20_000);
    await doorScanner.write(caseScan(21));
    await events.waitFor(21, 20_000);
    const after = parsed(events)[20];
    expect(after['rp:unit'].serial).toBe('CASE021');
    expect(after.bizTransactionList).toBeUndefined();
    expect(parsed(changes)[1]).toMatchObject({ change: 'cleared', by: 'cli', previous: { by: 'scan' } });

    // Upstream sets an order, retained; the daemon restarts; the order still applies.
    const upstream = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      await upstream.publishAsync(
        `${BASE}/context/door-1`,
        JSON.stringify({ version: 1, bizTransactionList: ORDER }),
        { qos: 1, retain: true },
      );
    } finally {
      await upstream.endAsync();
    }
    await changes.waitFor(3, 20_000);
    expect(parsed(changes)[2]).toMatchObject({ change: 'set', by: 'upstream', context: { version: 1 } });
    expect(await daemon.kill('SIGTERM')).toBe(0);
    // Stopped: show answers from the data directory.
    expect(JSON.parse((await cli('show', '--json')).stdout)).toMatchObject({
      'door-1': { bizTransactionList: ORDER, by: 'upstream', version: 1 },
    });

    daemon = await started();
    // The retained message comes again on subscribe: the same version changes nothing.
    await daemon.waitForLog((l) => l.msg === 'an upstream context not newer than the one taken is ignored');
    expect(JSON.parse((await cli('show', 'door-1', '--json')).stdout)['door-1'].bizTransactionList).toEqual(
      ORDER,
    );
    await doorScanner.write(caseScan(22));
    await events.waitFor(22, 20_000);
    const restarted = parsed(events)[21];
    expect(restarted['rp:unit'].serial).toBe('CASE022');
    expect(restarted.bizTransactionList).toEqual(ORDER);
    expect(gs1Errors(restarted)).toEqual([]);
    expect(changes.messages.length).toBe(3);
    for (const change of parsed(changes)) expect(contextChangeErrors(change)).toEqual([]);
    expect(await daemon.kill('SIGTERM')).toBe(0);
  });
});
