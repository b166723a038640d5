/**
 * The backlog read ahead: the main lane's takes are served from one LevelDB iterator kept open
 * across them, which reads the next chunk of stored entries as soon as the one before is handed
 * out, so a take finds it in memory instead of waiting for a read on libuv's pool. A take hands
 * out what is in memory (up to its `max`) and waits for a read only when nothing is. (With an
 * iterator per take, each take waited for its reads, whose callbacks queue behind a busy main
 * thread, and the dispatcher's lane ran dry for 1.5-2.1 s of a 300,000-event drain.)
 *
 * A reader sees the store as it was when it opened (LevelDB's iterators read a snapshot): the
 * entries stored then above `from` up to `upTo`, including entries deleted since, so every skip
 * rule is checked as an entry is handed out, not as it was read. An iterator also keeps the table
 * files of its snapshot from being deleted, so a reader lives a bounded number of entries, is
 * closed once read to its end, when no take came for a second, and before a compaction
 * (level-outbox.ts): the disk of a draining backlog is still freed as it drains.
 */
import type { Level } from 'level';
import { entryKey, entryOf, seqOf } from './batch-plan.js';
import type { OutboxEntry } from './outbox.js';

type Handle = Level<string, string>;
type Stored = [key: string, value: string];

/**
 * How many bytes of entries one read of the store brings at most: about 115 events of 1.1 KB.
 * The reads of one iterator follow each other, a round trip to libuv's pool and back to the main
 * thread each, so the size sets how fast a drain can be read: with 64 KB four takes in five still
 * waited for a read and the lane ran dry for about 1 s of a 300,000-event drain, with 128 KB
 * about 0.1 s. (Read per take, 128 KB and larger chunks cost RssAnon; read ahead one at a time
 * and handed out whole, RssAnon measured the same as 64 KB per take.)
 */
export const READ_CHUNK_BYTES = 128 * 1024;
/** Chunks read ahead at most: two measured no faster, with twice the entries waiting on the heap. */
const AHEAD = 1;
/** Entries a reader reads before a new one takes over (its snapshot then goes). */
export const READER_LIFE = 4096;
/** A reader no take used for this long is closed; the next take opens another. */
const IDLE_MS = 1000;

/** What a take does with the entries it reads: the delivery's rules (delivery.ts). */
export interface HandOutRules {
  /** Whether the entry stored under `seq` must not go out: being dropped, acknowledged, deleted. */
  skip(seq: number): boolean;
  /** An entry handed out, stored in `size` bytes. */
  handedOut(entry: OutboxEntry, size: number): void;
  /** A reader opened: deletes written before now are not in its snapshot. */
  opened(): void;
}

/** The take's entries, the lane's cursor after it and the acceptedAt of the next entry, if known. */
export interface Taken {
  readonly out: OutboxEntry[];
  readonly cursor: number;
  readonly nextAt: number | undefined;
}

export class ReadAhead {
  private reader: BacklogReader | undefined;
  private idle: NodeJS.Timeout | undefined;
  private taking = false;

  constructor(private readonly rules: HandOutRules) {}

  /** The cursor the open reader goes on from (entries above it may still come), if one is open. */
  get after(): number | undefined {
    return this.reader?.after;
  }

  /**
   * Up to `max` entries above `after` up to `upTo`: those in memory, or, when none is, the next
   * chunk once read; `bad` gets records that do not decode. One take at a time.
   */
  async take(
    db: Handle,
    after: number,
    max: number,
    upTo: number,
    bad: (k: string, v: string) => void,
  ): Promise<Taken> {
    const out: OutboxEntry[] = [];
    if (upTo <= after) return { out, cursor: after, nextAt: undefined };
    this.taking = true;
    try {
      return await this.handOut(db, after, max, upTo, bad, out);
    } finally {
      this.taking = false;
    }
  }

  /** Closes the reader, if any (after a read under way); a take opens a new one. */
  stop(): Promise<void> {
    const r = this.reader;
    this.reader = undefined;
    return r ? r.close() : Promise.resolve();
  }

