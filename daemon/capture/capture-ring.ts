/**
 * The last minutes of one reader's raw reads, kept as capture lines for `readpoint record --ring`:
 * what the reader saw just before a technician noticed something. Bounded twice: reads older than
 * the window are let go as time moves on, and the oldest are let go early (counted in `dropped`)
 * when the lines would take more than `maxBytes`.
 */

export interface RingLimits {
  /** How far back the ring reaches, ms of monotonic time. */
  readonly windowMs: number;
  /** The most the ring's lines may take, bytes (one byte per character of a capture line). */
  readonly maxBytes: number;
}

export class CaptureRing {
  private lines: string[] = [];
  private monos: number[] = [];
  private head = 0;
  private held = 0;
  private droppedCount = 0;

  constructor(readonly limits: RingLimits) {}

  /** Reads let go before their time to stay within `maxBytes`. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Bytes the ring's lines take now. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.lines.length - this.head;
  }

  /** Keeps a read's line; `mono` is the read's monotonic time (the ring's clock). */
  add(line: string, mono: number): void {
    this.lines.push(line);
    this.monos.push(mono);
    this.held += line.length + 1;
    this.trim(mono);
  }

  /** The lines of the last `windowMs` as of monotonic `now`, oldest first. */
  snapshot(now: number): string[] {
    this.trim(now);
    return this.lines.slice(this.head);
  }

  private trim(now: number): void {
    const oldest = now - this.limits.windowMs;
    const { lines, monos } = this;
    while (this.head < lines.length) {
      const aged = monos[this.head]! < oldest;
      if (!aged && this.held <= this.limits.maxBytes) break;
      if (!aged) this.droppedCount++;
      this.held -= lines[this.head]!.length + 1;
      this.head++;
    }
    // Let go of the slots behind the head now and then, not on every read.
    if (this.head > 4096 && this.head * 2 > lines.length) {
      this.lines = lines.slice(this.head);
      this.monos = monos.slice(this.head);
      this.head = 0;
    }
  }
}
