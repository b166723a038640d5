/**
 * What of the outbox has gone out: the cursor `take()` continues from, the entries handed out
 * and not yet acknowledged (in flight), and the choice of drop-oldest victims among the rest.
 *
 * A victim is never an entry in flight (it may already be at the broker) nor one acknowledged
 * whose delete is not yet written. Choosing a victim and `take()` handing an entry out are each
 * a check-and-mark with no await in between, so the two can never pick the same entry. The
 * cursor only moves past entries `take()` has seen: an entry skipped because it was being
 * dropped comes back into view if that write fails.
 */
import type { Level } from 'level';
import { decodeEntry, entryKey, seqOf, type Victim } from './batch-plan.js';
import type { OutboxEntry } from './outbox.js';

type Handle = Level<string, string>;

export class Delivery {
  /** Highest sequence number handed out by take() since the last rewind. */
  private cursor: number;
  /** No entry below it may be dropped: all deleted, acknowledged or in flight. */
  private floor: number;
  private readonly inFlight = new Map<number, { size: number; at: number }>();
  /** Acknowledged, their deletes not yet written. */
  private readonly acked = new Set<number>();
  /**
   * Deleted (acknowledged or dropped) while a take() was iterating: an iterator opened before the
   * delete was written still sees them, so they stay skipped until a new one is opened.
   */
  private readonly gone = new Set<number>();
  private taking = 0;
  /** Chosen as victims by the batch being written. */
  private readonly dropping = new Set<number>();
  /** acceptedAt of the oldest entry not handed out, when known. */
  private nextUntakenAt: number | undefined;
  private victimFrom = 0;
  private victimStopAt: number | undefined;

  /** `first`: the lowest stored entry at open, if any. */
  constructor(first?: { seq: number; at: number | undefined }) {
    this.floor = first?.seq ?? 0;
    this.cursor = Math.max(0, this.floor - 1);
    this.nextUntakenAt = first?.at;
  }

  /** Entries above the cursor up to `durableSeq` exist. */
  hasUntaken(durableSeq: number): boolean {
    return this.cursor < durableSeq;
  }

  /** acceptedAt of the oldest undelivered entry: the oldest in flight, else the oldest not taken. */
  oldestAt(): number | undefined {
    const oldest = this.inFlight.values().next();
    return oldest.done ? this.nextUntakenAt : oldest.value.at;
  }

  /** Up to `max` entries after the cursor in sequence order; `bad` gets records that do not decode. */
  async take(
    db: Handle,
    max: number,
    durableSeq: number,
    bad: (k: string, v: string) => void,
  ): Promise<OutboxEntry[]> {
    if (this.taking === 0) this.gone.clear();
    this.taking++;
    try {
      return await this.takeFrom(db, max, durableSeq, bad);
    } finally {
      this.taking--;
    }
  }

  private async takeFrom(
    db: Handle,
    max: number,
    durableSeq: number,
    bad: (k: string, v: string) => void,
  ): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    this.nextUntakenAt = undefined;
    let seen = 0;
    let lastSeen = this.cursor;
    for await (const [k, v] of db.iterator({
      gt: entryKey(this.cursor),
      lte: entryKey(durableSeq),
      limit: max + 1,
    })) {
      seen++;
      const seq = seqOf(k);
      // Being dropped or acknowledged, the delete not yet written (or written after this iterator opened).
      if (this.dropping.has(seq) || this.acked.has(seq) || this.gone.has(seq)) {
        lastSeen = seq;
        continue;
      }
      const value = decodeEntry(v);
      if (!value) {
        bad(k, v);
        lastSeen = seq;
        continue;
      }
      if (out.length === max) {
        this.nextUntakenAt = value.a;
        break;
      }
      out.push({ seq, topic: value.t, payload: value.p, acceptedAt: value.a });
      lastSeen = seq;
      if (!this.inFlight.has(seq)) this.inFlight.set(seq, { size: k.length + v.length, at: value.a });
    }
    // Past what was handed out or skipped; to the end only if the iterator ran out before its limit.
    this.cursor = out.length === max || seen > max ? lastSeen : durableSeq;
    return out;
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
      if (this.taking > 0) this.gone.add(s);
    }
  }

  rewind(): void {
    const first = this.inFlight.keys().next();
    if (!first.done) this.cursor = Math.min(this.cursor, first.value - 1);
  }

  /** A batch stored entries; `firstAt` is the acceptedAt of the first of them. */
  stored(firstAt: number | undefined, durableSeq: number): void {
    if (this.nextUntakenAt === undefined && this.cursor < durableSeq) this.nextUntakenAt = firstAt;
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
      if (this.taking > 0) this.gone.add(v);
    }
    this.floor = Math.max(this.floor, victims.at(-1)! + 1);
    // The oldest untaken entries were dropped: the oldest left is where the search stopped.
    this.nextUntakenAt = this.victimStopAt;
  }

  /** The batch that chose `victims` failed: they stay, and take() may have skipped them. */
  kept(victims: readonly number[]): void {
    if (victims.length === 0) return;
    for (const v of victims) this.dropping.delete(v);
    this.cursor = Math.min(this.cursor, Math.min(...victims) - 1);
  }
}
