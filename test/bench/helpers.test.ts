import { type Dirent, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { measuredBetween, statCpuTicks, warmUpEvents } from './cpu.js';
import { diskUsage } from './disk.js';
import { alternate, median, summarize } from './pairs.js';
import { peakRssMb, resetPeakRss } from './peak-rss.js';
import { percentile, percentiles } from './percentile.js';
import { scannerLines } from './pty-writer.js';
import { selected } from './table.js';

describe('median and pairs', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('gives the median of the pairs ratios, not the ratio of the medians', () => {
    const side = (perSecond: number, cpuUs: number) => ({ perSecond, cpuUs, mainUs: cpuUs / 2 });
    const s = summarize([
      { ours: side(10, 100), ceiling: side(40, 20) }, // 0.25, cpu 0.2
      { ours: side(30, 50), ceiling: side(50, 20) }, // 0.6, cpu 0.4
      { ours: side(20, 80), ceiling: side(20, 40) }, // 1.0, cpu 0.5
    ]);
    expect(s.pairs).toBe(3);
    expect(s.ours).toEqual({ perSecond: 20, cpuUs: 80, mainUs: 40 });
    expect(s.ceiling).toEqual({ perSecond: 40, cpuUs: 20, mainUs: 10 });
    expect(s.rate).toEqual({ median: 0.6, min: 0.25, max: 1 });
    expect(s.cpu).toEqual({ median: 0.4, min: 0.2, max: 0.5 });
  });

  it('alternates which side runs first', async () => {
    const order: string[] = [];
    const side = (name: string) => async (i: number) => {
      order.push(`${name}${i}`);
      return { perSecond: 1, cpuUs: 1, mainUs: 1 };
    };
    const pairs = await alternate(3, side('ours'), side('ceiling'));
    expect(order).toEqual(['ceiling0', 'ours0', 'ours1', 'ceiling1', 'ceiling2', 'ours2']);
    expect(pairs).toHaveLength(3);
  });
});

describe('steady state', () => {
  it('leaves the warm-up share out and divides by the events after it', () => {
    expect(warmUpEvents(50_000)).toBe(10_000);
    expect(warmUpEvents(7)).toBe(2);
    const warm = { at: 1_000, processUs: 400_000, mainUs: 300_000 };
    const end = { at: 3_000, processUs: 2_400_000, mainUs: 1_300_000 };
    expect(measuredBetween(warm, end, 40_000)).toEqual({ perSecond: 20_000, cpuUs: 50, mainUs: 25 });
  });
});

describe('statCpuTicks', () => {
  it('adds utime and stime after a command name holding spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 9519 0 0 0 1234 56 0 0 20 0 11 0 99 0 0';
    expect(statCpuTicks(stat)).toBe(1290);
  });

  it('reads the main thread of this process', () => {
    const ticks = statCpuTicks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
    expect(Number.isInteger(ticks) && ticks >= 0).toBe(true);
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => statCpuTicks('nonsense')).toThrow(/not a \/proc stat line/);
  });
});

describe('peak RSS', () => {
  it('reads the kernel peak in MB, never below the RSS of the moment, also right after a reset', () => {
    const touched = Buffer.alloc(32 * 1048576, 1);
    const rssMb = () => process.memoryUsage.rss() / 1048576;
    const before = rssMb();
    const peak = peakRssMb();
    expect(peak).toBeGreaterThanOrEqual(before - 1);
    expect(peak).toBeLessThan(before * 4);
    resetPeakRss();
    const after = peakRssMb(process.pid);
    expect(after).toBeGreaterThanOrEqual(touched.length / 1048576);
    expect(after).toBeLessThanOrEqual(Math.max(peak, rssMb()) + 4);
    expect(after).toBeGreaterThanOrEqual(rssMb() - 4);
  });
});

describe('diskUsage', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts files that vanish between the listing and their stat as gone', () => {
    dir = mkdtempSync(join(tmpdir(), 'rp-bench-du-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.ldb'), Buffer.alloc(1000));
    writeFileSync(join(dir, 'sub', 'b.log'), Buffer.alloc(300));
    writeFileSync(join(dir, 'c.ldb'), Buffer.alloc(50));
    // A compaction removes c.ldb and the directory "gone" after they were listed.
    const ghost = (name: string, directory: boolean) =>
      ({ name, isDirectory: () => directory }) as unknown as Dirent;
    const usage = diskUsage(dir, (d, entries) => {
      if (d !== dir) return entries;
      rmSync(join(dir, 'c.ldb'));
      return [...entries, ghost('gone', true), ghost('vanished.ldb', false)];
    });
    expect(usage.bytes).toBe(1300);
    expect(usage.allocated).toBeGreaterThanOrEqual(1300);
  });
});

describe('percentiles', () => {
  it('takes the value at rank floor(q * n) of the sorted values', () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 .. 1, unsorted
    expect(percentiles(values)).toEqual({ count: 1000, p50: 501, p99: 991, max: 1000 });
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(3);
    expect(percentiles(new Float64Array(0)).p99).toBeNaN();
  });
});

describe('BENCH_ONLY', () => {
  it('runs every section without words, else those whose name starts with one, and always Mosquitto', () => {
    expect(selected('backlog', [])).toBe(true);
    expect(selected('PTY lines, sync: batch', ['pty', 'latency'])).toBe(true);
    expect(selected('latency, sync: interval', ['pty', 'latency'])).toBe(true);
    expect(selected('backlog', ['pty', 'latency'])).toBe(false);
    expect(selected('driver input -> PUBACK', ['pty'])).toBe(false);
    expect(selected('Mosquitto', ['pty'])).toBe(true);
  });
});

describe('scannerLines', () => {
  it('gives one AIM-prefixed DataMatrix line per unit, each ended by CR, distinct', () => {
    const lines = scannerLines(50).toString('latin1').split('\r');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(50);
    expect(lines.every((l) => l.startsWith(']d201') && !l.includes('\n'))).toBe(true);
    expect(new Set(lines).size).toBe(50);
  });
});
