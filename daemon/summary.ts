/**
 * The periodic summary: reads, events, rejects and errors per reader since the previous one.
 *
 * Contract:
 * - `take()` is given each reader's counts since the process started (they only grow; a count
 *   lower than at the previous summary is taken as a fresh start and counted from zero).
 * - A period survives a restart: `carry()` is what happened since `from`, and a book made with
 *   that carry goes on counting the same period in the new process. A reader that is neither
 *   running nor counted anything in the period is left out.
 */
import type { ReaderSummary, SummaryPayload } from './contract/topics.js';

/** A reader's counts since start; `running` is false for a reader a reload removed. */
export interface ReaderCounts extends ReaderSummary {
  readonly running?: boolean;
}

type Counts = { -readonly [K in keyof Omit<ReaderSummary, 'id'>]: number };
const KEYS = ['reads', 'events', 'rejects', 'errors'] as const;
const zero = (): Counts => ({ reads: 0, events: 0, rejects: 0, errors: 0 });

/** The period so far, as kept across a restart. */
export interface SummaryCarry {
  /** The period's start, ms since the epoch. */
  readonly from: number;
  readonly readers: readonly ReaderSummary[];
  readonly delivered: number;
}

export class SummaryBook {
  private baseline = new Map<string, Counts>();
  private deliveredBase = 0;
  private carried: Map<string, Counts>;
  private carriedDelivered: number;
  private from: number;

  constructor(now: number, carry?: SummaryCarry) {
    this.from = carry?.from ?? now;
    this.carried = new Map((carry?.readers ?? []).map(({ id, ...counts }) => [id, counts]));
    this.carriedDelivered = carry?.delivered ?? 0;
  }

  /** The summary since the last call, and a new period from `now`. */
  take(
    who: { gateway: string; site: string },
    readers: readonly ReaderCounts[],
    delivered: number,
    outboxDepth: number,
    now: number,
  ): SummaryPayload {
    const period = this.carry(readers, delivered);
    const totals = zero();
    for (const r of period.readers) for (const k of KEYS) totals[k] += r[k];
    const summary: SummaryPayload = {
      gateway: who.gateway,
      site: who.site,
      from: new Date(this.from).toISOString(),
      to: new Date(now).toISOString(),
      readers: period.readers,
      totals,
      delivered: period.delivered,
      outboxDepth,
    };
    this.baseline = new Map(
      readers.map(({ id, reads, events, rejects, errors }) => [id, { reads, events, rejects, errors }]),
    );
    this.deliveredBase = delivered;
    this.carried = new Map();
    this.carriedDelivered = 0;
    this.from = now;
    return summary;
  }

  /** The period so far (nothing is reset): what a restart carries over. */
  carry(readers: readonly ReaderCounts[], delivered: number): SummaryCarry {
    const rows: ReaderSummary[] = [];
    const seen = new Set<string>();
    for (const r of readers) {
      seen.add(r.id);
      const base = this.baseline.get(r.id);
      const before = this.carried.get(r.id) ?? zero();
      const row = { id: r.id, ...zero() };
      for (const k of KEYS) row[k] = before[k] + (base && r[k] >= base[k] ? r[k] - base[k] : r[k]);
      if (r.running !== false || KEYS.some((k) => row[k] > 0)) rows.push(row);
    }
    for (const [id, counts] of this.carried)
      if (!seen.has(id) && KEYS.some((k) => counts[k] > 0)) rows.push({ id, ...counts });
    const since = delivered >= this.deliveredBase ? delivered - this.deliveredBase : delivered;
    return { from: this.from, readers: rows, delivered: this.carriedDelivered + since };
  }
}
