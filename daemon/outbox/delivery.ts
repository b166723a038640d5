/**
 * What of the outbox has gone out: the cursor `take()` continues from, the entries handed out
 * and not yet acknowledged (in flight), and the choice of drop-oldest victims among the rest.
 *
 * A victim is never an entry in flight (it may already be at the broker) nor one acknowledged
 * whose delete is not yet written. Choosing a victim and `take()` handing an entry out are each
 * a check-and-mark with no await in between, so the two can never pick the same entry. The
 * cursor only moves past entries `take()` has seen: an entry skipped because it was being
 * dropped comes back into view if that write fails.
 *
 * Replay lanes. `split()` draws a line under what is stored now: the main cursor goes on through
 * that backlog only, and a second cursor (the live lane) hands out what is stored after the
 * line. When the main cursor reaches the line the lanes merge: it jumps to the live cursor.
 * `rewind()` ends a split (everything not acknowledged goes out again in sequence order).
 *
 * Each lane's take is served from the live tail (live-tail.ts) when its cursor is at or above the
 * tail's start; otherwise the store is read up to the tail's start and the take goes on in memory.
 * Whatever either way hands out leaves the tail, so the tail only ever holds entries no lane took.
 * The main lane reads the store through one iterator kept open across its takes, which reads the
 * next entries while the ones before are published (read-ahead.ts); the live lane opens one per take.
 */
import type { Level } from 'level';
import { decodeEntry, entryKey, entryOf, seqOf, type Victim } from './batch-plan.js';
import { LiveTail } from './live-tail.js';
import type { OutboxEntry } from './outbox.js';
import { READ_CHUNK_BYTES, ReadAhead } from './read-ahead.js';

type Handle = Level<string, string>;

export class Delivery {
  /** Highest sequence number handed out by take() since the last rewind. */
  private cursor: number;
  /** While the backlog replays: its last sequence number; the live lane is above it. */
  private splitAt: number | undefined;
  /** Highest sequence number handed out by the live lane. */
  private liveCursor = 0;
  /** No entry below it may be dropped: all deleted, acknowledged or in flight. */
  private floor: number;
  private readonly inFlight = new Map<number, { size: number; at: number }>();
  /** Acknowledged, their deletes not yet written. */
  private readonly acked = new Set<number>();
  /**
   * Deleted (acknowledged or dropped) while a take() was iterating, or ahead of the main lane's
   * reader: an iterator opened before the delete was written still sees them, so they stay
   * skipped until a new one is opened.
   */
  private readonly gone = new Set<number>();
  private taking = 0;
  /** The main lane's reads of the store, kept open across its takes (read-ahead.ts). */
  private readonly ahead = new ReadAhead({
    skip: (seq) => this.skip(seq),
    handedOut: (entry, size) => this.handedOut(entry, size),
    // Its snapshot has every delete written so far, unless another take still iterates an older one.
    opened: () => {
      if (this.taking <= 1) this.gone.clear();
    },
  });
  /** Chosen as victims by the batch being written. */
  private readonly dropping = new Set<number>();
  /** acceptedAt of the oldest entry not handed out, when known. */
  private nextUntakenAt: number | undefined;
  private victimFrom = 0;
  private victimStopAt: number | undefined;

  /**
   * `first`: the lowest stored entry at open, if any. `tail`: the newest entries in memory
   * (live-tail.ts); takes it can serve do not read the store.
   */
  constructor(
    first?: { seq: number; at: number | undefined },
    private readonly tail = new LiveTail(0, 0, 0),
  ) {
    this.floor = first?.seq ?? 0;
    this.cursor = Math.max(0, this.floor - 1);
    this.nextUntakenAt = first?.at;
  }

  /** Entries above the cursor up to `durableSeq` exist (in either lane). */
  hasUntaken(durableSeq: number): boolean {
    return this.splitAt === undefined ? this.cursor < durableSeq : true;
  }

