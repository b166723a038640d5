/**
 * The LevelDB handle of the outbox, and its life through write failures.
 *
 * After a failed write nothing more is written to that handle (its log may end in a torn record;
 * durability.ts says why that matters), but it stays open for reads, so the backlog keeps going
 * out while the disk is full. When the retry is due, and for a full disk only once the file
 * system reports room again, the handle is closed (after the reads in progress) and the store
 * reopened: the next write goes to a fresh log. A reopen that fails leaves no handle at all
 * (reads see nothing new) and is retried with backoff.
 */
import { statfs } from 'node:fs/promises';
import { Level } from 'level';
import type { RetryDelays } from '../backoff.js';
import type { Logger } from '../log.js';
import { DEFAULT_BUDGET_MB, type LevelTuning, levelTuningFor } from '../memory-budget.js';
import type { Op } from './batch-plan.js';
import { dataDirFailure } from './data-dir.js';
import { WriteTrouble } from './durability.js';

export type WriteBatch = (db: Level<string, string>, ops: Op[], options: { sync: boolean }) => Promise<void>;

export interface StoreOptions {
  readonly retry: RetryDelays;
  readonly logEveryMs: number;
  readonly now: () => number;
  readonly writeBatch?: WriteBatch;
  /** Bytes free on the store's file system (default: statfs). */
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** Free bytes needed before a store that ran out of space is reopened, beyond what is held. */
  readonly minFreeBytes: number;
  /** Called once the store is open again after a failure. */
  readonly reopened: () => void;
  /** Appends held in memory, and their bytes. */
  readonly held: () => { readonly events: number; readonly bytes: number };
  /** What LevelDB keeps in memory (default: sized for the default memory budget). */
  readonly level?: LevelTuning;
}

type Handle = Level<string, string>;

/** An entry appended as bytes is written as those bytes (entry-bytes.ts); everything else as text. */
const AS_BYTES = { valueEncoding: 'buffer' } as const;

/**
 * One LevelDB batch through the chained API: each operation goes straight to the native batch.
 * (The array form copies and re-checks every operation in JavaScript first; measured on the
 * whole path, that was the largest single cost.)
 */
async function writeChained(db: Handle, ops: Op[], options: { sync: boolean }): Promise<void> {
  const batch = db.batch();
  for (const op of ops) {
    if (op.type === 'del') batch.del(op.key);
    else if (typeof op.value === 'string') batch.put(op.key, op.value);
    else batch.put(op.key, op.value as unknown as string, AS_BYTES);
  }
  await batch.write(options);
}

export class OutboxStore {
  /** The handle writes go to; undefined after a failure until the store is reopened. */
  private writable: Handle | undefined;
  /** The handle reads go to: the failed one too, until it is closed for the reopen. */
  private readable: Handle | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;
  private closed = true;
  private readers = 0;
  private readersIdle: (() => void)[] = [];
  readonly trouble: WriteTrouble;

  constructor(
    private readonly dir: string,
    private readonly options: StoreOptions,
    log: Logger,
  ) {
    this.trouble = new WriteTrouble(options.retry, log, options.now, options.logEveryMs);
  }

  /** The handle to write to, or undefined while the store has failed and is not reopened. */
  get db(): Handle | undefined {
    return this.writable;
  }

  /** Whether reads can be served (the store is open, or failed but still readable). */
  get readableNow(): boolean {
    return this.readable !== undefined;
  }

  async open(): Promise<Handle> {
    const db = await this.openLevel();
    this.writable = this.readable = db;
    this.closed = false;
    return db;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.retrying;
    await this.closeReadable();
    this.writable = undefined;
  }

  /** Runs `read` on the readable handle (it is not closed meanwhile); `empty` when there is none. */
  async reading<T>(empty: T, read: (db: Handle) => Promise<T>): Promise<T> {
    const db = this.readable;
    if (!db) return empty;
    this.readers++;
    try {
      return await read(db);
    } finally {
      if (--this.readers === 0) for (const idle of this.readersIdle.splice(0)) idle();
    }
  }

  write(db: Handle, ops: Op[], sync: boolean): Promise<void> {
    return (this.options.writeBatch ?? writeChained)(db, ops, { sync });
  }

  /** A write failed: stop writing to this handle and retry later on a reopened store. */
  failed(err: unknown): void {
    this.writable = undefined;
    this.schedule(this.trouble.fail(err, this.options.held().events));
  }

  private schedule(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retrying = this.retry().finally(() => {
        this.retrying = undefined;
      });
    }, delayMs);
  }

  private async retry(): Promise<void> {
    if (this.closed) return;
    if (this.trouble.current?.startsWith('ENOSPC') && !(await this.roomAgain())) {
      this.schedule(this.trouble.waitDelay());
      return;
    }
    await this.closeReadable();
    try {
      this.writable = this.readable = await this.openLevel();
    } catch (err) {
      this.schedule(this.trouble.fail(err, this.options.held().events));
      return;
    }
    this.options.reopened();
  }

  private async roomAgain(): Promise<boolean> {
    const free = this.options.freeBytes ?? diskFree;
    try {
      return (await free(this.dir)) >= this.options.minFreeBytes + this.options.held().bytes;
    } catch {
      return true; // cannot tell: try the reopen
    }
  }

  private async closeReadable(): Promise<void> {
    const db = this.readable;
    this.readable = undefined;
    while (this.readers > 0) await new Promise<void>((resolve) => this.readersIdle.push(resolve));
    await db?.close().catch(() => {});
  }

  private async openLevel(): Promise<Handle> {
    const db = new Level<string, string>(this.dir, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      ...(this.options.level ?? levelTuningFor(DEFAULT_BUDGET_MB)),
    });
    try {
      await db.open();
    } catch (err) {
      // A held lock, a denied permission, a read-only disk: each its own error (data-dir.ts).
      const known = dataDirFailure(this.dir, err);
      if (known) throw known;
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new Error(`cannot open the outbox in ${this.dir}: ${cause}`);
    }
    return db;
  }
}

async function diskFree(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}
