/**
 * The outbox's in-memory ledger of what is stored: for every entry not yet acknowledged or
 * dropped, its sequence number, acceptedAt and size, in sequence order. It answers "is this entry
 * still live", the depth, the bytes and the oldest entry without reading LevelDB, and lets a full
 * outbox drop its oldest entries without a read before the write.
 *
 * A ring of typed arrays, 20 bytes a slot (20 MB for a million entries), off the JS heap. An entry
 * acknowledged out of order leaves a hole (size 0) until the head passes it; slots = depth + holes.
 */
export interface LedgerEntry {
  readonly seq: number;
  readonly at: number;
  readonly size: number;
}

const MIN_SLOTS = 1024;

export class Ledger {
  private seqs = new Float64Array(MIN_SLOTS);
  private ats = new Float64Array(MIN_SLOTS);
  private sizes = new Uint32Array(MIN_SLOTS);
  private head = 0;
  /** Slots in use from head, holes included. */
  private used = 0;
  private liveCount = 0;
  private liveBytes = 0;

  get depth(): number {
    return this.liveCount;
  }

  get bytes(): number {
    return this.liveBytes;
  }

  /** Adds the newest entry; `seq` must be above every seq in the ledger. */
  push(seq: number, at: number, size: number): void {
    if (this.used > 0 && seq <= this.seqs[this.slot(this.used - 1)]!) {
      throw new Error(`outbox ledger: seq ${seq} is not above the newest entry`);
    }
    if (this.used === this.seqs.length) this.resize(this.seqs.length * 2);
    this.put(this.slot(this.used), seq, at, size);
    this.used++;
  }

  /** Puts back an entry older than every entry in the ledger (undoing a drop). */
  unshift(seq: number, at: number, size: number): void {
    if (this.used === this.seqs.length) this.resize(this.seqs.length * 2);
    this.head = (this.head - 1 + this.seqs.length) % this.seqs.length;
    this.used++;
    this.put(this.head, seq, at, size);
  }

  has(seq: number): boolean {
    return this.find(seq) >= 0;
  }

  /** Removes a live entry (acknowledged, dropped or quarantined); undefined if it is not live. */
  remove(seq: number): LedgerEntry | undefined {
    const i = this.find(seq);
    if (i < 0) return undefined;
    const slot = this.slot(i);
    const entry = { seq, at: this.ats[slot]!, size: this.sizes[slot]! };
    this.sizes[slot] = 0;
    this.liveCount--;
    this.liveBytes -= entry.size;
    this.trim();
    return entry;
  }

  /** The oldest live entry. */
  oldest(): LedgerEntry | undefined {
    if (this.used === 0) return undefined;
    const s = this.head;
    return { seq: this.seqs[s]!, at: this.ats[s]!, size: this.sizes[s]! };
  }

  /** Removes every entry above `seq` (undoing pushes whose write failed). */
  dropAbove(seq: number): void {
    while (this.used > 0) {
      const s = this.slot(this.used - 1);
      if (this.seqs[s]! <= seq) break;
      if (this.sizes[s]! > 0) {
        this.liveCount--;
        this.liveBytes -= this.sizes[s]!;
      }
      this.used--;
    }
    this.trim();
  }

  private put(slot: number, seq: number, at: number, size: number): void {
    if (size <= 0) throw new Error('outbox ledger: an entry has a size');
    this.seqs[slot] = seq;
    this.ats[slot] = at;
    this.sizes[slot] = size;
    this.liveCount++;
    this.liveBytes += size;
  }

  private slot(i: number): number {
    return (this.head + i) % this.seqs.length;
  }

  /** Index (from head) of the live entry `seq`, or -1: a binary search, seqs ascend from head. */
  private find(seq: number): number {
    let lo = 0;
    let hi = this.used - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.seqs[this.slot(mid)]!;
      if (s === seq) return this.sizes[this.slot(mid)]! > 0 ? mid : -1;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Keeps the head on a live entry and gives memory back once a backlog has drained. */
  private trim(): void {
    while (this.used > 0 && this.sizes[this.head] === 0) {
      this.head = (this.head + 1) % this.seqs.length;
      this.used--;
    }
    if (this.used === 0) this.head = 0;
    if (this.seqs.length > MIN_SLOTS && this.used < this.seqs.length / 4) this.resize(this.seqs.length / 2);
  }

  private resize(slots: number): void {
    const seqs = new Float64Array(slots);
    const ats = new Float64Array(slots);
    const sizes = new Uint32Array(slots);
    for (let i = 0; i < this.used; i++) {
      const s = this.slot(i);
      seqs[i] = this.seqs[s]!;
      ats[i] = this.ats[s]!;
      sizes[i] = this.sizes[s]!;
    }
    this.seqs = seqs;
    this.ats = ats;
    this.sizes = sizes;
    this.head = 0;
  }
}
