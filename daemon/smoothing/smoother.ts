/**
 * Smoothing, first cut: many raw reads of one unit at one read point -> one event per pass.
 *
 * A pass starts with the first read of a unit at a read point and lasts while the unit keeps
 * being read: a read within `suppressionMs` of the previous read of the same unit there belongs
 * to the same pass and is suppressed (counted, not published). Times are monotonic
 * (performance.now()), so a wall-clock jump never splits or merges passes.
 *
 * Memory is bounded: at most `maxTracked` units are remembered, least recently read first out.
 * Evicting a unit whose pass is still open means its next read starts a new pass (a duplicate
 * event, never a lost one); evictions are counted.
 */
export interface SmootherOptions {
  readonly maxTracked: number;
}

export interface SmootherStats {
  readonly tracked: number;
  readonly passes: number;
  readonly suppressed: number;
  readonly evicted: number;
}

interface Pass {
  lastMono: number;
  windowMs: number;
}

export class Smoother {
  // Insertion order is recency order: a read re-inserts its unit at the end.
  private readonly passes = new Map<string, Pass>();
  private started = 0;
  private suppressed = 0;
  private evicted = 0;

  constructor(private readonly options: SmootherOptions) {}

  /**
   * Records a read; returns true when it starts a new pass (an event is due), false when it is
   * suppressed as part of an open pass.
   */
  observe(readPointId: string, unitUri: string, mono: number, suppressionMs: number): boolean {
    const key = `${readPointId}\u0000${unitUri}`;
    const pass = this.passes.get(key);
    this.passes.delete(key);
    if (pass && mono - pass.lastMono <= pass.windowMs && mono >= pass.lastMono) {
      pass.lastMono = mono;
      this.passes.set(key, pass);
      this.suppressed++;
      return false;
    }
    this.passes.set(key, { lastMono: mono, windowMs: suppressionMs });
    this.started++;
    if (this.passes.size > this.options.maxTracked) {
      const oldest = this.passes.keys().next().value;
      if (oldest !== undefined) this.passes.delete(oldest);
      this.evicted++;
    }
    return true;
  }

  /** Forgets passes that have ended by `nowMono`; returns how many. */
  prune(nowMono: number): number {
    let removed = 0;
    for (const [key, pass] of this.passes) {
      if (nowMono - pass.lastMono > pass.windowMs) {
        this.passes.delete(key);
        removed++;
      }
    }
    return removed;
  }

  stats(): SmootherStats {
    return {
      tracked: this.passes.size,
      passes: this.started,
      suppressed: this.suppressed,
      evicted: this.evicted,
    };
  }
}
