/**
 * The LevelDB outbox (layout in record.ts). One writer does every write: appends made while a
 * batch is being written (or in the same tick) go out together in the next `db.batch()` (group
 * commit), with the deletes of acknowledged entries and of overflow drops and the high-water
 * sequence number. An in-memory ledger (ledger.ts) knows what is stored, so bounds, drops, depth
 * and "is this entry still live" need no read; `take()` reads from a cursor, never from the start.
 */
import type { Level } from 'level';
import type { Logger } from '../log.js';
import { type Append, compose, type DropTally, type Op, undo } from './batch.js';
import { Ledger } from './ledger.js';
import type { Outbox, OutboxEntry, OutboxStats } from './outbox.js';
import { decodeRecord, encodeRecord, entryKey, quarantineKeyOf, seqOfKey } from './record.js';
import { openStore, scanStore } from './store.js';

export interface OutboxOptions {
  maxEvents: number;
  /** Bytes of stored entries at most, counting key and value bytes. */
  maxBytes: number;
  /**
   * Who gives way when the outbox is full. `drop-oldest`: the oldest stored entries, whether
   * handed out (in flight, unacknowledged) or not, are deleted to make room; a later ack of one is
   * ignored. `drop-newest`: `append` resolves false and the entry is not stored.
   */
  overflow: 'drop-oldest' | 'drop-newest';
  /** Appends per group commit at most. */
  batchMax: number;
  /**
   * fsync every batch before `append` resolves (default false). Without it an accepted entry is
   * in the operating system's page cache: it survives a crash of the process (SIGKILL, OOM kill,
   * a bug), not a power cut or kernel panic, which can lose the batches of the last seconds
   * (until the kernel writes its cache back). With it, it survives those too, at the cost of one
   * fsync per batch.
   */
  sync?: boolean;
}

export interface LevelOutboxStats extends OutboxStats {
  readonly quarantined: number;
  readonly batches: number;
}

/** How long acknowledgements wait to be deleted together when no append carries them. */
const ACK_FLUSH_MS = 10;
/** Retry delay for deletes and quarantine moves after a failed write. */
const RETRY_MS = 1000;

interface PendingAppend extends Append {
  readonly resolve: (stored: boolean) => void;
  readonly reject: (err: Error) => void;
}

export class LevelOutbox implements Outbox {
  private db: Level<string, string> | undefined;
  private closing = false;
  private ledger = new Ledger();
  /** Highest seq handed out by nextSequence(). */
  private lastSeq = 0;
  /** Highest seq queued or written: appends must come in sequence order. */
  private queuedSeq = 0;
  /** Highest seq of a written batch: take() never reads above it. */
  private durableSeq = 0;
  /** take() continues at this seq; every live entry below it is handed out and unacknowledged. */
  private from = 1;
  /** Bumped when the cursor is moved back, so a take() running meanwhile does not move it on. */
  private cursorMoves = 0;
  private appends: PendingAppend[] = [];
  private deletes: number[] = [];
  /** Keys of damaged records to move to quarantine. */
  private quarantine: string[] = [];
  private writing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private failedWrites = 0;
  private takes: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  /** Since open, but `quarantined` and the drops count since the store was created. */
  private counts = { appended: 0, acked: 0, quarantined: 0, batches: 0 };
  private drops: DropTally = { count: 0 };

  constructor(
    private readonly dir: string,
    private readonly options: OutboxOptions,
    private readonly log: Logger,
  ) {}

  /** Opens the store and counts it in one scan: about 4 s for a million ~700-byte entries. */
  async open(): Promise<void> {
    const db = await openStore(this.dir);
    const started = performance.now();
    const scan = await scanStore(db, this.log);
    this.ledger = scan.ledger;
    this.lastSeq = this.queuedSeq = this.durableSeq = scan.lastSeq;
    this.from = scan.ledger.oldest()?.seq ?? scan.lastSeq + 1;
    this.cursorMoves = 0;
    this.appends = [];
    this.deletes = [];
    this.quarantine = scan.damaged;
    this.failedWrites = 0;
    this.counts = { appended: 0, acked: 0, quarantined: scan.quarantined, batches: 0 };
    this.drops = scan.drops;
    this.db = db;
    this.log.info(
      {
        depth: this.ledger.depth,
        bytes: this.ledger.bytes,
        lastSeq: this.lastSeq,
        quarantined: scan.quarantined,
        openMs: Math.round(performance.now() - started),
      },
      'outbox open',
    );
    this.schedule();
  }

