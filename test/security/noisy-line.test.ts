/**
 * A noisy line cannot flood: a serial scanner at the wrong baud rate turns into a stream of
 * garbage lines. The daemon's log keeps a bounded number of reject lines (one per reader and code
 * per interval, with `repeated` counts), the rejects topic carries a bounded number of messages
 * (a burst, then a steady rate), and yet every reject is accounted for exactly: the published
 * rejects plus their `skipped` counts add up to the lines sent, as does health. A good scanner on
 * another line keeps producing events throughout. A network reader whose messages are full of bad
 * tag events is held to the same: every reject counted, few lines, few messages.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload, RejectPayload } from '../../daemon/contract/topics.js';
import type { EpcisObjectEvent } from '../../daemon/event/epcis.js';
import { startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';
import { freePort, type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { rejectErrors } from '../support/schemas.js';

/** The defaults of `rejects.burst` and `rejects.perSecond`. */
const BURST = 20;
const PER_SECOND = 5;
/** Garbage lines sent at least; the flood goes on until the good reads are through. */
const MIN_LINES = 20_000;
/** Garbage lines after which good reads that are still not events count as starved. */
const MAX_LINES = 200_000;
const GOOD_READS = 10;
const MAX_READ_LENGTH = 128;

let dir: string;
let broker: Mosquitto;
let noisy: Pty;
let good: Pty;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-noisy-line-'));
  broker = await startMosquitto();
  noisy = await openPty(dir, 'noisy');
  good = await openPty(dir, 'good');
});

