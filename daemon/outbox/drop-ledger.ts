/**
 * The drop ledger: which sequence numbers the overflow policy dropped and no acknowledged
 * overflow notice has announced yet, plus the lifetime total. The outbox stores it as one record
 * (`m!drops`) in the same atomic batch as the deletes that caused the drops, so after a crash the
 * ledger and the stored entries agree, and a notice that was never acknowledged is sent again.
 *
 * Ranges are kept exact (a consumer must learn precisely which numbers it missed): consecutive
 * drops extend the last range, anything else starts a new one. A range handed out in a notice is
 * closed, so what the notice said and what its acknowledgement removes are the same numbers.
 */
import type { DropCut, DropRange } from './outbox.js';

interface Range {
  from: number;
  to: number;
  fromAt: number;
  toAt: number;
  /** Handed out in a notice: no longer extended. */
  closed: boolean;
}

export class DropLedger {
  private ranges: Range[] = [];
  private totalDropped = 0;
  /** Bumped on every change; compared with the version last written to the store. */
  private changes = 0;
  private written = 0;

  /** Reads the stored record (`undefined` for a store that never dropped anything). */
  static parse(stored: string | undefined): DropLedger {
    const ledger = new DropLedger();
    if (stored === undefined) return ledger;
    const r = JSON.parse(stored) as { total?: unknown; ranges?: unknown };
    ledger.totalDropped = typeof r.total === 'number' ? r.total : 0;
    if (Array.isArray(r.ranges)) {
      for (const x of r.ranges) {
        if (Array.isArray(x) && x.length === 4 && x.every((n) => typeof n === 'number')) {
          const [from, to, fromAt, toAt] = x as [number, number, number, number];
          ledger.ranges.push({ from, to, fromAt, toAt, closed: false });
        }
      }
    }
    return ledger;
  }

  /** The record as stored, with `extra` drops (not yet applied) added. */
  serialize(extra: readonly { seq: number; at: number }[] = []): string {
    const copy = new DropLedger();
    copy.totalDropped = this.totalDropped;
    copy.ranges = this.ranges.map((r) => ({ ...r }));
    for (const d of extra) copy.record(d.seq, d.at);
    return JSON.stringify({
      total: copy.totalDropped,
      ranges: copy.ranges.map((r) => [r.from, r.to, r.fromAt, r.toAt]),
    });
  }

  record(seq: number, at: number): void {
    const last = this.ranges.at(-1);
    if (last && !last.closed && seq === last.to + 1) {
      last.to = seq;
      last.toAt = at;
    } else {
      this.ranges.push({ from: seq, to: seq, fromAt: at, toAt: at, closed: false });
    }
    this.totalDropped++;
    this.changes++;
  }

  cut(maxRanges: number): DropCut | undefined {
    if (this.ranges.length === 0) return undefined;
    const picked = this.ranges.slice(0, Math.max(1, maxRanges));
    for (const r of picked) r.closed = true;
    return {
      ranges: picked.map(({ from, to, fromAt, toAt }): DropRange => ({ from, to, fromAt, toAt })),
      totalDropped: this.totalDropped,
    };
  }

  confirm(cut: DropCut): void {
    const before = this.ranges.length;
    this.ranges = this.ranges.filter(
      (r) => !(r.closed && cut.ranges.some((c) => c.from === r.from && c.to === r.to)),
    );
    if (this.ranges.length !== before) this.changes++;
  }

  /** Dropped entries in ranges not yet confirmed. */
  get unannounced(): number {
    return this.ranges.reduce((n, r) => n + r.to - r.from + 1, 0);
  }

  get total(): number {
    return this.totalDropped;
  }

  /** Highest sequence number in the ledger (0 when empty). */
  get highestSeq(): number {
    return this.ranges.reduce((m, r) => Math.max(m, r.to), 0);
  }

  /** A token for the current content; `markWritten(token)` after storing what `serialize()` gave then. */
  get version(): number {
    return this.changes;
  }

  get dirty(): boolean {
    return this.changes !== this.written;
  }

  markWritten(version: number): void {
    this.written = version;
  }
}