  /** Writes pending appends and acks (one more try after a failed write), then closes the store. */
  async close(): Promise<void> {
    if (!this.db || this.closing) return;
    this.closing = true;
    try {
      await this.takes;
      await this.writing;
      for (let tries = 0; this.pending() && (tries === 0 || this.failedWrites === 0); tries++) {
        this.startWriting();
        await this.writing;
      }
      if (this.deletes.length > 0) {
        this.log.warn({ acks: this.deletes.length }, 'outbox closed with acks unwritten: delivered again');
      }
    } finally {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      const db = this.db;
      this.db = undefined;
      this.closing = false;
      this.wake();
      await db.close();
    }
  }

  nextSequence(): number {
    return ++this.lastSeq;
  }

  append(entry: OutboxEntry): Promise<boolean> {
    if (!this.db || this.closing) return Promise.reject(new Error('the outbox is not open'));
    if (entry.seq <= this.queuedSeq) {
      return Promise.reject(
        new Error(`outbox append out of order: seq ${entry.seq} after ${this.queuedSeq}`),
      );
    }
    this.queuedSeq = entry.seq;
    this.lastSeq = Math.max(this.lastSeq, entry.seq);
    const value = encodeRecord(entry);
    const size = entryKey(entry.seq).length + Buffer.byteLength(value);
    return new Promise((resolve, reject) => {
      this.appends.push({ entry, value, size, resolve, reject });
      this.schedule();
    });
  }

  /** Up to `max` durable entries after the cursor, in order; concurrent calls run one at a time. */
  take(max: number): Promise<OutboxEntry[]> {
    const taken = this.takes.then(() => this.takeNow(max));
    this.takes = taken.catch(() => undefined); // the caller gets the error; the next take still runs
    return taken;
  }

  /** Resolves when entries may be after the cursor, or at once; also on abort and at close. */
  waitForEntries(signal?: AbortSignal): Promise<void> {
    if (!this.db || this.from <= this.durableSeq || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  ack(seq: number): void {
    if (!this.ledger.remove(seq)) return; // dropped meanwhile, or acknowledged twice
    this.counts.acked++;
    this.deletes.push(seq);
    this.schedule();
  }

  rewind(): void {
    const oldest = this.ledger.oldest();
    if (oldest === undefined || oldest.seq >= this.from) return;
    this.from = oldest.seq;
    this.cursorMoves++;
    this.wake();
  }

  stats(): LevelOutboxStats {
    const oldest = this.ledger.oldest();
    return {
      depth: this.ledger.depth,
      bytes: this.ledger.bytes,
      ...(oldest ? { oldestAt: oldest.at } : {}),
      appended: this.counts.appended,
      acked: this.counts.acked,
      dropped: this.drops.count,
      ...(this.drops.first ? { firstDropped: this.drops.first } : {}),
      ...(this.drops.last ? { lastDropped: this.drops.last } : {}),
      lastSeq: this.lastSeq,
      quarantined: this.counts.quarantined,
      batches: this.counts.batches,
    };
  }

  private async takeNow(max: number): Promise<OutboxEntry[]> {
    const db = this.db;
    if (!db || max <= 0 || this.from > this.durableSeq) return [];
    const upto = this.durableSeq;
    const moves = this.cursorMoves;
    let next = this.from;
    const out: OutboxEntry[] = [];
    const it = db.iterator({ gte: entryKey(this.from), lte: entryKey(upto) });
    try {
      while (out.length < max) {
        const chunk = await it.nextv(max - out.length);
        if (chunk.length === 0) {
          next = upto + 1;
          break;
        }
        for (const [key, value] of chunk) {
          const seq = seqOfKey(key);
          if (seq === undefined) {
            this.quarantineRecord(key, value);
            continue;
          }
          next = seq + 1;
          if (!this.ledger.has(seq)) continue; // acknowledged or dropped, its delete not written yet
          const record = decodeRecord(value);
          if (record) out.push({ seq, ...record });
          else {
            this.ledger.remove(seq);
            this.quarantineRecord(key, value);
          }
        }
      }
    } finally {
      await it.close();
    }
    if (this.cursorMoves === moves) this.from = Math.max(this.from, next);
    return out;
  }

  /** Moves an undecodable record aside (`q!`), counted and logged: never a crash, never a silent skip. */
  private quarantineRecord(key: string, value: string): void {
    this.counts.quarantined++;
    this.log.error({ key, length: value.length }, 'outbox record cannot be decoded: moved to quarantine');
    this.quarantine.push(key);
    this.schedule();
  }

  private pending(): boolean {
    return this.appends.length > 0 || this.deletes.length > 0 || this.quarantine.length > 0;
  }

  private schedule(): void {
    if (this.writing || !this.db) return;
    const urgent =
      this.appends.length > 0 ||
      (this.failedWrites === 0 && this.quarantine.length > 0) ||
      this.deletes.length >= this.options.batchMax;
    if (urgent) this.startWriting();
    else if ((this.deletes.length > 0 || this.quarantine.length > 0) && !this.flushTimer) {
      this.flushTimer = setTimeout(
        () => {
          this.flushTimer = undefined;
          this.startWriting();
        },
        this.failedWrites > 0 ? RETRY_MS : ACK_FLUSH_MS,
      );
    }
  }

  private startWriting(): void {
    if (this.writing || !this.db) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined;
      this.schedule();
    });
  }