  private async handOut(
    db: Handle,
    after: number,
    max: number,
    upTo: number,
    bad: (k: string, v: string) => void,
    out: OutboxEntry[],
  ): Promise<Taken> {
    let r = this.reader;
    // A lane whose cursor moved elsewhere (a rewind, a take from the live tail, lanes merging).
    if (!r || r.db !== db || r.after !== after || r.failed) r = this.open(db, after, upTo);
    let lastSeen = after;
    let cursor: number | undefined;
    let nextAt: number | undefined;
    for (;;) {
      const stored = r.peek();
      if (stored === undefined) {
        // At its end: known once a read came back empty, or once its last entry was seen.
        if (r.ended || lastSeen >= r.upTo) {
          // Every entry up to the reader's end was seen; what was stored after it opened needs another.
          lastSeen = Math.max(lastSeen, r.upTo);
          if (r.upTo >= upTo) {
            cursor = upTo;
            void this.stop();
            break;
          }
          r = this.open(db, lastSeen, upTo);
          continue;
        }
        if (r.spent) {
          r = this.open(db, lastSeen, upTo);
          continue;
        }
        // What was in memory is out; the next chunk is on its way for the next take.
        if (out.length > 0) break;
        await r.wait();
        // Closed meanwhile (the outbox closing): nothing more from it.
        if (this.reader !== r) break;
        continue;
      }
      const [k, v] = stored;
      const seq = seqOf(k);
      if (seq > upTo) {
        cursor = upTo;
        break;
      }
      if (this.rules.skip(seq)) {
        r.shift();
        lastSeen = seq;
        continue;
      }
      const entry = entryOf(seq, v);
      if (!entry) {
        bad(k, v);
        r.shift();
        lastSeen = seq;
        continue;
      }
      if (out.length === max) {
        nextAt = entry.acceptedAt;
        break;
      }
      r.shift();
      lastSeen = seq;
      out.push(entry);
      this.rules.handedOut(entry, k.length + v.length);
    }
    cursor ??= lastSeen;
    // Out to its end: closed now rather than when a take next asks, which may be never (a
    // drained backlog), so that the compaction that follows can free what its snapshot held.
    if (this.reader === r && cursor >= r.upTo) void this.stop();
    if (this.reader === r) {
      r.after = cursor;
      if (r.spent) this.open(db, cursor, upTo);
      this.idle ??= setTimeout(() => {
        if (!this.taking) void this.stop();
      }, IDLE_MS).unref();
      this.idle.refresh();
    }
    // Still being read: the entry after the last one out is no older than it.
    if (nextAt === undefined && cursor < upTo) nextAt = out.at(-1)?.acceptedAt;
    return { out, cursor, nextAt };
  }

  private open(db: Handle, from: number, upTo: number): BacklogReader {
    void this.stop();
    this.rules.opened();
    this.reader = new BacklogReader(db, from, upTo);
    return this.reader;
  }
}

/** One iterator over the stored entries above `from` up to `upTo`, read ahead in chunks. */
class BacklogReader {
  private readonly it;
  /** Chunks read and not handed out, oldest first; `at` is where the first one is handed out from. */
  private chunks: Stored[][] = [];
  private at = 0;
  private pending: Promise<void> | undefined;
  private failure: unknown;
  private done = false;
  private closed = false;
  private read = 0;
  /**
   * The cursor a take goes on from with this reader: every stored entry above it up to the next
   * one in memory (or to `upTo` once ended) was seen.
   */
  after: number;

  constructor(
    readonly db: Handle,
    from: number,
    readonly upTo: number,
  ) {
    this.after = from;
    this.it = db.iterator({
      gt: entryKey(from),
      lte: entryKey(upTo),
      highWaterMarkBytes: READ_CHUNK_BYTES,
      // Each entry is read once: its blocks would only push others out of LevelDB's cache.
      fillCache: false,
    });
    this.readOn();
  }

  /** The next entry read and not handed out, or undefined when none is in memory now. */
  peek(): Stored | undefined {
    return this.chunks[0]?.[this.at];
  }

  /** The entry peek() gave is handed out or skipped. */
  shift(): void {
    if (++this.at < this.chunks[0]!.length) return;
    this.chunks.shift();
    this.at = 0;
    this.readOn();
  }

  /** Every entry up to `upTo` was handed out or skipped. */
  get ended(): boolean {
    return this.done && this.chunks.length === 0;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** It read its life's worth and has nothing left in memory: a new reader goes on from here. */
  get spent(): boolean {
    return this.read >= READER_LIFE && this.pending === undefined && this.chunks.length === 0;
  }

  /** Until the chunk requested is in memory; throws what the read threw. */
  async wait(): Promise<void> {
    this.readOn();
    await this.pending;
    if (this.failure !== undefined) throw this.failure;
  }

  close(): Promise<void> {
    this.closed = true;
    this.chunks = [];
    this.at = 0;
    // Nothing to do about a close that fails: the store, when it closes, ends its iterators too.
    return this.it.close().catch(() => {});
  }

  /** Requests the next chunk while fewer than AHEAD are in memory. */
  private readOn(): void {
    if (this.pending || this.done || this.closed || this.failure !== undefined) return;
    if (this.chunks.length >= AHEAD || this.read >= READER_LIFE) return;
    this.pending = this.it.nextv(1000).then(
      (chunk) => {
        this.pending = undefined;
        if (this.closed) return;
        if (chunk.length === 0) {
          this.done = true;
          return;
        }
        this.chunks.push(chunk as Stored[]);
        this.read += chunk.length;
        this.readOn();
      },
      (err: unknown) => {
        this.pending = undefined;
        this.failure = err;
      },
    );
  }
}
