/**
 * The uplink's publishes awaiting their PUBACK, by ticket: a ring of slots instead of a Map of
 * objects. Tickets are handed out in order and settle in any order (almost always in order); a
 * slot is the ticket modulo a power of two, and the ring doubles when the span from the oldest
 * unsettled ticket to the newest would not fit. Nothing is allocated per publish, so the record
 * of a publish in flight, which lives until its PUBACK, gives the young-space collector nothing
 * to copy or promote.
 */
export type Settled = (err?: Error) => void;

const FIRST_SLOTS = 128;

export class PendingPublishes {
  private settledBy: (Settled | undefined)[] = new Array(FIRST_SLOTS).fill(undefined);
  private sentAt = new Float64Array(FIRST_SLOTS);
  private mask = FIRST_SLOTS - 1;
  /** The oldest ticket that may still be unsettled. */
  private oldest = 0;
  /** The next ticket to hand out. */
  private next = 0;
  private count = 0;

  /** Publishes awaiting their PUBACK. */
  get size(): number {
    return this.count;
  }

  /** Records a publish sent at `at` (performance.now()); its ticket. */
  add(settled: Settled, at: number): number {
    if (this.next - this.oldest > this.mask) this.grow();
    const ticket = this.next++;
    const slot = ticket & this.mask;
    this.settledBy[slot] = settled;
    this.sentAt[slot] = at;
    this.count++;
    return ticket;
  }

  /** When the publish of `ticket` was sent; NaN once it is settled (or never was). */
  sentAtOf(ticket: number): number {
    return this.holds(ticket) ? this.sentAt[ticket & this.mask]! : Number.NaN;
  }

  /**
   * Takes the publish of `ticket` out: its callback, for the caller to call, or undefined when it
   * was already taken (settled with the connection).
   */
  take(ticket: number): Settled | undefined {
    if (!this.holds(ticket)) return undefined;
    const slot = ticket & this.mask;
    const settled = this.settledBy[slot];
    this.settledBy[slot] = undefined;
    this.count--;
    // Skip past settled slots so the span (and with it the ring) stays as small as the window.
    while (this.oldest < this.next && this.settledBy[this.oldest & this.mask] === undefined) this.oldest++;
    return settled;
  }

  /** Takes every publish out, oldest first: their callbacks. */
  takeAll(): Settled[] {
    const all: Settled[] = [];
    for (let t = this.oldest; t < this.next; t++) {
      const settled = this.settledBy[t & this.mask];
      if (settled !== undefined) all.push(settled);
      this.settledBy[t & this.mask] = undefined;
    }
    this.oldest = this.next;
    this.count = 0;
    return all;
  }

  private holds(ticket: number): boolean {
    return ticket >= this.oldest && ticket < this.next && this.settledBy[ticket & this.mask] !== undefined;
  }

  private grow(): void {
    const slots = (this.mask + 1) * 2;
    const settledBy: (Settled | undefined)[] = new Array(slots).fill(undefined);
    const sentAt = new Float64Array(slots);
    const mask = slots - 1;
    for (let t = this.oldest; t < this.next; t++) {
      settledBy[t & mask] = this.settledBy[t & this.mask];
      sentAt[t & mask] = this.sentAt[t & this.mask]!;
    }
    this.settledBy = settledBy;
    this.sentAt = sentAt;
    this.mask = mask;
  }
}
