/**
 * Issue 6's live reload on real parts: the daemon as a child process with scanners on socat PTYs,
 * events to a real Mosquitto. While one scanner keeps sending, SIGHUP swaps another scanner for
 * a third: every read of every scanner arrives as exactly one event, and the scanner left alone
 * is never restarted. A broken file and a change that needs a restart are refused, the running
 * configuration keeps working, and the health topic says why.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload, SummaryPayload } from '../../daemon/contract/topics.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { healthErrors, summaryErrors } from '../support/schemas.js';

const GS = '\x1d';
/** A GS1 DataMatrix read of one serialized unit, as a scanner sends it (AIM prefix, CR). */
const label = (serial: string) => `]d2010950600013435221${serial}${GS}10LOT1\r`;

let dir: string;
let configFile: string;
let mosquitto: Mosquitto;
let ptys: Record<'a' | 'b' | 'c', Pty>;
let daemon: DaemonProcess;
let events: Collector;
let health: Collector;
let summaries: Collector;

const reader = (id: string, pty: Pty, readPoint: string) =>
  `  - { id: ${id}, driver: serial-line, path: ${pty.readerPath}, readPoint: ${readPoint}, retry: { minMs: 100, maxMs: 1000 } }\n`;

function writeConfig(readers: string, gatewayId = 'gw-reload', url = mosquitto.url, extra = ''): void {
  writeFileSync(
    configFile,
    `gateway: { id: ${gatewayId}, site: site-test }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink:
  url: ${url}
  healthIntervalS: 1
  retry: { minMs: 100, maxMs: 1000 }
jobs: { summary: "*/2 * * * * *" }
readPoints:
  - { id: line-1, bizStep: packing }
  - { id: line-2, bizStep: packing }
${extra}
readers:
${readers}`,
  );
}

/** The serial numbers of the events that arrived, per reader. */
function serialsByReader(): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const m of events.messages) {
    const e = JSON.parse(m.payload.toString('utf8'));
    const list = by.get(e['rp:reader']) ?? [];
    list.push(e['rp:unit'].serial);
    by.set(e['rp:reader'], list);
  }
  return by;
}

const lastHealth = (): HealthPayload =>
  JSON.parse(health.messages[health.messages.length - 1]!.payload.toString('utf8'));