afterAll(async () => {
  await noisy?.close();
  await good?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Control bytes the decoder rejects as `non-printable` (not CR, LF or GS). */
const CONTROLS = [...Array(32).keys()].filter((b) => b !== 0x0a && b !== 0x0d && b !== 0x1d);

/**
 * One line of what a scanner at the wrong baud rate sends: random bytes (no CR or LF) that start
 * with a control byte, so the decoder certainly rejects it; every 50th is longer than
 * maxReadLength, which the driver rejects as it frames it.
 */
function garbageLine(i: number): { bytes: Buffer; code: string } {
  const overlong = i % 50 === 49;
  const length = overlong ? MAX_READ_LENGTH + 20 + (i % 7) : 1 + (i % 40);
  const bytes = Buffer.alloc(length + 1);
  for (let k = 0; k < length; k++) {
    let b = Math.floor(Math.random() * 256);
    if (b === 0x0a || b === 0x0d) b = 0xff;
    bytes[k] = b;
  }
  bytes[0] = CONTROLS[Math.floor(Math.random() * CONTROLS.length)]!;
  bytes[length] = 0x0d;
  return { bytes, code: overlong ? 'overlong' : 'non-printable' };
}

const readers = (noisyPath: string, goodPath: string) =>
  [
    '  - id: scanner-noisy',
    '    driver: serial-line',
    '    readPoint: conveyor-1',
    `    path: ${noisyPath}`,
    `    maxReadLength: ${MAX_READ_LENGTH}`,
    '  - id: scanner-good',
    '    driver: serial-line',
    '    readPoint: conveyor-1',
    `    path: ${goodPath}`,
    '',
  ].join('\n');

/** Rejects of one reader represented by its messages: each one itself plus what it says was skipped. */
function accounted(messages: readonly RejectPayload[]): { total: number; byCode: Record<string, number> } {
  const byCode: Record<string, number> = {};
  let total = 0;
  for (const m of messages) {
    total += 1 + (m.skipped?.total ?? 0);
    byCode[m.code] = (byCode[m.code] ?? 0) + 1;
    for (const [code, n] of Object.entries(m.skipped?.byCode ?? {})) byCode[code] = (byCode[code] ?? 0) + n;
  }
  return { total, byCode };
}

describe('a noisy serial line', () => {
  it('logs and publishes its rejects at a bounded rate, counts every one, and starves no other reader', async () => {
    const base = 'readpoint/v1/site-test/gw-test';
    const config = writeE2eConfig({
      dir,
      uplinkUrl: broker.url,
      readers: readers(noisy.readerPath, good.readerPath),
    });
    const rejects = await collect(broker.url, `${base}/rejects`);
    const events = await collect(broker.url, `${base}/events/+`);
    const health = await collect(broker.url, `${base}/health`);
    const startedAt = performance.now();
    const daemon = startDaemon(config);
    const noisyRejects = () =>
      rejects.messages
        .map((m) => JSON.parse(String(m.payload)) as RejectPayload)
        .filter((r) => r.reader === 'scanner-noisy');
    const lastHealth = () => {
      const last = health.messages.at(-1);
      return last ? (JSON.parse(String(last.payload)) as HealthPayload) : undefined;
    };
    let exited: number | string | undefined;
    let lines = 0;
    try {
      await daemon.waitForLog(
        (l) => l.msg === 'reader state' && l.state === 'connected' && l.reader === 'scanner-noisy',
      );
      await daemon.waitForLog(
        (l) => l.msg === 'reader state' && l.state === 'connected' && l.reader === 'scanner-good',
      );

      // The flood: garbage in chunks; the good scanner reads a unit after each of the first
      // chunks. It goes on until every good read is an event, so they got through mid-flood.
      const sent: Record<string, number> = {};
      let goodSent = 0;
      while (lines < MIN_LINES || events.messages.length < GOOD_READS) {
        const chunk: Buffer[] = [];
        for (let k = 0; k < 200; k++, lines++) {
          const { bytes, code } = garbageLine(lines);
          sent[code] = (sent[code] ?? 0) + 1;
          chunk.push(bytes);
        }
        await noisy.write(Buffer.concat(chunk));
        if (goodSent < GOOD_READS) await good.write(`]d2010950600013435221GOOD${++goodSent}\r`);
        if (lines >= MAX_LINES)
          throw new Error(`the good scanner starved: ${events.messages.length} of ${GOOD_READS} events`);
      }
      expect(lines).toBeGreaterThanOrEqual(MIN_LINES);
      expect(sent.overlong).toBeGreaterThan(0);

      // Every reject is accounted for: the messages and their skipped counts add up to the lines.
      await expect.poll(() => accounted(noisyRejects()).total, { timeout: 15_000, interval: 50 }).toBe(lines);
      const elapsedS = (performance.now() - startedAt) / 1000;
      const published = noisyRejects();
      expect(accounted(published).byCode).toEqual(sent);
      // ...and the rejects topic carried no more than the burst plus the steady rate.
      expect(published.length).toBeLessThanOrEqual(BURST + Math.ceil(PER_SECOND * elapsedS) + 1);
      expect(published.some((r) => (r.skipped?.total ?? 0) > 0)).toBe(true);
      expect(published.flatMap(rejectErrors)).toEqual([]);

      // Health counts every reject too.
      await expect
        .poll(() => lastHealth()?.readers.find((r) => r.id === 'scanner-noisy')?.rejects, {
          timeout: 10_000,
          interval: 50,
        })
        .toBe(lines);
      expect(lastHealth()?.readers.find((r) => r.id === 'scanner-noisy')?.rejectsByCode).toEqual(sent);

      // The good scanner's units became events while the line was noisy.
      const units = events.messages
        .map((m) => JSON.parse(String(m.payload)) as EpcisObjectEvent)
        .filter((e) => e['rp:reader'] === 'scanner-good')
        .map((e) => e.epcList[0]);
      expect(units.length).toBe(GOOD_READS);
      expect(new Set(units).size).toBe(GOOD_READS);
    } finally {
      exited = await daemon.kill('SIGTERM');
    }
    expect(exited).toBe(0);

    // The log: a bounded number of reject lines, one per code plus its `repeated` summary
    // (written at the latest on stop), and their counts add up to every line sent.
    const rejectLines = daemon.logs.filter((l) => l.msg === 'read rejected' && l.reader === 'scanner-noisy');
    const logged = rejectLines.reduce((n, l) => n + (typeof l.repeated === 'number' ? l.repeated : 1), 0);
    expect(rejectLines.length).toBeLessThanOrEqual(
      2 * 2 * Math.ceil((performance.now() - startedAt) / 60_000),
    );
    expect(rejectLines.some((l) => typeof l.repeated === 'number' && l.repeated > 0)).toBe(true);
    expect(logged).toBe(lines);
    expect(daemon.logs.length).toBeLessThan(200);
    await Promise.all([rejects.close(), events.close(), health.close()]);
  });
});

describe('a network reader that sends messages full of bad tag events', () => {
  it('has every reject counted; what the rate held back is published when the daemon stops', async () => {
    const base = 'readpoint/v1/site-test/gw-net';
    const port = await freePort();
    const config = join(dir, 'network.yaml');
    // A rate so low that nothing beyond the burst goes out before the stop.
    const burst = 5;
    const perSecond = 0.01;
    writeFileSync(
      config,
      `gateway: { id: gw-net, site: site-test }
dataDir: ${join(dir, 'data-net')}
broker: { enabled: true, host: 127.0.0.1, port: ${port} }
uplink: { url: ${broker.url}, healthIntervalS: 1, retry: { minMs: 100, maxMs: 1000 } }
rejects: { burst: ${burst}, perSecond: ${perSecond} }
readPoints:
  - { id: gate, bizStep: arriving }
readers:
  - { id: gate-r700, driver: impinj-r700, readPoint: gate, username: gate-r700, password: gate-secret }
`,
    );
    const rejects = await collect(broker.url, `${base}/rejects`);
    const health = await collect(broker.url, `${base}/health`);
    const startedAt = performance.now();
    const elapsedS = () => (performance.now() - startedAt) / 1000;
    const daemon = startDaemon(config);
    const messages = 20;
    const perMessage = 200;
    const total = messages * perMessage;
    const gate = () =>
      rejects.messages
        .map((m) => JSON.parse(String(m.payload)) as RejectPayload)
        .filter((r) => r.reader === 'gate-r700');
    let exited: number | string | undefined;
    try {
      // The reader's driver takes its messages once every reader is added: a publish before that is
      // refused with the connection (a real reader resends; this client does not reconnect).
      await daemon.waitForLog((l) => l.msg === 'readpoint running');
      const reader = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        username: 'gate-r700',
        password: 'gate-secret',
        reconnectPeriod: 0,
      });
      const bad = { eventType: 'tagInventory', tagInventoryEvent: { epcHex: 'not hex', antennaPort: 1 } };
      for (let m = 0; m < messages; m++) {
        const lines = Array.from({ length: perMessage }, () => JSON.stringify(bad)).join('\n');
        await reader.publishAsync('readpoint/v1/readers/gate-r700/tags', lines, { qos: 1 });
      }
      await reader.endAsync();

      // Health counts every reject of every message.
      await expect
        .poll(
          () => {
            const last = health.messages.at(-1);
            const h = last ? (JSON.parse(String(last.payload)) as HealthPayload) : undefined;
            return h?.readers.find((r) => r.id === 'gate-r700')?.rejectsByCode;
          },
          { timeout: 15_000, interval: 50 },
        )
        .toEqual({ 'bad-epc': total });
      // The burst is out; the rest is held, counted, for the next token or the stop.
      await rejects.waitFor(burst, 10_000);
      expect(gate().length).toBeLessThanOrEqual(burst + Math.ceil(perSecond * elapsedS()));
      expect(accounted(gate()).total).toBeLessThan(total);
    } finally {
      exited = await daemon.kill('SIGTERM');
    }
    expect(exited).toBe(0);
    // The stop published the held reject with the count of all the others: nothing is lost.
    await expect.poll(() => accounted(gate()).total, { timeout: 10_000, interval: 50 }).toBe(total);
    expect(accounted(gate()).byCode).toEqual({ 'bad-epc': total });
    expect(gate().length).toBeLessThanOrEqual(burst + Math.ceil(perSecond * elapsedS()) + 1);
    expect(gate().flatMap(rejectErrors)).toEqual([]);

    const rejectLines = daemon.logs.filter((l) => l.reader === 'gate-r700' && /reject/.test(l.msg));
    expect(rejectLines.map((l) => l.msg)).toEqual(['read rejected', 'read rejected']);
    expect(rejectLines[1]?.repeated).toBe(total - 1);
    await Promise.all([rejects.close(), health.close()]);
  });
});
