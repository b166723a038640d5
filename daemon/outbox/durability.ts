/**
 * When the outbox fsyncs, and what it does when a write fails.
 *
 * Sync policy. `batch`: every group commit that carries appends is written with LevelDB's
 * `sync: true` (the log is fsynced) before its appends resolve. `interval`: group commits are written to the operating
 * system's page cache, and one write at most every `syncIntervalMs` carries `sync: true`; that
 * fsync flushes the log with every earlier write in it. When no write follows within the
 * interval, a timer asks for a small synced write of the state record, so an accepted event is
 * never left unsynced for longer than the interval (plus the fsync itself).
 *
 * Write failures. A failed batch leaves LevelDB's log with a torn record; LevelDB would go on
 * appending after it and, on the next open, lose everything written past the tear (measured on
 * a full tmpfs: writes acknowledged after the disk had room again were gone after a reopen). So
 * after a failure the store is closed and reopened (a fresh log) before anything is written
 * again; both the reopen and the write are retried with backoff until they succeed.
 */
import { Backoff, type RetryDelays } from '../backoff.js';
import type { Logger } from '../log.js';
import type { SyncPolicy } from './outbox.js';

export class SyncSchedule {
  private lastSyncAt: number;
  private unsynced = false;
  private timer: NodeJS.Timeout | undefined;
  /** A synced write is owed (the interval passed with writes not yet synced). */
  due = false;
  /** Synced writes made. */
  syncs = 0;

  constructor(
    private readonly policy: SyncPolicy,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly onDue: () => void,
  ) {
    this.lastSyncAt = now();
  }

  /**
   * Whether the batch about to be written must be synced. Under `batch` that is every batch that
   * settles appends; one that only deletes acknowledged entries (or updates the drop ledger) need
   * not wait for an fsync: losing it in a power cut means duplicates, never a loss, and the timer
   * syncs it within the interval anyway.
   */
  wanted(settlesAppends: boolean): boolean {
    if (this.due) return true;
    if (this.policy === 'batch') return settlesAppends;
    return this.now() - this.lastSyncAt >= this.intervalMs;
  }

  /** Writes sit in the page cache, not yet synced. */
  get pending(): boolean {
    return this.unsynced;
  }

  written(synced: boolean): void {
    if (synced) {
      this.syncs++;
      this.lastSyncAt = this.now();
      this.unsynced = false;
      this.due = false;
      return;
    }
    this.unsynced = true;
    if (this.timer) return;
    const wait = Math.min(this.intervalMs, Math.max(1, this.intervalMs - (this.now() - this.lastSyncAt)));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.unsynced) return;
      this.due = true;
      this.onDue();
    }, wait);
    this.timer.unref();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A short reason for health and logs, e.g. `ENOSPC: no space left on device`. */
export function describeWriteError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { message?: unknown } };
  const text = [e?.message, e?.cause?.message].filter((m) => typeof m === 'string').join(': ');
  if (/no space left on device/i.test(text)) return 'ENOSPC: no space left on device';
  if (/read-only file system/i.test(text)) return 'EROFS: read-only file system';
  if (/input\/output error/i.test(text)) return 'EIO: input/output error';
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return `${code}${text || String(err)}`.slice(0, 300);
}

/** The state of a failing store: the error, the retry delays, and logs that do not flood. */
export class WriteTrouble {
  private error: string | undefined;
  private since = 0;
  private failures = 0;
  private lastLogAt = 0;
  private sinceLog = 0;
  private readonly backoff: Backoff;

  constructor(
    retry: RetryDelays,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly logEveryMs: number,
  ) {
    this.backoff = new Backoff(retry);
  }

  /** The current error, while writes fail. */
  get current(): string | undefined {
    return this.error;
  }

  /** Counts a failure (write or reopen); logs the first, then one line per interval; returns the retry delay. */
  fail(err: unknown, held: number): number {
    const text = describeWriteError(err);
    const now = this.now();
    this.failures++;
    this.sinceLog++;
    if (this.error === undefined) {
      this.since = now;
      this.lastLogAt = now;
      this.sinceLog = 0;
      this.log.error(
        { writeError: text, held },
        'outbox write failed: events held in memory, retrying until the store can be written',
      );
    } else if (now - this.lastLogAt >= this.logEveryMs) {
      this.log.error(
        { writeError: text, held, failures: this.sinceLog, failingS: Math.round((now - this.since) / 1000) },
        'outbox still cannot write',
      );
      this.lastLogAt = now;
      this.sinceLog = 0;
    }
    this.error = text;
    return this.backoff.next();
  }

  /** The delay before looking again, while waiting for room: counted as no failure, logged not. */
  waitDelay(): number {
    return this.backoff.next();
  }

  recovered(): void {
    if (this.error === undefined) return;
    this.log.info(
      { failures: this.failures, failedForMs: this.now() - this.since },
      'outbox writable again: held events written',
    );
    this.error = undefined;
    this.failures = 0;
    this.backoff.reset();
  }
}
