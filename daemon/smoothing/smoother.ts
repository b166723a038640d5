/**
 * Smoothing: the storm of raw reads at each read point -> the transitions a warehouse means
 * (arrival, departure, presence, passage with direction; see transition.ts), by each read
 * point's rules (read-point-passes.ts).
 *
 * The gateway calls `observe` for every decoded read, in order, and `tick` a few times a
 * second; both return the transitions due, each to become one event. Times come from the reads
 * and the ticks (monotonic ms), so tests drive every rule with a test clock.
 *
 * Memory is bounded: at most `maxTracked` passes are open over all read points. When a new pass
 * would exceed it, the least recently read pass of the busiest read point is ended early (its
 * departure or passage is reported as usual; its next read is a new arrival). Such early ends
 * are counted as `evicted`. The passes sit in one compact table (pass-table.ts), so the bound is
 * also the smoother's memory: `stats().bytes` estimates it.
 */
import type { UnitRead } from './pass.js';
import { BYTES_PER_PASS, PassTable } from './pass-table.js';
import { ReadPointPasses, type ReadPointRules } from './read-point-passes.js';
import type { Transition } from './transition.js';

export type { ReadPointRules } from './read-point-passes.js';

export interface SmootherOptions {
  readonly maxTracked: number;
}

export interface SmootherStats {
  /** Passes open now. */
  readonly tracked: number;
  /** The bound on `tracked`. */
  readonly maxTracked: number;
  /** Bytes the open passes take, estimated: `tracked` times the measured size of one. */
  readonly bytes: number;
  /** Passes started (arrivals, also at two-zone read points). */
  readonly passes: number;
  /** Reads folded into an open pass (no event of their own). */
  readonly suppressed: number;
  /** Passes ended early to stay within `maxTracked`. */
  readonly evicted: number;
  /** Open passes of units read without a break for their read point's fixture time. */
  readonly fixtures: number;
}

export class Smoother {
  private readonly points = new Map<string, ReadPointPasses>();
  private readonly table: PassTable;
  private tracked = 0;
  private started = 0;
  private suppressed = 0;
  private evicted = 0;

  constructor(
    private readonly options: SmootherOptions,
    rules: ReadonlyMap<string, ReadPointRules>,
  ) {
    // One more than the bound: a new pass is opened before the oldest is evicted.
    this.table = new PassTable(options.maxTracked + 1);
    for (const [id, r] of rules) this.points.set(id, new ReadPointPasses(id, r, this.table));
  }

  /**
   * Folds one read in; the transitions it causes (often none) are added to `out`, which is
   * returned (a caller gathering a read's transitions passes its own list).
   */
  observe(read: UnitRead, out: Transition[] = []): Transition[] {
    const point = this.points.get(read.readPointId);
    if (!point) throw new Error(`read point ${read.readPointId} has no smoothing rules`);
    const before = point.size;
    if (!point.observe(read, out)) {
      this.suppressed++;
      return out;
    }
    this.started++;
    this.tracked += point.size - before;
    while (this.tracked > this.options.maxTracked && this.evictOne(point, out)) {
      this.tracked--;
      this.evicted++;
    }
    return out;
  }

  /** Ends departed passes and makes due presence reports, as of monotonic `nowMono`. */
  tick(nowMono: number, nowAt: number): Transition[] {
    const out: Transition[] = [];
    for (const point of this.points.values()) {
      const before = point.size;
      point.tick(nowMono, nowAt, out);
      this.tracked -= before - point.size;
    }
    return out;
  }

  /**
   * Takes new rules (a live reload). Read points in `retire` (changed or removed) first end their
   * open passes, returned as transitions to write under the old read point; then every read point
   * gets its new rules, new ones start empty, and removed ones end their passes too and are forgotten.
   */
  reconfigure(rules: ReadonlyMap<string, ReadPointRules>, retire: Iterable<string>): Transition[] {
    const out: Transition[] = [];
    const ending = new Set(retire);
    for (const id of this.points.keys()) if (!rules.has(id)) ending.add(id);
    for (const id of ending) {
      const point = this.points.get(id);
      if (!point) continue;
      this.tracked -= point.endAll(out);
      this.points.delete(id);
    }
    for (const [id, r] of rules)
      if (!this.points.has(id)) this.points.set(id, new ReadPointPasses(id, r, this.table));
    return out;
  }

  /** The pruning job: ends passes past their departure window that tick() has not reached. */
  sweep(nowMono: number): { readonly ended: number; readonly transitions: Transition[] } {
    const out: Transition[] = [];
    let ended = 0;
    for (const point of this.points.values()) ended += point.sweep(nowMono, out);
    this.tracked -= ended;
    return { ended, transitions: out };
  }

  /**
   * The units present at a read point now: those of its open passes, fixtures left out, least
   * recently read first, at most `limit` (`more` says there were others). Unknown read point: none.
   */
  openUnits(readPointId: string, limit: number): { readonly units: string[]; readonly more: boolean } {
    const units: string[] = [];
    const more = this.points.get(readPointId)?.units(limit, units) ?? false;
    return { units, more };
  }

  stats(): SmootherStats {
    let fixtures = 0;
    for (const point of this.points.values()) fixtures += point.fixtures;
    return {
      tracked: this.tracked,
      maxTracked: this.options.maxTracked,
      bytes: this.tracked * BYTES_PER_PASS,
      passes: this.started,
      suppressed: this.suppressed,
      evicted: this.evicted,
      fixtures,
    };
  }

  /** Ends the oldest pass of `point`, or of the busiest read point when `point` has just one. */
  private evictOne(point: ReadPointPasses, out: Transition[]): boolean {
    let victim = point;
    if (point.size <= 1) {
      for (const p of this.points.values()) if (p.size > victim.size) victim = p;
    }
    return victim.evictOldest(out);
  }
}
