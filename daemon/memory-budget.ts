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
 * - LevelDB: a block cache of 1/32, and a write buffer of 1 MiB whatever the budget (up to two
 *   are held while one is written out; see `WRITE_BUFFER_BYTES`);
 * - the hold index, when holds are on: up to three eighths (an explicit holds.indexMb wins). Its
 *   table doubles as it grows, so three eighths keeps 1,048,576 one-slot entries (a 32 MiB
 *   table) within the default budget's share, with room for ranges' bounds;
 * - the rest is the heap and Node itself. The heap is bounded by how little it keeps (live state
 *   is small by design) and by how far V8 lets it grow past what the last full collection kept
 *   (`HeapGrowth`): old space up to a quarter of the budget.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { MIB } from './mebibytes.js';
import { BYTES_PER_PASS } from './smoothing/pass-table.js';

/** The budget when the configuration gives none, MiB. */
export const DEFAULT_BUDGET_MB = 128;

/** Units smoothing tracks at most within a budget: its fifth, at the measured bytes per unit. */
export function trackedUnitsFor(budgetMb: number): number {
  return Math.floor((budgetMb * MIB) / 5 / BYTES_PER_PASS);
}

/** What the hold index may take within a budget, MiB: three eighths of it. */
export function holdIndexMbFor(budgetMb: number): number {
  return Math.ceil((budgetMb * 3) / 8);
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

/**
 * LevelDB's memtable, bytes. Each full memtable is written out as a table and fsynced on LevelDB's
 * thread, and while that runs the group commits of reads just made take longer: at 5,000 reads/s
 * on a 2-core VM, a 4 MiB memtable took about 29 ms to write out every 0.6 s, and the reads whose
 * commit overlapped one made up more than half of those taking over 15 ms to be accepted. A
 * 1 MiB memtable is written out in about 8 ms (compactions come more often and take 12-49 ms
 * instead of 37-68): read -> accept p99 measured 13-20 ms against 17-35 in 11 alternated pairs,
 * the backlog's fill and drain unchanged. Not scaled with the budget: a larger memtable only
 * lengthens the pause.
 */
const WRITE_BUFFER_BYTES = MIB;

export function levelTuningFor(budgetMb: number): LevelTuning {
  const share = Math.max(1, Math.floor(budgetMb / 32)) * MIB;
  return { cacheSize: share, writeBufferSize: WRITE_BUFFER_BYTES, maxOpenFiles: 100 };
}

/**
 * Of the budget, what old space may reach before a full collection; the rest is smoothing's table
 * (off the heap), young space, code and native memory. Measured through a 1,000,000-event backlog:
 * a quarter holds RssAnon to 145/140 MB (fill/drain); 40 % was right while smoothing's strings
 * were on the heap, and with them off it let RssAnon reach 170-200 MB.
 */
const OLD_SPACE_SHARE = 0.25;
/**
 * The smallest step. A larger one (20-25 %) collects less often when the live heap nears the
 * share, but measured RssAnon over 150 MB through a 1,000,000-event backlog.
 */
const MIN_GROWTH_PERCENT = 10;
const MAX_GROWTH_PERCENT = 300;

/**
 * How far (percent) the heap may grow past what a full collection kept (`liveBytes`) before the
 * next one: up to the budget's old-space share, so a small live heap collects rarely and a large
 * one often; never under 10 % (V8's collections would follow each other) nor over 300 %.
 */
export function heapGrowthPercent(budgetMb: number, liveBytes: number): number {
  const room = (budgetMb * MIB * OLD_SPACE_SHARE) / Math.max(liveBytes, 1) - 1;
  return Math.min(MAX_GROWTH_PERCENT, Math.max(MIN_GROWTH_PERCENT, Math.round(room * 100)));
}

/**
 * Keeps V8's heap growing factor fitted to the budget: after each full collection, from what it
 * kept. V8 otherwise lets old space grow to several times its live size before collecting; on a
 * daemon that promotes short-lived garbage that is most of its memory. Unlike the heap's size
 * limit, V8 reads this factor each time it sets the next collection's threshold, so it can be
 * set at run time. The factor is the process's: one daemon per process.
 *
 * It also turns V8's allocation-site pretenuring off. V8 counts how many objects of each object
 * or array literal survive a young collection, and once about 85 in 100 do, it allocates that
 * literal's objects in old space for the rest of the process. The daemon's per-event objects
 * (entries read back, events in flight until their PUBACK) often survive one young collection
 * and then die, so a decision taken at a busy moment fills old space with garbage. Of 8
 * 1,000,000-event backlogs traced, 4 ran 145-316 mark-compacts instead of 37-58, with the fill at
 * 46,000 events/s instead of 61,000-63,000 or 18-19 µs of CPU per event drained instead of 13-15;
 * with pretenuring off, 22 of 22 ran 36-39 (14 of them with it turned off here, at run time).
 *
 * Other heap flags are not set here: the young space's size is fixed when the heap is made (a
 * later --max-semi-space-size does nothing; the systemd unit passes it, as node shrinks the young
 * space under a memory limit), and V8 aborts at the next full collection when
 * --single-threaded-gc is set at run time.
 */
export class HeapGrowth {
  private observer: PerformanceObserver | undefined;
  private percent = 0;

  constructor(private readonly budgetMb: number) {}

  /** The factor now (percent); 0 before start(). */
  get growthPercent(): number {
    return this.percent;
  }

  start(): void {
    // Read by V8 as it makes a literal's allocation site and at each young collection: literals
    // first run after this are not tracked, and no site is sent to old space from now on.
    v8.setFlagsFromString('--no-allocation-site-pretenuring');
    this.fit();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          this.fit();
          return;
        }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  private fit(): void {
    const percent = heapGrowthPercent(this.budgetMb, v8.getHeapStatistics().used_heap_size);
    if (percent === this.percent) return;
    this.percent = percent;
    v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  }
}
