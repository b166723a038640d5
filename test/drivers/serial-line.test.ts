/** serial-line on a real pseudo-terminal: every delimiter, garbage, a 1 MB line, a vanishing device. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SerialLineConfig } from '../../config/schema.js';
import { silentLogger } from '../../daemon/log.js';
import type { ReaderStatus } from '../../drivers/driver.js';
import { HANDOVER_WINDOW } from '../../drivers/handover.js';
import { SerialLineDriver } from '../../drivers/serial-line.js';
import { prng } from '../../drivers/simulated-units.js';
import { openPty, type Pty } from '../support/pty.js';
import { RecordingSink, serialConfig } from './driver.contract.js';

let dir: string;
const cleanup: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-serial-'));
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function started(path: string, extra: Partial<SerialLineConfig> = {}, sink = new RecordingSink()) {
  const driver = new SerialLineDriver(serialConfig(path, extra), { log: silentLogger() });
  const states: string[] = [];
  driver.on('state', (s: ReaderStatus) => states.push(s.state));
  await driver.start(sink);
  cleanup.push(() => driver.stop());
  return { driver, sink, states };
}

async function pty(): Promise<Pty> {
  const p = await openPty(dir);
  cleanup.push(() => p.close());
  return p;
}

const A = ']d2010950600013435221A';

describe('serial-line on a socat PTY', () => {
  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['hex:03', '\x03'],
    ['ETX', '\x03'],
  ])('frames reads on delimiter %s', async (delimiter, suffix) => {
    const p = await pty();
    const { sink } = await started(p.readerPath, { delimiter });
    await p.write(`${A}1\x1d10L1${suffix}${A}2${suffix}${A}3`);
    await expect.poll(() => sink.texts()).toEqual([`${A}1\x1d10L1`, `${A}2`]);
    await p.write(suffix);
    await expect.poll(() => sink.texts()).toEqual([`${A}1\x1d10L1`, `${A}2`, `${A}3`]);
  });

  it('frames a scanner with no suffix by silence', async () => {
    const p = await pty();
    const { sink } = await started(p.readerPath, { delimiter: 'silence', silenceMs: 30 });
    await p.write(`${A}S1`);
    await expect.poll(() => sink.texts()).toEqual([`${A}S1`]);
    await p.write(`${A}S2`);
    await expect.poll(() => sink.texts()).toEqual([`${A}S1`, `${A}S2`]);
  });

  it('passes unframeable-looking bytes on to the decoder and keeps reading', async () => {
    const p = await pty();
    const { driver, sink } = await started(p.readerPath);
    // No CR or LF inside: one frame, every byte kept for the decoder to judge.
    const garbage = Buffer.from(
      Array.from({ length: 200 }, (_, i) => (i * 37 + 11) % 256).filter((b) => b !== 0x0d && b !== 0x0a),
    );
    await p.write(Buffer.concat([garbage, Buffer.from(`\r${A}OK\r`)]));
    await expect.poll(() => sink.reads.length).toBe(2);
    expect(sink.reads[0]!.data).toEqual(garbage);
    expect(sink.texts()[1]).toBe(`${A}OK`);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 2, rejects: 0 });
  });

  it('survives random binary noise: later good reads arrive intact', async () => {
    const p = await pty();
    const { driver, sink } = await started(p.readerPath, { maxReadLength: 64 });
    const random = prng(42);
    const noise = Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(random() * 256)));
    await p.write(noise);
    await p.write(`\r${A}AFTER-NOISE\r`);
    await expect.poll(() => sink.texts().at(-1), { timeout: 10_000 }).toBe(`${A}AFTER-NOISE`);
    // Noise never yields an empty, overlong or CR/LF-bounded read; what it yields is counted.
    for (const r of sink.reads) {
      expect(r.data.length).toBeGreaterThan(0);
      expect(r.data.length).toBeLessThanOrEqual(64);
      expect([r.data[0], r.data.at(-1)]).not.toContain(0x0d);
    }
    for (const j of sink.rejects) expect(j).toMatchObject({ code: 'overlong', readerId: 'scanner-1' });
    expect(driver.status()).toMatchObject({
      state: 'connected',
      reads: sink.reads.length,
      rejects: sink.rejects.length,
    });
  });

  it('rejects a 1 MB line with no delimiter once, stays bounded, and resynchronises', async () => {
    const p = await pty();
    const { driver, sink } = await started(p.readerPath, { maxReadLength: 4096 });
    const rssBefore = process.memoryUsage().rss;
    await p.write(Buffer.alloc(1024 * 1024, 0x41));
    await p.write(`\r${A}AFTER\r`);
    await expect.poll(() => sink.texts(), { timeout: 10_000 }).toEqual([`${A}AFTER`]);
    expect(sink.rejects).toHaveLength(1);
    expect(sink.rejects[0]).toMatchObject({ code: 'overlong', readerId: 'scanner-1' });
    expect(sink.rejects[0]!.data).toEqual(Buffer.alloc(4096, 0x41));
    expect(driver.status()).toMatchObject({ reads: 1, rejects: 1 });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('survives the device vanishing mid-stream and resumes when it comes back', async () => {
    const p = await pty();
    const { driver, sink, states } = await started(p.readerPath);
    await p.write(`${A}1\r${A}2\r${A}TORN-BY-THE-UNPLUG`);
    await expect.poll(() => sink.reads.length).toBe(2);
    await p.kill();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('disconnected');
    expect(driver.status().lastError).toMatch(/^(device|cannot open)/);
    await p.restart();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    await p.write(`${A}3\r${A}4\r`);
    // The torn frame does not prefix the first read after the reconnect.
    await expect.poll(() => sink.texts(), { timeout: 5000 }).toEqual([`${A}1`, `${A}2`, `${A}3`, `${A}4`]);
    expect(driver.status()).toMatchObject({ reconnects: 1, reads: 4 });
    expect(driver.status().lastError).toBeUndefined();
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
  });

  it('starts without the device, reports it disconnected, and connects when it appears', async () => {
    const { driver, sink, states } = await started(join(dir, 'reader'));
    expect(driver.status().state).toBe('disconnected');
    expect(driver.status().lastError).toMatch(/^cannot open .*reader/);
    const p = await pty();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    await p.write(`${A}B1\r`);
    await expect.poll(() => sink.texts()).toEqual([`${A}B1`]);
    // Retries while absent stay 'disconnected': no state event per attempt.
    expect(states).toEqual(['connecting', 'disconnected', 'connected']);
    expect(driver.status().reconnects).toBe(0);
  });

  it('keeps every read of many bursts while the sink is slow (back-pressure never stalls)', async () => {
    const p = await pty();
    const { driver, sink } = await started(p.readerPath, {}, new RecordingSink(1));
    const lines: string[] = [];
    for (let burst = 0; burst < 20; burst++) {
      const chunk = Array.from({ length: 100 }, (_, i) => `${A}B${burst}N${i}`);
      lines.push(...chunk);
      await p.write(chunk.map((l) => `${l}\r`).join(''));
      // The next burst lands while earlier reads are still with the sink.
      await expect.poll(() => driver.status().reads, { timeout: 10_000, interval: 1 }).toBe(lines.length);
    }
    await expect.poll(() => sink.reads.length, { timeout: 20_000 }).toBe(2000);
    expect(sink.texts()).toEqual(lines);
  });

  it('hands a stream many device reads long to group commits a whole window at a time, in order', async () => {
    const p = await pty();
    const sink = new RecordingSink();
    sink.gate();
    const { driver } = await started(p.readerPath, {}, sink);
    // Ungated before the driver stops (cleanup runs in reverse), so a failure here does not
    // leave the stop waiting on held reads.
    cleanup.push(async () => sink.release());
    // About 45 KB: the reader gets it in many PTY reads of at most 4 KB.
    const lines = Array.from({ length: HANDOVER_WINDOW * 16 + 5 }, (_, i) => `${A}G${i}\x1d10L${i % 7}`);
    const writing = p.write(lines.map((l) => `${l}\r`).join(''));
    // A group commit: once the sink holds a whole window (or the rest), settle all of it at once.
    const commits: number[] = [];
    let settled = 0;
    while (settled < lines.length) {
      const whole = Math.min(HANDOVER_WINDOW, lines.length - settled);
      // Should this wait ever fail, the driver's count tells a stalled device from a stalled handover.
      await expect
        .poll(() => ({ concurrent: sink.concurrent, handedOver: sink.calls.length, ...driver.status() }), {
          timeout: 10_000,
        })
        .toSatisfy((seen: { concurrent: number }) => seen.concurrent === whole);
      commits.push(sink.concurrent);
      settled += whole;
      sink.release();
      sink.gate();
      await expect.poll(() => sink.reads.length, { timeout: 10_000 }).toBe(settled);
    }
    await writing;
    expect(sink.texts()).toEqual(lines);
    expect(commits).toEqual([...Array.from({ length: 16 }, () => HANDOVER_WINDOW), 5]);
    expect(sink.maxConcurrent).toBe(HANDOVER_WINDOW);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: lines.length, rejects: 0 });
  });
});