  private async writeAll(): Promise<void> {
    await Promise.resolve(); // appends made in the same tick join this batch
    do {
      if (!(await this.writeBatch())) return;
    } while (this.appends.length > 0 || (this.closing && this.pending()));
  }

  /** One group commit; false if the write failed (its appends and every later one rejected). */
  private async writeBatch(): Promise<boolean> {
    const db = this.db!;
    const batch = this.appends.splice(0, this.options.batchMax);
    const deletes = this.deletes.splice(0);
    const quarantine = this.quarantine.splice(0);
    const ops: Op[] = deletes.map((seq) => ({ type: 'del', key: entryKey(seq) }));
    for (const key of quarantine) {
      // Read again as bytes: the record is kept exactly as found.
      const value = await db.get<string, Uint8Array>(key, { valueEncoding: 'view' });
      if (value === undefined) continue;
      ops.push(
        { type: 'put', key: quarantineKeyOf(key), value, valueEncoding: 'view' },
        { type: 'del', key },
      );
    }
    const fromBefore = this.from;
    const { stored, drops, tally } = compose(
      this.ledger,
      batch,
      this.durableSeq,
      this.options,
      this.drops,
      ops,
    );
    // Entries dropped before take() reached them: the cursor moves past them, never over their
    // deleted keys (all older stored entries were dropped first).
    for (const d of drops) if (d.size > 0 && d.seq >= this.from) this.from = d.seq + 1;
    const highest = batch.at(-1)?.entry.seq ?? this.durableSeq;
    try {
      await db.batch<string, string | Uint8Array>(ops, { sync: this.options.sync === true });
    } catch (err) {
      const skipped = undo(this.ledger, drops, this.durableSeq).find((d) => d.seq >= fromBefore);
      if (skipped && skipped.seq < this.from) {
        this.from = skipped.seq; // a take() may have passed it meanwhile
        this.cursorMoves++;
      }
      this.deletes.unshift(...deletes);
      this.quarantine.unshift(...quarantine);
      const rejected = [...batch, ...this.appends.splice(0)];
      this.queuedSeq = this.durableSeq; // the caller appends the rejected ones again, in order
      this.failedWrites++;
      this.log.error({ err, rejected: rejected.length, failures: this.failedWrites }, 'outbox write failed');
      for (const a of rejected) a.reject(err as Error);
      return false;
    }
    this.failedWrites = 0;
    this.counts.batches++;
    this.durableSeq = Math.max(this.durableSeq, highest);
    if (drops.length > 0) this.recordDrops(tally);
    batch.forEach((a, i) => {
      if (stored[i]) this.counts.appended++;
      a.resolve(stored[i]!);
    });
    if (stored.some(Boolean)) this.wake();
    return true;
  }

  private recordDrops(tally: DropTally): void {
    const before = this.drops.count;
    this.drops = tally;
    // Logged at the first drop and about every 1000th; the health topic carries every count.
    if (before === 0 || Math.floor(before / 1000) < Math.floor(tally.count / 1000)) {
      this.log.warn(
        { dropped: tally.count, last: tally.last, policy: this.options.overflow },
        'outbox full: events dropped',
      );
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
