/**
 * The whole path on real parts: a socat pseudo-terminal stands in for a serial scanner, the
 * daemon runs as a child process, Mosquitto is the central broker. 10,000 distinct serialized
 * reads go in; 10,000 events must come out, each valid against GS1's EPCIS schema and ours,
 * across a broker kill and a daemon SIGKILL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gtinCheckDigit } from '../../daemon/identity/epc-encode.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { gs1Errors, ownErrors } from '../support/schemas.js';

const TOTAL = 10_000;
const gtin13 = '950600013435';
const GTIN = `0${gtin13}${gtinCheckDigit(`0${gtin13}`)}`.slice(-14);
const serial = (i: number) => `SN${String(i).padStart(6, '0')}`;
const scan = (i: number) => `]d201${GTIN}21${serial(i)}\x1d10LOT${i % 7}\r`;

let dir: string;
let broker: Mosquitto;
let pty: Pty;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-e2e-'));
  broker = await startMosquitto();
  pty = await openPty(dir);
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  await pty?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const health = (d: DaemonProcess, pred: (h: { outbox: { lastSeq: number; depth: number } }) => boolean) =>
  d.waitForLog(
    (l: LogLine) => l.msg === 'health' && pred(l.health as { outbox: { lastSeq: number; depth: number } }),
    30_000,
  );

async function feed(from: number, to: number) {
  for (let i = from; i < to; i += 100) {
    let chunk = '';
    for (let j = i; j < Math.min(to, i + 100); j++) chunk += scan(j);
    await pty.write(chunk);
  }
}

describe('serial scanner -> daemon -> Mosquitto', () => {
  it('delivers 10,000 distinct reads as 10,000 valid events across a broker kill and a daemon SIGKILL', async () => {
    const config = writeE2eConfig({
      dir,
      uplinkUrl: broker.url,
      // Strict sequence order across the faults (no live lane beside a replayed backlog): checked below.
      liveShare: 0,
      readers: `${serialReaderYaml(pty.readerPath, { baudRate: 115200, delimiter: 'CR' })}    retry:
      minMs: 100
      maxMs: 500
`,
    });
    const events = await collect(broker.url, 'readpoint/v1/site-test/gw-test/events/+');
    try {
      let daemon = startDaemon(config);
      daemons.push(daemon);
      await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');

      // 1. Normal flow.
      await feed(0, 3000);
      await events.waitFor(3000, 60_000);

      // 2. The broker dies (SIGKILL); reads keep coming and pile up in the outbox.
      await broker.kill();
      await feed(3000, 6000);
      const piled = await health(daemon, (h) => h.outbox.lastSeq >= 6000);
      expect((piled.health as { outbox: { depth: number } }).outbox.depth).toBeGreaterThanOrEqual(3000 - 100);

      // 3. The daemon dies too (SIGKILL) with ~3,000 events undelivered; both come back.
      expect(await daemon.kill('SIGKILL')).toBe('SIGKILL');
      await broker.restart();
      daemon = startDaemon(config);
      daemons.push(daemon);
      await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
      await feed(6000, TOTAL);

      await events.waitFor(TOTAL, 120_000);
      await expect
        .poll(() => new Set(events.messages.map((m) => JSON.parse(String(m.payload)).eventID)).size, {
          timeout: 60_000,
        })
        .toBe(TOTAL);
      expect(await daemon.kill('SIGTERM')).toBe(0);

      const parsed = events.messages.map((m) => JSON.parse(String(m.payload)));
      const serials = new Set(parsed.map((e) => e['rp:unit'].serial));
      expect(serials.size).toBe(TOTAL);
      for (let i = 0; i < TOTAL; i++) expect(serials.has(serial(i))).toBe(true);
      const sequences = new Set(parsed.map((e) => e['rp:sequence']));
      expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      // In sequence order (liveShare 0): the first delivery of each event comes after every lower one.
      const firstSeen: number[] = [];
      const seen = new Set<number>();
      for (const e of parsed) {
        if (!seen.has(e['rp:sequence'])) firstSeen.push(e['rp:sequence']);
        seen.add(e['rp:sequence']);
      }
      expect(firstSeen).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      const unique = new Map(parsed.map((e) => [e.eventID, e]));
      let invalid = 0;
      for (const e of unique.values()) if (gs1Errors(e).length > 0 || ownErrors(e).length > 0) invalid++;
      expect(invalid).toBe(0);
      const duplicates = parsed.length - unique.size;
      // Duplicates come only from the in-flight window at the broker kill and the daemon kill.
      expect(duplicates).toBeLessThanOrEqual(2 * 100);
      console.log(`e2e: ${TOTAL} reads -> ${unique.size} events delivered, ${duplicates} duplicates, 0 lost`);
    } finally {
      await events.close();
    }
  }, 300_000);
});
