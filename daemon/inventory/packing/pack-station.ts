/**
 * One pack station's cases, as a state machine over the scans it sees in the order they were
 * read: a case's SSCC opens a case (closing the one open), units go into the open case (once
 * each), the close code or a timeout closes it, the remove code takes the next unit scanned out.
 * It decides; the caller records the changes it returns, keeps its state and logs its notes.
 */
import type { CaseChange, ClosedBy } from './aggregation-event.js';

export interface PackRules {
  readonly closeAfterMs: number;
  readonly maxChildren: number;
  readonly keepClosed: number;
}

/** The case being packed. */
export interface OpenCase {
  readonly parent: string;
  readonly openedAt: number;
  lastScanAt: number;
  /** The units packed, in the order first scanned (a Set keeps insertion order). */
  readonly children: Set<string>;
}

/** A case closed recently, whose units can still be taken out. */
export interface ClosedCase {
  readonly parent: string;
  readonly children: Set<string>;
}

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

/** What a scan did: the changes to record, and a note for the log when the packer should know. */
export interface Outcome {
  readonly changes: CaseChange[];
  readonly note?: { readonly level: 'info' | 'warn'; readonly message: string; readonly unit?: string };
  /** The open case or the recent cases changed (the caller saves them). */
  readonly changed: boolean;
}

const NOTHING: Outcome = { changes: [], changed: false };

export class PackStation {
  open: OpenCase | undefined;
  /** Newest first, at most `keepClosed`. */
  recent: ClosedCase[] = [];
  /** The remove code was scanned: the next unit is taken out. */
  removing = false;
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
    if (this.open?.parent === parent) {
      this.open.lastScanAt = at;
      return { changes: [], changed: true };
    }
    const changes = this.close(at, 'next-case', readerId);
    this.open = { parent, openedAt: at, lastScanAt: at, children: new Set() };
    return { changes, changed: true };
  }

  scanUnit(unit: string, at: number, readerId: string): Outcome {
    if (this.open) this.open.lastScanAt = at;
    if (this.removing) return this.takeOut(unit, at, readerId);
    const open = this.open;
    if (!open) {
      this.counters.unitsWithoutCase++;
      return {
        ...NOTHING,
        note: {
          level: 'warn',
          message: 'unit scanned with no case open: not packed (scan the SSCC first)',
          unit,
        },
      };
    }
    if (open.children.has(unit)) {
      this.counters.duplicates++;
      return { changes: [], changed: true };
    }
    if (open.children.size >= this.rules.maxChildren) {
      this.counters.refusedFull++;
      return {
        changes: [],
        changed: true,
        note: {
          level: 'warn',
          message: `case full (${this.rules.maxChildren} units): unit not packed`,
          unit,
        },
      };
    }
    open.children.add(unit);
    return { changes: [], changed: true };
  }

  closeCode(at: number, readerId: string): Outcome {
    this.removing = false;
    if (!this.open) {
      this.counters.closeWithoutCase++;
      return { ...NOTHING, note: { level: 'warn', message: 'close code scanned with no case open' } };
    }
    return { changes: this.close(at, 'close-code', readerId), changed: true };
  }

  /** The next unit scanned is taken out (that intent is not kept across a restart). */
  removeCode(at: number): Outcome {
    this.removing = true;
    if (!this.open) return NOTHING;
    this.open.lastScanAt = at;
    return { changes: [], changed: true };
  }

  /** Closes the open case if its deadline has passed; the event time is the deadline itself. */
  timeout(now: number): Outcome {
    const deadline = this.deadline;
    if (deadline === undefined || now < deadline) return NOTHING;
    this.removing = false;
    return { changes: this.close(deadline, 'timeout'), changed: true };
  }

  private close(at: number, by: ClosedBy, readerId?: string): CaseChange[] {
    const open = this.open;
    if (!open) return [];
    this.open = undefined;
    if (open.children.size === 0) {
      this.counters.emptyCases++;
      return [];
    }
    this.counters.closed[by]++;
    if (this.rules.keepClosed > 0) {
      this.recent = [{ parent: open.parent, children: new Set(open.children) }, ...this.recent].slice(
        0,
        this.rules.keepClosed,
      );
    }
    return [
      {
        action: 'ADD',
        parent: open.parent,
        children: [...open.children],
        openedAt: open.openedAt,
        closedAt: at,
        closedBy: by,
        ...(readerId !== undefined ? { readerId } : {}),
      },
    ];
  }

  private takeOut(unit: string, at: number, readerId: string): Outcome {
    this.removing = false;
    if (this.open?.children.delete(unit)) {
      this.counters.removedBeforeClose++;
      return {
        changes: [],
        changed: true,
        note: { level: 'info', message: 'unit taken out of the open case', unit },
      };
    }
    const closed = this.recent.find((c) => c.children.has(unit));
    if (!closed) {
      this.counters.removeUnknown++;
      return {
        changes: [],
        changed: true,
        note: {
          level: 'warn',
          message: 'unit to take out is in no case of this station: nothing removed',
          unit,
        },
      };
    }
    closed.children.delete(unit);
    this.counters.removed++;
    return {
      changes: [{ action: 'DELETE', parent: closed.parent, child: unit, at, readerId }],
      changed: true,
    };
  }
}
