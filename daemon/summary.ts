/**
 * The periodic summary: reads, events, rejects and errors per reader since the previous one.
 * Counters only grow while a reader runs; one that starts over (a restart of its driver) is
 * counted from zero again rather than going negative.
 */
import type { ReaderSummary, SummaryPayload } from './contract/topics.js';

export interface ReaderCounts extends ReaderSummary {}

export class SummaryBook {
  private baseline = new Map<string, ReaderCounts>();
  private deliveredBase = 0;
  private from: number;

  constructor(now: number) {
    this.from = now;
  }

  /** The summary since the last call, and a new baseline. */
  take(
    who: { gateway: string; site: string },
    readers: readonly ReaderCounts[],
    delivered: number,
    outboxDepth: number,
    now: number,
  ): SummaryPayload {
    const rows = readers.map((r) => {
      const base = this.baseline.get(r.id);
      const since = (k: keyof Omit<ReaderCounts, 'id'>) => (base && r[k] >= base[k] ? r[k] - base[k] : r[k]);
      return {
        id: r.id,
        reads: since('reads'),
        events: since('events'),
        rejects: since('rejects'),
        errors: since('errors'),
      };
    });
    const totals = { reads: 0, events: 0, rejects: 0, errors: 0 };
    for (const r of rows) {
      totals.reads += r.reads;
      totals.events += r.events;
      totals.rejects += r.rejects;
      totals.errors += r.errors;
    }
    const summary: SummaryPayload = {
      gateway: who.gateway,
      site: who.site,
      from: new Date(this.from).toISOString(),
      to: new Date(now).toISOString(),
      readers: rows,
      totals,
      delivered: delivered >= this.deliveredBase ? delivered - this.deliveredBase : delivered,
      outboxDepth,
    };
    this.baseline = new Map(readers.map((r) => [r.id, { ...r }]));
    this.deliveredBase = delivered;
    this.from = now;
    return summary;
  }
}