async function send(pty: Pty, prefix: string, from: number, count: number): Promise<string[]> {
  const serials: string[] = [];
  for (let i = from; i < from + count; i++) {
    serials.push(`${prefix}${i}`);
    await pty.write(label(`${prefix}${i}`));
  }
  return serials;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-reload-'));
  configFile = join(dir, 'readpoint.yaml');
  mosquitto = await startMosquitto();
  ptys = {
    a: await openPty(dir, 'scanner-a'),
    b: await openPty(dir, 'scanner-b'),
    c: await openPty(dir, 'scanner-c'),
  };
  writeConfig(reader('scanner-a', ptys.a, 'line-1') + reader('scanner-b', ptys.b, 'line-2'));
  events = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-reload/events/+');
  health = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-reload/health');
  summaries = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-reload/summary');
  daemon = startDaemon(configFile);
  for (const id of ['scanner-a', 'scanner-b'])
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.reader === id && l.state === 'connected');
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await events?.close();
  await health?.close();
  await summaries?.close();
  for (const p of Object.values(ptys ?? {})) await p.close();
  await mosquitto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('live reload (SIGHUP)', () => {
  it('swaps a reader while another keeps reading, without losing or repeating an event', async () => {
    const sent = { a: await send(ptys.a, 'A', 0, 50), b: await send(ptys.b, 'B', 0, 30), c: [] as string[] };
    await events.waitFor(80, 20_000);

    // scanner-b goes, scanner-c comes; scanner-a is untouched and keeps sending throughout.
    writeConfig(reader('scanner-a', ptys.a, 'line-1') + reader('scanner-c', ptys.c, 'line-2'));
    const since = daemon.logs.length;
    const during = send(ptys.a, 'A', 50, 300);
    daemon.child.kill('SIGHUP');
    const reloaded = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
    expect(reloaded.msg).toBe('configuration reloaded: readers added: scanner-c; readers removed: scanner-b');
    sent.a.push(...(await during));
    await daemon.waitForLog(
      (l) => l.msg === 'reader state' && l.reader === 'scanner-c' && l.state === 'connected',
      20_000,
      since,
    );
    sent.c.push(...(await send(ptys.c, 'C', 0, 40)));
    await events.waitFor(50 + 30 + 300 + 40, 30_000);

    const got = serialsByReader();
    expect(got.get('scanner-a')).toEqual(sent.a);
    expect(got.get('scanner-b')).toEqual(sent.b);
    expect(got.get('scanner-c')).toEqual(sent.c);
    expect(events.messages).toHaveLength(420);
    // scanner-a was never stopped or reconnected by the reload.
    const aStates = daemon.logs
      .slice(since)
      .filter((l) => l.msg === 'reader state' && l.reader === 'scanner-a');
    expect(aStates).toEqual([]);

    await expect.poll(() => lastHealth().config?.generation, { timeout: 10_000 }).toBe(2);
    const h = lastHealth();
    expect(healthErrors(h)).toEqual([]);
    expect(h.config).toMatchObject({ generation: 2, reloads: 1, reloadFailures: 0 });
    expect(h.config?.lastReload).toMatchObject({
      ok: true,
      message: 'readers added: scanner-c; readers removed: scanner-b',
    });
    expect(h.readers.map((r) => r.id)).toEqual(['scanner-a', 'scanner-c']);
    await expect.poll(() => lastHealth().events.published, { timeout: 10_000 }).toBe(420);
    expect(lastHealth().readers).toMatchObject([
      { id: 'scanner-a', connected: true, errors: 0, reconnects: 0 },
      { id: 'scanner-c', connected: true, errors: 0, reconnects: 0 },
    ]);
    // Rates come from samples a second apart (from a baseline taken as the reader started).
    await expect.poll(() => lastHealth().readers[0]?.readsPerMin, { timeout: 10_000 }).toBeGreaterThan(0);
    // Each summary counts since the one before: together they account for every event, per reader.
    const perReader = () => {
      const sum = new Map<string, number>();
      for (const m of summaries.messages) {
        const s = JSON.parse(m.payload.toString('utf8')) as SummaryPayload;
        expect(summaryErrors(s)).toEqual([]);
        for (const r of s.readers) sum.set(r.id, (sum.get(r.id) ?? 0) + r.events);
      }
      return Object.fromEntries(sum);
    };
    await expect
      .poll(perReader, { timeout: 10_000 })
      .toEqual({ 'scanner-a': 350, 'scanner-b': 30, 'scanner-c': 40 });
  });

  it('keeps the running configuration when the new file is broken, and says why', async () => {
    writeFileSync(configFile, 'gateway: { id: gw-reload, site: site-test\nreaders: [\n');
    const since = daemon.logs.length;
    const seen = health.messages.length;
    daemon.child.kill('SIGHUP');
    const failed = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
    expect(failed.msg).toMatch(
      /^configuration reload failed: .*readpoint\.yaml is invalid, the running configuration is kept: .*readpoint\.yaml:\d+:\d+ /,
    );
    expect(failed.level).toBe(50);
    await expect
      .poll(() => health.messages.length > seen && lastHealth().config?.reloadFailures, { timeout: 10_000 })
      .toBe(1);
    expect(lastHealth().config).toMatchObject({ generation: 2, reloads: 1, lastReload: { ok: false } });
    expect(healthErrors(lastHealth())).toEqual([]);
    expect(lastHealth().config?.lastReload?.message).toContain('readpoint.yaml is invalid');

    // Both running scanners still read.
    const before = events.messages.length;
    const a = await send(ptys.a, 'A', 1000, 10);
    const c = await send(ptys.c, 'C', 1000, 10);
    await events.waitFor(before + 20, 20_000);
    const got = serialsByReader();
    expect(got.get('scanner-a')?.slice(-10)).toEqual(a);
    expect(got.get('scanner-c')?.slice(-10)).toEqual(c);
  });

  it('refuses a change that needs a restart, naming it, and changes nothing', async () => {
    writeConfig(reader('scanner-a', ptys.a, 'line-2'), 'gw-renamed');
    const since = daemon.logs.length;
    daemon.child.kill('SIGHUP');
    const refused = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
    expect(refused.msg).toBe(
      'configuration reload failed: not applied: gateway changed, which needs a restart ' +
        '(systemctl restart readpoint); the running configuration is unchanged',
    );
    // scanner-a still reads at line-1 (the refused file moved it to line-2), scanner-c still runs.
    const before = events.messages.length;
    await send(ptys.c, 'C', 2000, 1);
    await send(ptys.a, 'A', 2000, 1);
    await events.waitFor(before + 2, 20_000);
    // Two scanners on two lines: their events may arrive in either order.
    const last = events.messages
      .slice(-2)
      .map((m) => [m.topic, JSON.parse(m.payload.toString('utf8'))['rp:reader']])
      .sort((x, y) => x[1].localeCompare(y[1]));
    expect(last).toEqual([
      ['readpoint/v1/site-test/gw-reload/events/line-1', 'scanner-a'],
      ['readpoint/v1/site-test/gw-reload/events/line-2', 'scanner-c'],
    ]);
  });

  it('changes the log level in place: the reload says so, then only warnings and errors are logged', async () => {
    const readers = reader('scanner-a', ptys.a, 'line-1') + reader('scanner-c', ptys.c, 'line-2');
    writeConfig(readers, 'gw-reload', mosquitto.url, 'log: { level: warn }');
    const since = daemon.logs.length;
    daemon.child.kill('SIGHUP');
    const reloaded = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
    expect(reloaded.msg).toBe('configuration reloaded: log level changed');
    const at = daemon.logs.indexOf(reloaded);
    // Two heartbeats later (they still go to the health topic), nothing below warn was logged.
    const beats = health.messages.length;
    await health.waitFor(beats + 2, 10_000);
    await send(ptys.a, 'A', 4000, 1);
    writeConfig(readers, 'gw-reload', mosquitto.url, 'log: { level: info }');
    daemon.child.kill('SIGHUP');
    const back = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, at + 1);
    expect(back.msg).toBe('configuration reloaded: log level changed');
    expect(daemon.logs.slice(at + 1, daemon.logs.indexOf(back)).filter((l) => l.level < 40)).toEqual([]);
    await daemon.waitForLog((l) => l.msg === 'health', 10_000, daemon.logs.indexOf(back));
  });

  it('reconnects to a changed uplink without losing an event, while the scanners keep sending', async () => {
    const other = await startMosquitto();
    const moved = await collect(other.url, 'readpoint/v1/site-test/gw-reload/events/+');
    try {
      const before = events.messages.length;
      writeConfig(
        reader('scanner-a', ptys.a, 'line-1') + reader('scanner-c', ptys.c, 'line-2'),
        'gw-reload',
        other.url,
      );
      const since = daemon.logs.length;
      const during = send(ptys.a, 'A', 3000, 200);
      daemon.child.kill('SIGHUP');
      const reloaded = await daemon.waitForLog(
        (l) => l.msg.startsWith('configuration reload'),
        20_000,
        since,
      );
      expect(reloaded.msg).toBe('configuration reloaded: uplink reconnected');
      const sent = await during;
      const after = await send(ptys.c, 'C', 3000, 20);
      await moved.waitFor(20, 20_000);
      // Every read arrived at one broker or the other (at least once); what was read after the
      // reload arrived at the new one, exactly once.
      const serials = (ms: typeof events.messages) =>
        ms.map((m) => JSON.parse(m.payload.toString('utf8'))['rp:unit'].serial as string);
      await expect
        .poll(() => new Set([...serials(events.messages.slice(before)), ...serials(moved.messages)]).size, {
          timeout: 20_000,
        })
        .toBe(220);
      const atNew = serials(moved.messages);
      expect(atNew.filter((x) => x.startsWith('C'))).toEqual(after);
      expect(new Set(atNew).size).toBe(atNew.length);
      expect(
        [...new Set([...serials(events.messages.slice(before)), ...atNew])]
          .filter((x) => x.startsWith('A'))
          .sort(),
      ).toEqual([...sent].sort());
    } finally {
      await moved.close();
      await other.stop();
    }
  });
});
