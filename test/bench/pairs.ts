/**
 * The gateway and its ceiling measured alternately, several times: a machine whose speed drifts
 * within a run then slows both sides of a pair alike, and the median of the pairs' ratios
 * holds where a single measurement of each side does not.
 */
import type { Measured } from './cpu.js';

export interface Pair {
  readonly ours: Measured;
  readonly ceiling: Measured;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface PairSummary {
  readonly pairs: number;
  /** Medians of each side. */
  readonly ours: Measured;
  readonly ceiling: Measured;
  /** ours / ceiling events/s per pair: median, lowest, highest. */
  readonly rate: Spread;
  /** ceiling / ours process CPU per event per pair (higher is leaner): median, lowest, highest. */
  readonly cpu: Spread;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function medians(sides: readonly Measured[]): Measured {
  return {
    perSecond: median(sides.map((s) => s.perSecond)),
    cpuUs: median(sides.map((s) => s.cpuUs)),
    mainUs: median(sides.map((s) => s.mainUs)),
  };
}

export function summarize(pairs: readonly Pair[]): PairSummary {
  return {
    pairs: pairs.length,
    ours: medians(pairs.map((p) => p.ours)),
    ceiling: medians(pairs.map((p) => p.ceiling)),
    rate: spread(pairs.map((p) => p.ours.perSecond / p.ceiling.perSecond)),
    cpu: spread(pairs.map((p) => p.ceiling.cpuUs / p.ours.cpuUs)),
  };
}

/**
 * Runs `count` pairs, the ceiling first in even pairs and ours first in odd ones, so a drift
 * within the run does not favour either side.
 */
export async function alternate<T extends Measured, C extends Measured>(
  count: number,
  ours: (pair: number) => Promise<T>,
  ceiling: (pair: number) => Promise<C>,
): Promise<{ ours: T; ceiling: C }[]> {
  const pairs: { ours: T; ceiling: C }[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const c = await ceiling(i);
      pairs.push({ ceiling: c, ours: await ours(i) });
    } else {
      const o = await ours(i);
      pairs.push({ ours: o, ceiling: await ceiling(i) });
    }
  }
  return pairs;
}
