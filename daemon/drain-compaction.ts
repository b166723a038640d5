/**
 * Outbox compaction, also while a backlog drains. LevelDB frees the disk space of delivered
 * events, and drops the table files it maps into memory to read them, only when it compacts
 * their range; a backlog of a million events is hundreds of megabytes of such files.
 *
 * Contract:
 * - `scheduled()` is the compaction job (jobs.compaction): it compacts once
 *   jobs.compactAfterEvents events left the outbox since the last compaction.
 * - While a backlog of at least that many events is waiting, the same check runs every few
 *   seconds, and once the backlog has drained, the rest of it is compacted at once. The
 *   compaction runs in LevelDB's thread: the drain goes on meanwhile.
 * - Compactions never overlap; `stop()` waits for the one under way (before the outbox closes).
 */
import type { Logger } from './log.js';
import type { LevelOutbox } from './outbox/level-outbox.js';

/** How often a draining backlog is looked at. */
const CHECK_MS = 2000;

export class OutboxCompaction {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** A backlog worth compacting behind was waiting at a check since the last compaction. */
  private draining = false;
  private stopped = false;

  constructor(
    private readonly outbox: Pick<LevelOutbox, 'compact' | 'stats'>,
    /** jobs.compactAfterEvents as configured now (a reload may change it). */
    private readonly afterEvents: () => number,
    private readonly log: Logger,
    private readonly checkMs = CHECK_MS,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.whileDraining(), this.checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Resolves once no compaction is under way. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The compaction job: compacts when enough events left since the last compaction. */
  scheduled(): Promise<void> {
    return this.compact(this.afterEvents(), 'scheduled');
  }

  /** The check while a backlog drains. */
  whileDraining(): Promise<void> {
    const after = this.afterEvents();
    if (this.outbox.stats().depth >= after) {
      this.draining = true;
      return this.compact(after, 'draining');
    }
    if (!this.draining) return Promise.resolve();
    // The backlog is (nearly) out: compact what it left behind now, not at the next job.
    this.draining = false;
    return this.compact(1, 'drained');
  }

  private compact(minRemoved: number, why: string): Promise<void> {
    // What a drained backlog left behind is compacted after the compaction under way, not skipped:
    // that one covered only what had left when it started.
    if (this.running)
      return why === 'drained'
        ? this.running.then(() => (this.stopped ? undefined : this.compact(minRemoved, why)))
        : this.running;
    const run = (async () => {
      try {
        const done = await this.outbox.compact(minRemoved);
        if (done) this.log.info({ component: 'outbox', ...done, why }, 'outbox compacted');
      } catch (err) {
        this.log.warn(
          { component: 'outbox', err, why },
          `outbox compaction failed: ${(err as Error).message}`,
        );
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }
}
