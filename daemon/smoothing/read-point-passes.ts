/**
 * The passes open at one read point, and its rules: when a unit has departed, when a unit that
 * stays is reported again, when a unit that never leaves is a fixture, and whether the read
 * point is a two-zone dock door that reports passages with their direction.
 *
 * All timing is monotonic and comes from the reads and from `tick(now)`, never from a clock of
 * its own, so tests drive every rule with exact times.
 */
import type { UnitRead } from './pass.js';
import { NIL, newOrder, type PassOrder, type PassTable } from './pass-table.js';
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
  /** Its number in the table, where its passes are found by unit URI. */
  private readonly point: number;
  private open = 0;
  // Recency order: a read moves its pass to the end, so departed passes are always at the front
  // and `tick` looks at no pass that has not departed.
  private readonly recency = newOrder(0);
  // Only with presence reports: passes in the order of their last report.
  private readonly reports: PassOrder | undefined;
  private fixtureCount = 0;

  constructor(
    readonly id: string,
    private readonly rules: ReadPointRules,
    private readonly table: PassTable,
  ) {
    if (rules.presenceMs !== undefined) this.reports = newOrder(1);
    this.point = table.newPoint();
  }

  get size(): number {
    return this.open;
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
    const { table } = this;
    const open = table.find(this.point, read.identity.uri);
    if (open !== NIL) {
      const gap = read.mono - table.lastMono(open);
      if (gap >= 0 && gap <= this.rules.departureMs) {
        table.see(open, read);
        this.checkFixture(open);
        table.moveToEnd(this.recency, open);
        return false;
      }
      this.end(open, out);
    }
    const slot = table.open(read);
    this.open++;
    table.append(this.recency, slot);
    if (this.reports) table.append(this.reports, slot);
    if (!this.rules.twoZone) {
      const pass = table.arrival(read);
      out.push({ kind: 'arrival', readPointId: this.id, pass, identity: read.identity, time: read.at });
    }
    return true;
  }

  /** Ends the passes that have departed by `nowMono`, and makes the due presence reports. */
  tick(nowMono: number, nowAt: number, out: Transition[]): void {
    const { table } = this;
    for (let slot = this.recency.head; slot !== NIL; slot = this.recency.head) {
      if (nowMono - table.lastMono(slot) <= this.rules.departureMs) break;
      this.end(slot, out);
    }
    const { presenceMs } = this.rules;
    const reports = this.reports;
    if (!reports || presenceMs === undefined) return;
    // Each pass due is reported (or found a fixture) and leaves the front: stop at the first
    // that is not due, or at the first seen again in this tick.
    const last = reports.tail;
    for (let slot = reports.head; slot !== NIL; slot = reports.head) {
      if (nowMono - table.reportedMono(slot) < presenceMs) break;
      table.remove(reports, slot);
      if (!this.checkFixture(slot)) {
        // A fixture is not reported again, and leaves this order.
        table.reported(slot, nowMono);
        table.append(reports, slot);
        out.push({ kind: 'presence', readPointId: this.id, pass: table.snapshot(slot), time: nowAt });
      }
      if (slot === last) break;
    }
  }

  /**
   * Adds the units of the open passes (fixtures left out), least recently read first, to `out`,
   * at most `limit` of them; true when there were more. Only the URIs are made: the passes stay
   * in the table.
   */
  units(limit: number, out: string[]): boolean {
    const { table } = this;
    let added = 0;
    for (let slot = this.recency.head; slot !== NIL; slot = table.next(this.recency, slot)) {
      if (table.isFixture(slot)) continue;
      if (added === limit) return true;
      out.push(table.uri(slot));
      added++;
    }
    return false;
  }

  /** Ends the least recently read pass (memory is full); false when there is none. */
  evictOldest(out: Transition[]): boolean {
    const oldest = this.recency.head;
    if (oldest === NIL) return false;
    this.end(oldest, out);
    return true;
  }

  /** Ends every open pass (the read point is reconfigured or removed); returns how many. */
  endAll(out: Transition[]): number {
    const n = this.open;
    while (this.recency.head !== NIL) this.end(this.recency.head, out);
    return n;
  }

  /**
   * Ends every pass not read for longer than the departure window, wherever it sits in the
   * order (tick() stops at the first open pass, trusting the order); returns how many.
   */
  sweep(nowMono: number, out: Transition[]): number {
    let ended = 0;
    for (let slot = this.recency.head; slot !== NIL; ) {
      const next = this.table.next(this.recency, slot);
      if (nowMono - this.table.lastMono(slot) > this.rules.departureMs) {
        this.end(slot, out);
        ended++;
      }
      slot = next;
    }
    return ended;
  }

  /** Marks (and counts) a pass read without a break for the fixture time; true when it is one. */
  private checkFixture(slot: number): boolean {
    const { table } = this;
    if (table.isFixture(slot)) return true;
    const after = this.rules.fixtureAfterMs;
    if (after === undefined || table.lastMono(slot) - table.firstMono(slot) < after) return false;
    table.markFixture(slot);
    this.fixtureCount++;
    return true;
  }

  private end(slot: number, out: Transition[]): void {
    const { table } = this;
    this.open--;
    table.remove(this.recency, slot);
    if (this.reports) table.remove(this.reports, slot);
    if (this.checkFixture(slot)) {
      this.fixtureCount--;
    } else if (this.rules.twoZone) {
      const { direction, confidence } = table.direction(slot);
      const pass = table.snapshot(slot);
      out.push({ kind: 'passage', readPointId: this.id, pass, time: pass.lastAt, direction, confidence });
    } else if (this.rules.departures) {
      const pass = table.snapshot(slot);
      out.push({ kind: 'departure', readPointId: this.id, pass, time: pass.lastAt });
    }
    table.close(slot);
  }
}
