/**
 * The daily summary survives a restart (issue 6): the daemon as a child process with a scanner on
 * a socat PTY and a real Mosquitto. Reads before a SIGTERM and reads after the restart land in the
 * same period: the summaries the second run publishes start where the first run started, and
 * together count every read, event, reject and lost device of both runs exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SummaryPayload } from '../../daemon/contract/topics.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { summaryErrors } from '../support/schemas.js';

const GS = '\x1d';
const label = (serial: string) => `]d2010950600013435221${serial}${GS}10LOT1\r`;
/** The same GTIN with a wrong check digit: rejected. */
const badLabel = ']d2010950600013435321X1\r';

let dir: string;
let configFile: string;
let mosquitto: Mosquitto;
let pty: Pty;
let daemon: DaemonProcess | undefined;
let events: Collector;
let summaries: Collector;

function writeConfig(summarySchedule: string): void {
  writeFileSync(
    configFile,
    `gateway: { id: gw-summary, site: site-test }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink:
  url: ${mosquitto.url}
  healthIntervalS: 1
  retry: { minMs: 100, maxMs: 1000 }
jobs: { summary: "${summarySchedule}" }
readPoints:
  - { id: line-1, bizStep: packing }
readers:
  - { id: scanner-1, driver: serial-line, path: ${pty.readerPath}, readPoint: line-1, retry: { minMs: 100, maxMs: 1000 } }
`,
  );
}

async function run(): Promise<DaemonProcess> {
  const d = startDaemon(configFile);
  daemon = d;
  await d.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
  return d;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-summary-'));
  configFile = join(dir, 'readpoint.yaml');
  mosquitto = await startMosquitto();
  pty = await openPty(dir, 'scanner-1');
  events = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-summary/events/+');
  summaries = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-summary/summary');
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await events?.close();
  await summaries?.close();
  await pty?.close();
  await mosquitto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('summary across a restart', () => {
  it('counts the reads of both runs in one period that starts with the first run', async () => {
    // First run: no summary is due (1 January only); 7 reads and a reject, then a clean stop.
    writeConfig('0 0 1 1 *');
    const startedBefore = Date.now();
    const first = await run();
    // The reject first: a reader's reads are handled in order, so it is counted by the 7th event.
    await pty.write(badLabel);
    for (let i = 0; i < 7; i++) await pty.write(label(`S${i}`));
    await events.waitFor(7, 20_000);
    // The scanner's cable is pulled and put back: an error in the summary.
    await pty.kill();
    await first.waitForLog((l) => l.msg === 'reader state' && l.state === 'disconnected', 10_000);
    await pty.restart();
    await first.waitForLog((l) => l.msg === 'reader reconnected', 10_000);
    expect(await first.kill('SIGTERM')).toBe(0);
    // The state lines end with the stop: a reconnect held back by the once-a-minute limit is
    // written before it, not after.
    const states = first.logs.filter((l) => l.msg === 'reader state').map((l) => [l.state, l.repeated]);
    expect(states).toEqual([
      ['connecting', undefined],
      ['connected', undefined],
      ['disconnected', undefined],
      ['connected', 1],
      ['stopped', undefined],
    ]);
    const firstStopped = Date.now();
    expect(summaries.messages).toHaveLength(0);

    // Second run: a summary every 2 s; 3 more reads.
    writeConfig('*/2 * * * * *');
    const second = await run();
    const carried = await second.waitForLog(
      (l) => l.msg === 'summary period carried over from the previous run',
    );
    const from = Date.parse(carried.from as string);
    expect(from).toBeGreaterThanOrEqual(startedBefore - 1000);
    expect(from).toBeLessThanOrEqual(firstStopped);
    for (let i = 7; i < 10; i++) await pty.write(label(`S${i}`));
    await events.waitFor(10, 20_000);

    const published = () =>
      summaries.messages.map((m) => JSON.parse(m.payload.toString('utf8')) as SummaryPayload);
    const sum = (k: 'reads' | 'events' | 'rejects' | 'errors') =>
      published().reduce((n, s) => n + (s.readers.find((r) => r.id === 'scanner-1')?.[k] ?? 0), 0);
    const delivered = () => published().reduce((n, s) => n + s.delivered, 0);
    // An event is counted when stored and delivered at its PUBACK, which may fall in the next period.
    await expect.poll(() => [sum('events'), delivered()], { timeout: 20_000 }).toEqual([10, 10]);
    const all = published();
    for (const s of all) expect(summaryErrors(s)).toEqual([]);
    expect(all[0]!.from).toBe(new Date(from).toISOString());
    // Each period starts where the one before ended.
    for (let i = 1; i < all.length; i++) expect(all[i]!.from).toBe(all[i - 1]!.to);
    expect({
      reads: sum('reads'),
      events: sum('events'),
      rejects: sum('rejects'),
      errors: sum('errors'),
    }).toEqual({
      reads: 11,
      events: 10,
      rejects: 1,
      errors: 1,
    });
    expect(all.reduce((n, s) => n + s.delivered, 0)).toBe(10);
  });
});
