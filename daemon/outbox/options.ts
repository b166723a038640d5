/** The options of the LevelDB outbox, and the seams its tests use. */
import type { RetryDelays } from '../backoff.js';
import type { LevelTuning } from '../memory-budget.js';
import type { OverflowPolicy, SyncPolicy } from './outbox.js';
import type { WriteBatch } from './store.js';

export interface OutboxOptions {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly overflow: OverflowPolicy;
  readonly batchMax: number;
  /** Default `batch` (fsync every group commit). */
  readonly sync?: SyncPolicy;
  /** With `sync: interval`: the longest time an accepted event stays unsynced. Default 100. */
  readonly syncIntervalMs?: number;
  /**
   * The newest durable entries kept in memory until taken, so live events are not read back
   * from the store (live-tail.ts): at most this many, default 4096, and this many bytes, default
   * 4 MiB. 0 reads every entry back.
   */
  readonly liveTailEvents?: number;
  readonly liveTailBytes?: number;
  /** What LevelDB keeps in memory (memory-budget.ts); default: sized for the default budget. */
  readonly level?: LevelTuning;
}

/** Knobs and seams for tests; the daemon uses the defaults. */
export interface OutboxSeams {
  readonly now?: () => number;
  /** Writes one batch; wrap it to count synced writes or to fail like a full disk. */
  readonly writeBatch?: WriteBatch;
  /** Delays between retries of a failing store. Default 100 ms doubling to 5 s. */
  readonly retry?: RetryDelays;
  /** Appends held in memory at most while the store fails: default batchMax x 8, and 16 MiB. */
  readonly holdEvents?: number;
  readonly holdBytes?: number;
  /** stop-reading resumes below this share of maxEvents and maxBytes. Default 0.95. */
  readonly resumeAt?: number;
  /** A failing store is logged once, then once per this interval. Default 60 s. */
  readonly logEveryMs?: number;
  /** Bytes free on the store's file system (default: statfs). */
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** After a full disk, the store is reopened once this much is free beyond what is held. Default 1 MiB. */
  readonly minFreeBytes?: number;
}
