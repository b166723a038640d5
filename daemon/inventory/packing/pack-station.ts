/**
 * One pack station's cases, as a state machine over the scans it sees in the order they were
 * read: a case's SSCC opens a case (closing the one open), units go into the open case (once
 * each; one still in a recent closed case leaves it, a DELETE), the close code or a timeout
 * closes it, the remove code takes the next unit scanned out.
 * It decides; the caller records the events it returns, saves what it says changed (a few
 * records a scan, never the whole case) and logs its notes.
 */
import type { CaseChange, ClosedBy } from './aggregation-event.js';

export interface PackRules {
  readonly closeAfterMs: number;
  readonly maxChildren: number;
  readonly keepClosed: number;
}

/** The case being packed. */
export interface OpenCase {
  /** The station's number of the case (increasing), which names its saved records. */
  readonly caseNo: number;
  readonly parent: string;
  readonly openedAt: number;
  lastScanAt: number;
  /** The units packed, in the order first scanned (a Set keeps insertion order). */
  readonly children: Set<string>;
}

/** A case closed recently, whose units can still be taken out. */
export interface ClosedCase {
  readonly caseNo: number;
  readonly parent: string;
  readonly children: Set<string>;
}

/** A change of the saved state (station-store.ts writes each as a record or two). */
export type Save =
  /** The open case's head: what it is and when it was last scanned. */
  | {
      readonly kind: 'head';
      readonly caseNo: number;
      readonly parent: string;
      readonly openedAt: number;
      readonly lastScanAt: number;
    }
  | { readonly kind: 'pack'; readonly caseNo: number; readonly unit: string }
  | { readonly kind: 'unpack'; readonly caseNo: number; readonly unit: string }
  /** The open case is no more: its head and units go (`units` are those it had). */
  | { readonly kind: 'shut'; readonly caseNo: number; readonly units: readonly string[] }
  /** A closed case, as it is now (closed, or a unit taken out). */
  | {
      readonly kind: 'closed';
      readonly caseNo: number;
      readonly parent: string;
      readonly children: readonly string[];
    }
  | { readonly kind: 'forget'; readonly caseNo: number };

export interface PackCounters {
  /** Cases closed with an AggregationEvent ADD, by what closed them. */
  closed: Record<ClosedBy, number>;
  /** Cases closed with no unit in them (no event). */
  emptyCases: number;
  /** Units taken out of a closed case (an AggregationEvent DELETE). */
  removed: number;
  /** Units taken out of the open case before it closed (no event: it was never announced). */
  removedBeforeClose: number;
  /** Scans of a unit already in the open case. */
  duplicates: number;
  /** Units scanned with no case open: not packed. */
  unitsWithoutCase: number;
  /** Units scanned into a full case (maxChildren): not packed. */
  refusedFull: number;
  /** Close codes scanned with no case open. */
  closeWithoutCase: number;
  /** Units scanned after the remove code that are in no case of the station. */
  removeUnknown: number;
}

export const emptyPackCounters = (): PackCounters => ({
  closed: { 'close-code': 0, 'next-case': 0, timeout: 0 },
  emptyCases: 0,
  removed: 0,
  removedBeforeClose: 0,
  duplicates: 0,
  unitsWithoutCase: 0,
  refusedFull: 0,
  closeWithoutCase: 0,
  removeUnknown: 0,
});

/** What a scan did: the events to record, what to save, and a note when the packer should know. */
export interface Outcome {
  readonly changes: CaseChange[];
  readonly saves: Save[];
  readonly note?: { readonly level: 'info' | 'warn'; readonly message: string; readonly unit?: string };
}

const nothing = (): Outcome => ({ changes: [], saves: [] });

export class PackStation {
  open: OpenCase | undefined;
  /** Newest first, at most `keepClosed`. */
  recent: ClosedCase[] = [];
  /** The remove code was scanned: the next unit is taken out (not kept across a restart). */
  removing = false;
  /** The number the next case opened gets. */
  nextCaseNo = 1;
  readonly counters: PackCounters = emptyPackCounters();

  constructor(
    readonly id: string,
    private readonly rules: PackRules,
  ) {}

  /** When the open case closes by itself, if nothing is scanned before (wall-clock ms). */
  get deadline(): number | undefined {
    return this.open ? this.open.lastScanAt + this.rules.closeAfterMs : undefined;
  }

  /** A case's SSCC: it opens (the case open, if another, closes). The same SSCC again changes nothing. */
  scanCase(parent: string, at: number, readerId: string): Outcome {
    this.removing = false;
    if (this.open?.parent === parent) return this.touch(nothing(), at);
    const out = this.close(at, 'next-case', readerId);
    this.open = { caseNo: this.nextCaseNo++, parent, openedAt: at, lastScanAt: at, children: new Set() };
    return this.touch(out, at);
  }

