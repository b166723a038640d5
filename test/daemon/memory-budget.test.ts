/** The shares of the memory budget: smoothing's bound, LevelDB's options, the heap's growth. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { heapGrowthPercent, levelTuningFor, trackedUnitsFor } from '../../daemon/memory-budget.js';
import { BYTES_PER_PASS } from '../../daemon/smoothing/pass-table.js';

const MIB = 1024 * 1024;

describe('memory budget', () => {
  it('gives smoothing a fifth of the budget at the measured bytes per tracked unit', () => {
    expect(trackedUnitsFor(128)).toBe(107_374);
    expect(trackedUnitsFor(128) * BYTES_PER_PASS).toBeLessThanOrEqual((128 * MIB) / 5);
    expect(trackedUnitsFor(256)).toBe(214_748);
  });

  it('gives LevelDB a 32nd for its block cache, in whole MiB, at least one, and a 1 MiB write buffer', () => {
    expect(levelTuningFor(128)).toEqual({ cacheSize: 4 * MIB, writeBufferSize: MIB, maxOpenFiles: 100 });
    expect(levelTuningFor(32)).toEqual({ cacheSize: MIB, writeBufferSize: MIB, maxOpenFiles: 100 });
    expect(levelTuningFor(48).cacheSize).toBe(MIB);
    expect(levelTuningFor(4096).writeBufferSize).toBe(MIB);
  });

  it('lets the heap grow up to a quarter of the budget past what a collection kept, within 10..300 %', () => {
    expect(heapGrowthPercent(128, 16 * MIB)).toBe(100); // 32 MiB of room: twice the live heap
    expect(heapGrowthPercent(128, 25 * MIB)).toBe(28);
    expect(heapGrowthPercent(128, 40 * MIB)).toBe(10); // over the share already: V8's smallest step
    expect(heapGrowthPercent(128, 4 * MIB)).toBe(300); // a small heap still collects now and then
    expect(heapGrowthPercent(128, 0)).toBe(300);
  });
});

/** The probe as built into dist/ by `npm test` (see test/support/pretenuring-probe.ts). */
const probe = fileURLToPath(new URL('../../dist/test/support/pretenuring-probe.js', import.meta.url));

/**
 * The allocation sites V8 traced while the probe ran: how many of a site's objects were looked
 * for in a young collection and found alive, and the decision taken then.
 */
function pretenuringSites(mode: 'start' | 'none') {
  if (!existsSync(probe)) throw new Error(`${probe} is missing: run npm run build first`);
  const out = execFileSync(
    process.execPath,
    // A young space of 1 MiB: many young collections while the probe's objects are made.
    ['--max-semi-space-size=1', '--trace-pretenuring-statistics', probe, mode],
    { encoding: 'utf8' },
  );
  expect(out).toContain('kept 200000\n');
  return [
    ...out.matchAll(/\(created, found, ratio\) \((\d+), (\d+), [\d.]+\) ([a-z' ]+) => ([a-z' ]+)$/gm),
  ].map((m) => ({ found: Number(m[2]), to: m[4] }));
}

describe('HeapGrowth', () => {
  it("turns V8's allocation-site pretenuring off: a literal whose objects all survive stays young", () => {
    // Without it, V8 follows the probe's literal (thousands of its objects found alive at a
    // collection) and sends it to old space.
    const before = pretenuringSites('none');
    expect(before.some((s) => s.found >= 1000 && s.to === 'tenure')).toBe(true);
    // With it, literals made after start() are not followed at all (what is traced is node's
    // own start-up, a few hundred objects a site at most).
    const after = pretenuringSites('start');
    expect(after.filter((s) => s.found >= 1000)).toEqual([]);
  });
});
