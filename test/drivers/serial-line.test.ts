/** serial-line on a real pseudo-terminal: a vanished device, garbage, a 1 MB line with no delimiter. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
import type { ReaderStatus } from '../../drivers/driver.js';
import { SerialLineDriver } from '../../drivers/serial-line.js';
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

async function started(pty: Pty | string, extra = {}) {
  const path = typeof pty === 'string' ? pty : pty.readerPath;
  const driver = new SerialLineDriver(serialConfig(path, extra), { log: silentLogger() });
  const sink = new RecordingSink();
  const states: string[] = [];
  driver.on('state', (s: ReaderStatus) => states.push(s.state));
  await driver.start(sink);
  cleanup.push(() => driver.stop());
  return { driver, sink, states };
}

async function pty() {
  const p = await openPty(dir);
  cleanup.push(() => p.close());
  return p;
}

describe('serial-line on a socat PTY', () => {
  it('survives the device vanishing mid-stream and resumes when it comes back', async () => {
    const p = await pty();
    const { driver, sink, states } = await started(p);
    await p.write(']d2010950600013435221A1\r]d2010950600013435221A2\r');
    await expect.poll(() => sink.reads.length).toBe(2);
    await p.kill();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('disconnected');
    expect(driver.status().lastError).toMatch(/device|cannot open/);
    await p.restart();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    await p.write(']d2010950600013435221A3\r');
    await expect
      .poll(() => sink.texts(), { timeout: 5000 })
      .toEqual([']d2010950600013435221A1', ']d2010950600013435221A2', ']d2010950600013435221A3']);
    expect(driver.status().reconnects).toBe(1);
    expect(states.filter((s) => s === 'disconnected').length).toBeGreaterThanOrEqual(1);
  });

  it('starts without the device, reports it disconnected, and connects when it appears', async () => {
    const path = join(dir, 'reader');
    const { driver, sink } = await started(path);
    expect(driver.status().state).not.toBe('connected');
    expect(driver.status().lastError).toContain('cannot open');
    const p = await openPty(dir);
    cleanup.push(() => p.close());
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    await p.write(']d2010950600013435221B1\r');
    await expect.poll(() => sink.texts()).toEqual([']d2010950600013435221B1']);
  });

  it('passes garbage bytes on as reads for the decoder and keeps reading', async () => {
    const p = await pty();
    const { driver, sink } = await started(p);
    const garbage = Buffer.from(
      Array.from({ length: 200 }, (_, i) => (i * 37 + 11) % 256).filter((b) => b !== 0x0d && b !== 0x0a),
    );
    await p.write(Buffer.concat([garbage, Buffer.from('\r]d2010950600013435221OK\r')]));
    await expect.poll(() => sink.reads.length).toBe(2);
    expect(sink.reads[0]!.data.equals(garbage)).toBe(true);
    expect(sink.texts()[1]).toBe(']d2010950600013435221OK');
    expect(driver.status().state).toBe('connected');
  });

  it('rejects a 1 MB line with no delimiter once, stays bounded, and resynchronises', async () => {
    const p = await pty();
    const { driver, sink } = await started(p, { maxReadLength: 4096 });
    const rssBefore = process.memoryUsage().rss;
    await p.write(Buffer.alloc(1024 * 1024, 0x41));
    await p.write('\r]d2010950600013435221AFTER\r');
    await expect.poll(() => sink.texts(), { timeout: 10_000 }).toEqual([']d2010950600013435221AFTER']);
    expect(sink.rejects).toHaveLength(1);
    expect(sink.rejects[0]!.code).toBe('overlong');
    expect(sink.rejects[0]!.data.length).toBe(4096);
    expect(driver.status().rejects).toBe(1);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('keeps every read of many bursts while the sink is slow (back-pressure never stalls)', async () => {
    const p = await pty();
    const driver = new SerialLineDriver(serialConfig(p.readerPath), { log: silentLogger() });
    const sink = new RecordingSink(1);
    await driver.start(sink);
    cleanup.push(() => driver.stop());
    const lines: string[] = [];
    for (let burst = 0; burst < 20; burst++) {
      const chunk = Array.from({ length: 100 }, (_, i) => `]d2010950600013435221B${burst}N${i}`);
      lines.push(...chunk);
      await p.write(chunk.map((l) => `${l}\r`).join(''));
      // The next burst lands while earlier reads are still with the sink.
      await expect.poll(() => driver.status().reads, { timeout: 10_000, interval: 1 }).toBe(lines.length);
    }
    await expect.poll(() => sink.reads.length, { timeout: 20_000 }).toBe(2000);
    expect(sink.texts()).toEqual(lines);
  });

  it('frames a scanner with no suffix by silence', async () => {
    const p = await pty();
    const { sink } = await started(p, { delimiter: 'silence', silenceMs: 30 });
    await p.write(']d2010950600013435221S1');
    await expect.poll(() => sink.texts()).toEqual([']d2010950600013435221S1']);
    await p.write(']d2010950600013435221S2');
    await expect.poll(() => sink.texts()).toEqual([']d2010950600013435221S1', ']d2010950600013435221S2']);
  });
});