  scanUnit(unit: string, at: number, readerId: string): Outcome {
    if (this.removing) return this.touch(this.takeOut(unit, at, readerId), at);
    const open = this.open;
    if (!open) {
      this.counters.unitsWithoutCase++;
      return {
        ...nothing(),
        note: {
          level: 'warn',
          message: 'unit scanned with no case open: not packed (scan the SSCC first)',
          unit,
        },
      };
    }
    const out = nothing();
    if (open.children.has(unit)) this.counters.duplicates++;
    else if (open.children.size >= this.rules.maxChildren) {
      this.counters.refusedFull++;
      return this.touch(
        {
          ...out,
          note: {
            level: 'warn',
            message: `case full (${this.rules.maxChildren} units): unit not packed`,
            unit,
          },
        },
        at,
      );
    } else {
      // A unit is in one case at a time: packed here, it has left the recent case it was in.
      const moved = this.outOfClosed(unit, at, readerId);
      if (moved) {
        out.changes.push(...moved.changes);
        out.saves.push(...moved.saves);
      }
      open.children.add(unit);
      out.saves.push({ kind: 'pack', caseNo: open.caseNo, unit });
    }
    return this.touch(out, at);
  }

  closeCode(at: number, readerId: string): Outcome {
    this.removing = false;
    if (!this.open) {
      this.counters.closeWithoutCase++;
      return { ...nothing(), note: { level: 'warn', message: 'close code scanned with no case open' } };
    }
    return this.close(at, 'close-code', readerId);
  }

  removeCode(at: number): Outcome {
    this.removing = true;
    return this.touch(nothing(), at);
  }

  /** Closes the open case if its deadline has passed; the event time is the deadline itself. */
  timeout(now: number): Outcome {
    const deadline = this.deadline;
    if (deadline === undefined || now < deadline) return nothing();
    this.removing = false;
    return this.close(deadline, 'timeout');
  }

  /** A scan at the station keeps its open case open (its head is saved with the time). */
  private touch(out: Outcome, at: number): Outcome {
    const open = this.open;
    if (!open) return out;
    open.lastScanAt = Math.max(open.lastScanAt, at);
    const { caseNo, parent, openedAt, lastScanAt } = open;
    out.saves.push({ kind: 'head', caseNo, parent, openedAt, lastScanAt });
    return out;
  }

  private close(at: number, by: ClosedBy, readerId?: string): Outcome {
    const open = this.open;
    const out = nothing();
    if (!open) return out;
    this.open = undefined;
    const children = [...open.children];
    out.saves.push({ kind: 'shut', caseNo: open.caseNo, units: children });
    if (children.length === 0) {
      this.counters.emptyCases++;
      return out;
    }
    this.counters.closed[by]++;
    if (this.rules.keepClosed > 0) {
      this.recent.unshift({ caseNo: open.caseNo, parent: open.parent, children: open.children });
      out.saves.push({ kind: 'closed', caseNo: open.caseNo, parent: open.parent, children });
      for (const old of this.recent.splice(this.rules.keepClosed))
        out.saves.push({ kind: 'forget', caseNo: old.caseNo });
    }
    out.changes.push({
      action: 'ADD',
      parent: open.parent,
      children,
      openedAt: open.openedAt,
      closedAt: at,
      closedBy: by,
      ...(readerId !== undefined ? { readerId } : {}),
    });
    return out;
  }

  private takeOut(unit: string, at: number, readerId: string): Outcome {
    this.removing = false;
    const open = this.open;
    if (open?.children.delete(unit)) {
      this.counters.removedBeforeClose++;
      return {
        changes: [],
        saves: [{ kind: 'unpack', caseNo: open.caseNo, unit }],
        note: { level: 'info', message: 'unit taken out of the open case', unit },
      };
    }
    const out = this.outOfClosed(unit, at, readerId);
    if (out) return out;
    this.counters.removeUnknown++;
    return {
      ...nothing(),
      note: {
        level: 'warn',
        message: 'unit to take out is in no case of this station: nothing removed',
        unit,
      },
    };
  }

  /** Takes `unit` out of the recent closed case it is in (a DELETE), if any. */
  private outOfClosed(unit: string, at: number, readerId: string): Outcome | undefined {
    const closed = this.recent.find((c) => c.children.has(unit));
    if (!closed) return undefined;
    closed.children.delete(unit);
    this.counters.removed++;
    return {
      changes: [{ action: 'DELETE', parent: closed.parent, child: unit, at, readerId }],
      saves: [
        { kind: 'closed', caseNo: closed.caseNo, parent: closed.parent, children: [...closed.children] },
      ],
    };
  }
}
