/** The shares of the memory budget: smoothing's bound, LevelDB's options, the heap's growth. */
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

  it('gives LevelDB a 32nd each for its block cache and write buffer, in whole MiB, at least one', () => {
    expect(levelTuningFor(128)).toEqual({ cacheSize: 4 * MIB, writeBufferSize: 4 * MIB, maxOpenFiles: 100 });
    expect(levelTuningFor(32)).toEqual({ cacheSize: MIB, writeBufferSize: MIB, maxOpenFiles: 100 });
    expect(levelTuningFor(48).cacheSize).toBe(MIB);
  });

  it('lets the heap grow up to a quarter of the budget past what a collection kept, within 10..300 %', () => {
    expect(heapGrowthPercent(128, 16 * MIB)).toBe(100); // 32 MiB of room: twice the live heap
    expect(heapGrowthPercent(128, 25 * MIB)).toBe(28);
    expect(heapGrowthPercent(128, 40 * MIB)).toBe(10); // over the share already: V8's smallest step
    expect(heapGrowthPercent(128, 4 * MIB)).toBe(300); // a small heap still collects now and then
    expect(heapGrowthPercent(128, 0)).toBe(300);
  });
});