  /** acceptedAt of the oldest undelivered entry: the oldest in flight, else the oldest not taken. */
  oldestAt(): number | undefined {
    let oldest = this.nextUntakenAt;
    // At most the in-flight window; with two lanes the first inserted is not always the oldest.
    for (const { at } of this.inFlight.values()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
  }

  /**
   * Splits off the backlog: entries up to `durableSeq` not handed out yet stay on the main lane,
   * later ones go to the live lane. Returns the backlog's last sequence number, or undefined (and
   * no split) when nothing is waiting or a split is on.
   */
  split(durableSeq: number): number | undefined {
    if (this.splitAt !== undefined || this.cursor >= durableSeq) return undefined;
    this.splitAt = this.liveCursor = durableSeq;
    return durableSeq;
  }

  /** The live lane has entries not handed out (only while replaying). */
  hasLive(durableSeq: number): boolean {
    return this.splitAt !== undefined && this.liveCursor < durableSeq;
  }

  /** Whether a backlog split off by split() is still replaying. */
  get replaying(): boolean {
    return this.splitAt !== undefined;
  }

  /**
   * Up to `max` entries after the cursor in sequence order; `bad` gets records that do not decode.
   * With `live`, from the live lane (none unless split).
   */
  async take(
    db: Handle,
    max: number,
    durableSeq: number,
    bad: (k: string, v: string) => void,
    live = false,
  ): Promise<OutboxEntry[]> {
    if (live && this.splitAt === undefined) return [];
    if (this.taking === 0 && this.ahead.after === undefined) this.gone.clear();
    this.taking++;
    try {
      // What is above the tail's start is in memory: the read stops there, the next take is served.
      const stored = this.tail.length > 0 ? Math.min(durableSeq, this.tail.after) : durableSeq;
      if (live) {
        const { out, cursor } = await this.takeFrom(db, max, this.liveCursor, stored, bad);
        this.liveCursor = Math.max(this.liveCursor, cursor);
        // The lanes merged while this take ran: the one cursor must not hand these out again.
        if (this.splitAt === undefined) this.cursor = Math.max(this.cursor, this.liveCursor);
        this.tail.discardThrough(this.liveCursor);
        return this.topUp(out, max, durableSeq, true);
      }
      const upTo = Math.min(stored, this.splitAt ?? stored);
      this.nextUntakenAt = undefined;
      const { out, cursor, nextAt } = await this.ahead.take(db, this.cursor, max, upTo, bad);
      this.cursor = cursor;
      this.nextUntakenAt = nextAt ?? (cursor < durableSeq ? this.tail.first()?.acceptedAt : undefined);
      if (this.splitAt !== undefined && this.cursor >= this.splitAt) {
        // The backlog is out: one lane again, after what the live lane handed out.
        this.cursor = this.liveCursor;
        this.splitAt = undefined;
        this.tail.discardThrough(this.cursor);
        return out;
      }
      this.tail.discardThrough(this.cursor);
      return this.topUp(out, max, durableSeq, false);
    } finally {
      this.taking--;
    }
  }

  /**
   * take() served from the tail in memory, or undefined when the lane's cursor is below the tail
   * (the entries after it must be read from the store). Taken entries leave the tail.
   */
  takeKept(max: number, durableSeq: number, live = false): OutboxEntry[] | undefined {
    if (live && this.splitAt === undefined) return [];
    const after = live ? this.liveCursor : this.cursor;
    if (after < this.tail.after) return undefined;
    this.tail.discardThrough(after);
    const upTo = live ? durableSeq : Math.min(durableSeq, this.splitAt ?? durableSeq);
    const out: OutboxEntry[] = [];
    let seen = 0;
    let lastSeen = after;
    let nextAt: number | undefined;
    // Like a read of the store: at most max + 1 entries looked at, skipped ones included.
    for (let e = this.tail.first(); e && e.seq <= upTo && seen <= max; e = this.tail.first()) {
      seen++;
      if (out.length === max) {
        nextAt = e.acceptedAt;
        break;
      }
      const size = this.tail.firstSize();
      this.tail.shift();
      lastSeen = e.seq;
      // A victim of the batch being written: skipped like take() skips it (kept() brings it back).
      if (this.dropping.has(e.seq)) continue;
      out.push(e);
      if (!this.inFlight.has(e.seq)) this.inFlight.set(e.seq, { size, at: e.acceptedAt });
    }
    // Every stored entry up to upTo was in the tail: when the look ended short, the lane is at upTo.
    const cursor = out.length === max || seen > max ? lastSeen : upTo;
    if (live) {
      this.liveCursor = Math.max(this.liveCursor, cursor);
      return out;
    }
    this.cursor = cursor;
    this.nextUntakenAt = nextAt;
    if (this.splitAt !== undefined && this.cursor >= this.splitAt) {
      this.cursor = this.liveCursor;
      this.splitAt = undefined;
      this.tail.discardThrough(this.cursor);
    }
    return out;
  }

  /** A read of the store that stopped where the tail starts goes on in memory, up to `max`. */
  private topUp(out: OutboxEntry[], max: number, durableSeq: number, live: boolean): OutboxEntry[] {
    if (out.length >= max || this.tail.length === 0) return out;
    const more = this.takeKept(max - out.length, durableSeq, live);
    if (more) for (const e of more) out.push(e);
    return out;
  }

  /** An entry the batch just written stored: kept in the tail until taken. */
  keep(entry: OutboxEntry, size: number): void {
    this.tail.add(entry, size);
  }

  /** Closes the main lane's reader, if any (the next take opens another). */
  stopReading(): Promise<void> {
    return this.ahead.stop();
  }

  /**
   * Whether the entry stored under `seq` must not go out: being dropped or acknowledged, its delete
   * not yet written (or written after the iterator reading it opened).
   */
  private skip(seq: number): boolean {
    return this.dropping.has(seq) || this.acked.has(seq) || this.gone.has(seq);
  }

  /**
   * Whether an iterator opened before the delete of `seq` was written may still hand it out: a
   * take is iterating, or the main lane's reader is open below it.
   */
  private mayStillRead(seq: number): boolean {
    return this.taking > 0 || seq > (this.ahead.after ?? Number.POSITIVE_INFINITY);
  }

  /** An entry read from the store goes out: in flight until acknowledged (again, after a rewind). */
  private handedOut(entry: OutboxEntry, size: number): void {
    if (!this.inFlight.has(entry.seq)) this.inFlight.set(entry.seq, { size, at: entry.acceptedAt });
  }

  private async takeFrom(
    db: Handle,
    max: number,
    after: number,
    upTo: number,
    bad: (k: string, v: string) => void,
  ): Promise<{ out: OutboxEntry[]; cursor: number; nextAt: number | undefined }> {
    const out: OutboxEntry[] = [];
    let nextAt: number | undefined;
    let seen = 0;
    let lastSeen = after;
    if (upTo <= after) return { out, cursor: after, nextAt };
    // In chunks, not entry by entry (a promise each), and of READ_CHUNK_BYTES: the binding
    // otherwise stops every 16 KB, a round trip to its thread for every ~16 events.
    const it = db.iterator({
      gt: entryKey(after),
      lte: entryKey(upTo),
      limit: max + 1,
      highWaterMarkBytes: READ_CHUNK_BYTES,
      // Each entry is read once: its blocks would only push others out of LevelDB's cache.
      fillCache: false,
    });
    try {
      read: while (seen <= max) {
        const chunk = await it.nextv(max + 1 - seen);
        if (chunk.length === 0) break;
        for (const [k, v] of chunk) {
          seen++;
          const seq = seqOf(k);
          if (this.skip(seq)) {
            lastSeen = seq;
            continue;
          }
          const entry = entryOf(seq, v);
          if (!entry) {
            bad(k, v);
            lastSeen = seq;
            continue;
          }
          if (out.length === max) {
            nextAt = entry.acceptedAt;
            break read;
          }
          out.push(entry);
          lastSeen = seq;
          this.handedOut(entry, k.length + v.length);
        }
      }
    } finally {
      await it.close();
    }
    // Past what was handed out or skipped; to the end only if the iterator ran out before its limit.
    return { out, cursor: out.length === max || seen > max ? lastSeen : upTo, nextAt };
  }

  /** The entry's size if it was in flight (else it was acknowledged already). */
  ack(seq: number): number | undefined {
    const held = this.inFlight.get(seq);
    if (!held) return undefined;
    this.inFlight.delete(seq);
    this.acked.add(seq);
    return held.size;
  }

  /** The deletes of these acknowledged entries are written. */
  deleted(seqs: Iterable<number>): void {
    for (const s of seqs) {
      this.acked.delete(s);
      if (this.mayStillRead(s)) this.gone.add(s);
    }
  }

  rewind(): void {
    void this.stopReading();
    // One lane again: the live lane's unacknowledged entries are above the main cursor, so they
    // come again in sequence order, after the backlog's.
    this.splitAt = undefined;
    let lowest = this.cursor + 1;
    for (const seq of this.inFlight.keys()) lowest = Math.min(lowest, seq);
    this.cursor = lowest - 1;
  }

  /** A batch stored entries; `firstAt` is the acceptedAt of the first of them. */
  stored(firstAt: number | undefined, durableSeq: number): void {
    if (this.nextUntakenAt === undefined && this.splitAt === undefined && this.cursor < durableSeq)
      this.nextUntakenAt = firstAt;
  }

  /** A new batch is being planned: its victim search starts at the floor. */
  beginPlan(): void {
    this.victimFrom = this.floor;
    this.victimStopAt = undefined;
  }

  /** The oldest entries that may be dropped, at least `events` of them and `bytes` in size. */
  async victims(db: Handle, events: number, bytes: number, skip: (k: string) => boolean): Promise<Victim[]> {
    const out: Victim[] = [];
    let freed = 0;
    this.victimStopAt = undefined;
    for await (const [k, v] of db.iterator({ gte: entryKey(this.victimFrom), lt: 'e~' })) {
      const seq = seqOf(k);
      if (out.length >= events && freed >= bytes) {
        this.victimStopAt = decodeEntry(v)?.a;
        break;
      }
      this.victimFrom = seq + 1;
      if (this.dropping.has(seq) || this.inFlight.has(seq) || this.acked.has(seq) || skip(k)) continue;
      this.dropping.add(seq);
      out.push({ seq, at: decodeEntry(v)?.a ?? 0, size: k.length + v.length });
      freed += k.length + v.length;
    }
    return out;
  }

  /** The batch that chose `victims` was written: they are gone. */
  dropped(victims: readonly number[]): void {
    if (victims.length === 0) return;
    for (const v of victims) {
      this.dropping.delete(v);
      if (this.mayStillRead(v)) this.gone.add(v);
    }
    this.tail.remove(victims);
    this.floor = Math.max(this.floor, victims.at(-1)! + 1);
    // The oldest untaken entries were dropped: the oldest left is where the search stopped.
    this.nextUntakenAt = this.victimStopAt;
  }

  /** The batch that chose `victims` failed: they stay, and take() may have skipped them. */
  kept(victims: readonly number[]): void {
    if (victims.length === 0) return;
    for (const v of victims) {
      this.dropping.delete(v);
      if (this.splitAt !== undefined && v > this.splitAt) this.liveCursor = Math.min(this.liveCursor, v - 1);
      else this.cursor = Math.min(this.cursor, v - 1);
    }
  }
}
