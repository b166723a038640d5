/**
 * The newest entries of the outbox, kept in memory from the group commit that made them durable
 * until a take hands them out, so live events go out without being read back from LevelDB.
 *
 * The tail is a complete copy of the store above `after`: every entry stored with a sequence
 * number above it is here, in sequence order, until taken. A take whose cursor is at or above
 * `after` can therefore be served from memory alone; any other (a backlog, after a rewind, after
 * the tail overflowed) reads LevelDB. Raising `after` (dropping the oldest copies) never breaks
 * that: the store still has them.
 *
 * The tail is bounded by events and bytes. Past the bound no reader is keeping up (the uplink is
 * down, or slower than the readers): every copy is dropped and none is kept until a take catches
 * up with the newest entry stored. Keeping the newest few thousand meanwhile would make every
 * event of an outage live through several young-generation collections only to be dropped
 * unread, and the garbage collector promotes such objects to the old generation (measured:
 * 40-90 MB more RssAnon through a 100,000-event outage and its drain).
 */
import type { OutboxEntry } from './outbox.js';

export class LiveTail {
  private items: OutboxEntry[] = [];
  private sizes: number[] = [];
  private head = 0;
  private size = 0;
  /** Past the bound: nothing is kept until a take reaches `after`. */
  private behind = false;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
    /** Every stored entry above this sequence number is in the tail. */
    public after: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.size;
  }

  /** The oldest entry kept, if any. */
  first(): OutboxEntry | undefined {
    return this.items[this.head];
  }

  /** The stored size of the oldest entry kept (key plus value). */
  firstSize(): number {
    return this.sizes[this.head] ?? 0;
  }

  /** An entry just made durable (above every one kept). Past the bound, every copy goes. */
  add(entry: OutboxEntry, size: number): void {
    if (!this.behind && this.length < this.maxEvents && this.size + size <= this.maxBytes) {
      this.items.push(entry);
      this.sizes.push(size);
      this.size += size;
      return;
    }
    this.items = [];
    this.sizes = [];
    this.head = this.size = 0;
    this.after = entry.seq;
    this.behind = true;
  }

  /** Forgets the oldest copy (taken, or given up): the tail now starts after it. */
  shift(): void {
    const e = this.items[this.head];
    if (!e) return;
    this.after = Math.max(this.after, e.seq);
    this.size -= this.sizes[this.head]!;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets every copy up to `seq` (handed out by a take): the tail starts after it. */
  discardThrough(seq: number): void {
    for (let e = this.first(); e && e.seq <= seq; e = this.first()) this.shift();
    // A take reached the newest entry stored: the tail keeps entries again.
    if (seq >= this.after) this.behind = false;
    this.after = Math.max(this.after, seq);
  }

  /** These entries were deleted (overflow victims): their copies go. */
  remove(seqs: readonly number[]): void {
    if (seqs.length === 0 || this.length === 0) return;
    const gone = new Set(seqs);
    const items: OutboxEntry[] = [];
    const sizes: number[] = [];
    let size = 0;
    for (let i = this.head; i < this.items.length; i++) {
      if (gone.has(this.items[i]!.seq)) continue;
      items.push(this.items[i]!);
      sizes.push(this.sizes[i]!);
      size += this.sizes[i]!;
    }
    this.items = items;
    this.sizes = sizes;
    this.size = size;
    this.head = 0;
  }
}
