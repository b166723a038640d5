/**
 * Appends not yet durable, in sequence order: those gathering for the next group commit, those
 * waiting for room (stop-reading), and those held while the store cannot be written. While the
 * store fails the hold is bounded; past the bound the overflow policy applies to held entries:
 * drop-newest refuses the new one, drop-oldest drops the oldest held one (the stored entries
 * cannot be deleted while nothing can be written), stop-reading lets the caller wait.
 */
import type { Held } from './batch-plan.js';
import type { OverflowPolicy } from './outbox.js';

export class AppendHold {
  private items: Held[] = [];
  private size = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  get entries(): readonly Held[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.size;
  }

  push(h: Held): void {
    this.items.push(h);
    this.size += h.size;
  }

  /** Removes the first `n` (just written). */
  settleFirst(n: number): void {
    for (const h of this.items.splice(0, n)) this.size -= h.size;
  }

  /**
   * Makes room for `h` under `policy` while the store fails; `drop` settles each entry given up.
   * Returns whether `h` is to be held (false: it was refused).
   */
  makeRoom(h: Held, policy: OverflowPolicy, drop: (dropped: Held) => void): boolean {
    const full = () => this.items.length + 1 > this.maxEvents || this.size + h.size > this.maxBytes;
    if (!full() || policy === 'stop-reading') return true;
    if (policy === 'drop-newest') {
      drop(h);
      return false;
    }
    while (full()) {
      const i = this.items.findIndex((x) => !x.writing);
      if (i < 0) break;
      const [oldest] = this.items.splice(i, 1);
      this.size -= oldest!.size;
      drop(oldest!);
    }
    return true;
  }

  /** Takes out every entry (or every one not being written) to be rejected. */
  takeAll(exceptWriting: boolean): Held[] {
    const out = exceptWriting ? this.items.filter((h) => !h.writing) : this.items;
    this.items = exceptWriting ? this.items.filter((h) => h.writing) : [];
    this.size = this.items.reduce((n, h) => n + h.size, 0);
    return out;
  }
}

/** Time the readers were held back: total, and how many times it began. */
export class StallClock {
  private since: number | undefined;
  private total = 0;
  count = 0;

  set(stopped: boolean, now: number): void {
    if (stopped && this.since === undefined) {
      this.since = now;
      this.count++;
    } else if (!stopped && this.since !== undefined) {
      this.total += now - this.since;
      this.since = undefined;
    }
  }

  totalMs(now: number): number {
    return this.total + (this.since !== undefined ? now - this.since : 0);
  }
}
