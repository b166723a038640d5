/**
 * The daemon's own memory, sized from one setting (`memory.budgetMb`): how many units smoothing
 * tracks, what LevelDB keeps in memory, and how far the JavaScript heap grows between full
 * collections. The budget is the daemon's anonymous memory (RssAnon: heap and native
 * allocations); the pages of the outbox's files that the kernel caches are not in it (they are
 * the kernel's to take back, and compaction while a backlog drains keeps them few).
 *
 * Shares of the budget:
 * - smoothing: a fifth, at `BYTES_PER_PASS` per tracked unit (an explicit smoothing.maxTracked
 *   wins);
 * - LevelDB: a block cache and a write buffer of 1/32 each (up to two write buffers are held
 *   while one is written out);
 * - the rest is the heap and Node itself. The heap is bounded by how little it keeps (live state
 *   is small by design) and by how far V8 lets it grow past what the last full collection kept:
 *   `heapGrowthPercent`. V8 otherwise lets old space grow to several times its live size before
 *   collecting, which on a daemon that promotes short-lived garbage is most of its memory.
 */
import v8 from 'node:v8';
import { BYTES_PER_PASS } from './smoothing/pass-table.js';

/** The budget when the configuration gives none, MiB. */
export const DEFAULT_BUDGET_MB = 128;

const MIB = 1024 * 1024;

/** Units smoothing tracks at most within a budget: its fifth, at the measured bytes per unit. */
export function trackedUnitsFor(budgetMb: number): number {
  return Math.floor((budgetMb * MIB) / 5 / BYTES_PER_PASS);
}

/** The LevelDB options that hold memory, for a budget (classic-level's names). */
export interface LevelTuning {
  /** Block cache, bytes. The outbox reads each entry about once, in order: little cache is enough. */
  readonly cacheSize: number;
  /** Memtable, bytes; up to two are held at once. */
  readonly writeBufferSize: number;
  /**
   * Table files open at once (each mapped into memory while open). The outbox reads its tables
   * in order, so few need to be open; LevelDB keeps at least 74.
   */
  readonly maxOpenFiles: number;
}

export function levelTuningFor(budgetMb: number): LevelTuning {
  const share = Math.max(1, Math.floor(budgetMb / 32)) * MIB;
  return { cacheSize: share, writeBufferSize: share, maxOpenFiles: 100 };
}

/**
 * How far (percent) the heap may grow past what the last full collection kept before the next
 * one. Measured on a 300,000-event backlog: 10 % held RssAnon to ~140 MB where V8's own choice
 * reached 450 MB, at a higher collection cost; small budgets get less room.
 */
export function heapGrowthPercentFor(budgetMb: number): number {
  return budgetMb >= 256 ? 50 : budgetMb >= 128 ? 20 : 10;
}

/**
 * Sets V8's heap growing factor for this process. Unlike the heap's size limit, V8 reads this one
 * each time it sets the next collection's threshold, so it takes effect at run time.
 */
export function applyHeapGrowth(budgetMb: number): void {
  v8.setFlagsFromString(`--heap-growing-percent=${heapGrowthPercentFor(budgetMb)}`);
}
