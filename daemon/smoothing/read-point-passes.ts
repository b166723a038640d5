/**
 * The passes open at one read point, and its rules: when a unit has departed, when a unit that
 * stays is reported again, when a unit that never leaves is a fixture, and whether the read
 * point is a two-zone dock door that reports passages with their direction.
 *
 * All timing is monotonic and comes from the reads and from `tick(now)`, never from a clock of
 * its own, so tests drive every rule with exact times.
 */
import { Pass, type UnitRead } from './pass.js';
import type { Transition } from './transition.js';

export interface ReadPointRules {
  /** A unit not read for this long has departed; its next read starts a new pass. */
  readonly departureMs: number;
  /** Report departures (else a pass ends silently). Ignored at a two-zone read point. */
  readonly departures: boolean;
  /** Report a unit that stays again after this long, and every this long after. */
  readonly presenceMs?: number;
  /** A unit read without a break for this long is a fixture (a tag on the door frame): no more events. */
  readonly fixtureAfterMs?: number;
  /** A two-zone dock door: one passage event per pass, with its direction, instead of arrival and departure. */
  readonly twoZone: boolean;
}

export class ReadPointPasses {
  // Insertion order is recency order: a read moves its pass to the end, so departed passes are
  // always at the front and `tick` looks at no pass that has not departed.
  private readonly passes = new Map<string, Pass>();
  // Only with presence reports: passes in the order of their last report.
  private readonly reports: Map<string, Pass> | undefined;
  private fixtureCount = 0;

  constructor(
    readonly id: string,
    private readonly rules: ReadPointRules,
  ) {
    if (rules.presenceMs !== undefined) this.reports = new Map();
  }

  get size(): number {
    return this.passes.size;
  }

  get fixtures(): number {
    return this.fixtureCount;
  }

  /**
   * Folds a read into its pass. Returns the transitions it causes: the end of the unit's previous
   * pass when that had departed by now (a tick that came late must not merge two passes), and
   * the arrival of a new pass. Empty when the read is folded into an open pass.
   */
  observe(read: UnitRead, out: Transition[]): boolean {
    const uri = read.identity.uri;
    const open = this.passes.get(uri);
    if (open) {
      const gap = read.mono - open.lastMono;
      if (gap >= 0 && gap <= this.rules.departureMs) {
        open.see(read);
        this.checkFixture(open);
        this.passes.delete(uri);
        this.passes.set(uri, open);
        return false;
      }
      this.end(uri, open, out);
    }
    const pass = new Pass(read);
    this.passes.set(uri, pass);
    this.reports?.set(uri, pass);
    if (!this.rules.twoZone)
      out.push({ kind: 'arrival', readPointId: this.id, pass, identity: read.identity, time: read.at });
    return true;
  }

  /** Ends the passes that have departed by `nowMono`, and makes the due presence reports. */
  tick(nowMono: number, nowAt: number, out: Transition[]): void {
    for (const [uri, pass] of this.passes) {
      if (nowMono - pass.lastMono <= this.rules.departureMs) break;
      this.end(uri, pass, out);
    }
    const { presenceMs } = this.rules;
    if (this.reports && presenceMs !== undefined) {
      for (const [uri, pass] of this.reports) {
        if (nowMono - pass.reportedMono < presenceMs) break;
        this.reports.delete(uri);
        if (this.checkFixture(pass)) continue; // a fixture is not reported again, and leaves this order
        pass.reportedMono = nowMono;
        this.reports.set(uri, pass);
        out.push({ kind: 'presence', readPointId: this.id, pass, time: nowAt });
      }
    }
  }

  /** Ends the least recently read pass (memory is full); false when there is none. */
  evictOldest(out: Transition[]): boolean {
    const first = this.passes.entries().next();
    if (first.done) return false;
    this.end(first.value[0], first.value[1], out);
    return true;
  }

  /** Ends every open pass (the read point is reconfigured or removed); returns how many. */
  endAll(out: Transition[]): number {
    const n = this.passes.size;
    for (const [uri, pass] of this.passes) this.end(uri, pass, out);
    return n;
  }

  /**
   * Ends every pass not read for longer than the departure window, wherever it sits in the
   * order (tick() stops at the first open pass, trusting the order); returns how many.
   */
  sweep(nowMono: number, out: Transition[]): number {
    let ended = 0;
    for (const [uri, pass] of this.passes) {
      if (nowMono - pass.lastMono <= this.rules.departureMs) continue;
      this.end(uri, pass, out);
      ended++;
    }
    return ended;
  }

  /** Marks (and counts) a pass read without a break for the fixture time; true when it is one. */
  private checkFixture(pass: Pass): boolean {
    const after = this.rules.fixtureAfterMs;
    if (!pass.fixture && after !== undefined && pass.lastMono - pass.firstMono >= after) {
      pass.fixture = true;
      this.fixtureCount++;
    }
    return pass.fixture;
  }

  private end(uri: string, pass: Pass, out: Transition[]): void {
    this.passes.delete(uri);
    this.reports?.delete(uri);
    if (this.checkFixture(pass)) {
      this.fixtureCount--;
      return;
    }
    if (this.rules.twoZone) {
      const { direction, confidence } = pass.direction();
      out.push({ kind: 'passage', readPointId: this.id, pass, time: pass.lastAt, direction, confidence });
    } else if (this.rules.departures) {
      out.push({ kind: 'departure', readPointId: this.id, pass, time: pass.lastAt });
    }
  }
}
