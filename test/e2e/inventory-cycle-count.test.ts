/**
 * Cycle counts on real processes: the daemon as a child process with an R2000 module (the
 * simulator on a socat PTY) reading the tags on a shelf and a serial barcode scanner (a socat PTY)
 * at a pack bench, both counted every second, and Mosquitto receiving the counts. Tags are on the
 * shelf; one leaves and another arrives; the daemon is killed and started again. Every count
 * carries exactly what appeared and went missing since the count it names as previous (also
 * across the restart), and every one is a valid EPCIS event. At the bench, units scanned within
 * the count's window are counted after their passes have ended.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeText } from '../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { type R2000Simulator, startR2000Simulator } from '../../drivers/r2000/simulator.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { openPtyDevice, type PtyDevice } from '../support/pty-device.js';
import { countErrors, gs1Errors, healthErrors } from '../support/schemas.js';

const epc = (serial: number) =>
  encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial }).toString('hex');
const uri = (serial: number) => `urn:epc:id:sgtin:0614141.812345.${serial}`;
const tag = (serial: number) => ({ epc: epc(serial), seenBy: { 1: -55 } });
const BASE = 'readpoint/v1/site-test/gw-count';

interface Count {
  eventID: string;
  eventTime: string;
  epcList: string[];
  'rp:count': {
    part: number;
    parts: number;
    previous?: string;
    units: number;
    appeared: number;
    missing: number;
  };
  'rp:appeared': string[];
  'rp:missing': string[];
  'rp:sequence': number;
}

let dir: string;
let config: string;
let mosquitto: Mosquitto;
let pty: PtyDevice;
let scanner: Pty;
let r2k: R2000Simulator;
let daemon: DaemonProcess | undefined;
let counts: Collector;
let health: Collector;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-count-e2e-'));
  mosquitto = await startMosquitto();
  pty = await openPtyDevice(dir, 'r2000');
  scanner = await openPty(dir, 'scanner');
  r2k = await startR2000Simulator({ path: pty.devicePath, roundMs: 20, tags: [1, 2, 3].map(tag) });
  config = join(dir, 'readpoint.yaml');
  writeFileSync(
    config,
    `gateway: { id: gw-count, site: site-test }
dataDir: ${join(dir, 'data')}
log: { level: info }
broker: { enabled: false }
uplink:
  url: ${mosquitto.url}
  healthIntervalS: 1
  retry: { minMs: 100, maxMs: 1000 }
readPoints:
  - { id: shelf, suppressionS: 2, bizLocation: "urn:epc:id:sgln:0614141.00777.0" }
  - { id: pack, suppressionS: 1 }
readers:
  - id: shelf-rfid
    driver: r2000
    path: ${pty.readerPath}
    readPoint: shelf
    antennas: [1]
    retry: { minMs: 100, maxMs: 1000 }
  - { id: pack-scanner, driver: serial-line, path: ${scanner.readerPath}, readPoint: pack }
jobs:
  cycleCount:
    - { readPoint: shelf, schedule: "* * * * * *" }
    - { readPoint: pack, schedule: "* * * * * *", windowS: 30 }
`,
  );
  counts = await collect(mosquitto.url, `${BASE}/counts/+`);
  health = await collect(mosquitto.url, `${BASE}/health`);
  daemon = await started();
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await counts?.close();
  await health?.close();
  await r2k?.close();
  await scanner?.close();
  await pty?.close();
  await mosquitto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function started(): Promise<DaemonProcess> {
  const d = startDaemon(config);
  await d.waitForLog((l) => l.msg === 'readpoint running', 20_000);
  return d;
}

/** The counts of a read point received, once each (a count redelivered after a restart has the same eventID). */
function received(readPoint = 'shelf'): Count[] {
  const byId = new Map<string, Count>();
  for (const m of counts.messages) {
    if (m.topic !== `${BASE}/counts/${readPoint}`) continue;
    const c = JSON.parse(m.payload.toString('utf8')) as Count;
    byId.set(c.eventID, c);
  }
  return [...byId.values()].sort((a, b) => a['rp:sequence'] - b['rp:sequence']);
}

/** Waits for a count of `readPoint` taken after `after` (ISO time) listing exactly `want`. */
async function countOf(want: string[], after = '', readPoint = 'shelf'): Promise<Count> {
  let found: Count | undefined;
  await expect
    .poll(
      () => {
        found = received(readPoint).find(
          (c) => c.eventTime > after && JSON.stringify(c.epcList) === JSON.stringify(want),
        );
        return found !== undefined;
      },
      { timeout: 15_000, interval: 50 },
    )
    .toBe(true);
  return found!;
}

const minus = (a: string[], b: string[]) => a.filter((u) => !b.includes(u));

describe('a cycle count on the schedule of a shelf read by an RFID module', () => {
  it('says what appeared and went missing since the previous count, also after a restart', async () => {
    const full = await countOf([1, 2, 3].map(uri));
    r2k.removeTag(epc(2));
    r2k.addTag(tag(4));
    const changed = await countOf([1, 3, 4].map(uri), full.eventTime);

    await daemon?.kill('SIGKILL');
    const killedAt = new Date().toISOString();
    daemon = await started();
    const afterRestart = await countOf([1, 3, 4].map(uri), killedAt);

    const all = received();
    const byTime = new Map(all.map((c) => [c.eventTime, c]));
    for (const c of all) {
      expect(gs1Errors(c)).toEqual([]);
      expect(countErrors(c)).toEqual([]);
      expect(c['rp:count']).toMatchObject({ part: 1, parts: 1, units: c.epcList.length });
      // Each count compares with the one it names: one taken and published before it.
      const previous = c['rp:count'].previous === undefined ? undefined : byTime.get(c['rp:count'].previous);
      if (c['rp:count'].previous !== undefined) expect(previous).toBeDefined();
      const before = previous?.epcList ?? [];
      expect(c['rp:appeared']).toEqual(minus(c.epcList, before));
      expect(c['rp:missing']).toEqual(minus(before, c.epcList));
      expect(c['rp:count']).toMatchObject({
        appeared: c['rp:appeared'].length,
        missing: c['rp:missing'].length,
      });
    }
    // Between the full shelf and the changed one: 4 appeared and 2 went missing, nothing else.
    const between = all.filter((c) => c.eventTime > full.eventTime && c.eventTime <= changed.eventTime);
    expect([...new Set(between.flatMap((c) => c['rp:appeared']))].sort()).toEqual([uri(4)]);
    expect([...new Set(between.flatMap((c) => c['rp:missing']))].sort()).toEqual([uri(2)]);
    // After the restart the first count compares with one taken before it (kept in the
    // inventory store), and once the module reads the shelf again nothing has changed.
    const firstAfter = all.find((c) => c.eventTime > killedAt);
    expect(firstAfter?.['rp:count'].previous).toBeDefined();
    expect(firstAfter!['rp:count'].previous! < killedAt).toBe(true);
    expect(afterRestart.epcList).toEqual([uri(1), uri(3), uri(4)]);

    // The health report says when the last count was taken and what it found.
    const reported = () =>
      health.messages
        .map((m) => JSON.parse(m.payload.toString('utf8')))
        .filter((h) => (h.inventory?.cycleCounts?.readPoints?.shelf?.lastAt ?? '') >= afterRestart.eventTime);
    await expect.poll(() => reported().length, { timeout: 10_000, interval: 50 }).toBeGreaterThan(0);
    const [report] = reported();
    expect(healthErrors(report)).toEqual([]);
    expect(report.inventory.cycleCounts.readPoints.shelf).toMatchObject({
      units: 3,
      parts: 1,
      truncated: false,
      failures: 0,
    });
  });

  it('counts the units scanned at a barcode read point within the window, after their passes have ended', async () => {
    await daemon!.waitForLog(
      (l) => l.msg === 'reader state' && l.reader === 'pack-scanner' && l.state === 'connected',
    );
    const scans = [']d2010950600013435221PK1', ']d2010950600013435221PK2', ']d2010950600013435221PK1'];
    for (const text of scans) await scanner.write(`${text}\r`);
    const unitOf = (text: string) => {
      const decoded = decodeText(text);
      if (!decoded.ok) throw new Error(decoded.reject.message);
      return decoded.identity.uri;
    };
    const units = [...new Set(scans.map(unitOf))].sort();
    expect(units).toHaveLength(2);
    const scannedAt = Date.now();
    // Taken two seconds on: the passes (suppressionS 1) have ended, the scan session has not.
    const count = await countOf(units, new Date(scannedAt + 2000).toISOString(), 'pack');
    expect(gs1Errors(count)).toEqual([]);
    expect(countErrors(count)).toEqual([]);
    expect(count['rp:count']).toMatchObject({ units: 2, windowS: 30 });
  });
});
