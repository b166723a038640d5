/**
 * What an upstream consumer of readpoint's events must do, as a pure state machine (used by
 * `readpoint tail --dedup`, and a model for consumers in other languages):
 *
 * - **Duplicates by `eventID`.** Delivery is at least once, so an event can come again (the
 *   in-flight window after a reconnect, unacknowledged entries after a gateway crash). The last
 *   `window` event IDs are remembered, least recently seen forgotten first: memory is bounded.
 * - **Gaps by `rp:sequence`, per gateway.** Sequence numbers are strictly increasing per gateway,
 *   so a number above the highest seen + 1 reveals missing ones. A gap is *explained* when an
 *   overflow notice announced those numbers as dropped, *unexplained* otherwise: an unexplained
 *   gap still open is what a consumer alarms on.
 * - **Late fills.** A number below the highest seen that is missing (redelivered out of order
 *   after a reconnect) is a *late* event: delivered, and the gap shrinks. It is not a duplicate.
 * - **Overflow notices** are at least once and may repeat ranges (a notice not acknowledged is
 *   merged into the next); their ranges are kept as a union. A notice can arrive before or after
 *   the gap it explains (they are separate messages): one that arrives after says which parts of
 *   open gaps it now explains.
 *
 * An event whose ID is not remembered and whose number is below the highest seen without being
 * missing is delivered and marked `behind`: either its ID fell out of the window (a duplicate the
 * window was too small to catch) or the gateway's numbering started again (a new data
 * directory). A consumer cannot tell which, so it never drops it.
 */
import { type Range, RangeSet, split } from './ranges.js';

export interface DedupOptions {
  /** Event IDs remembered at most. */
  readonly window: number;
  /** Missing ranges and overflow ranges kept per gateway at most (lowest forgotten first). Default 10,000. */
  readonly maxRanges?: number;
}

export type EventVerdict = {
  readonly gateway: string;
  readonly seq: number;
  readonly eventID: string;
} & (
  | { readonly kind: 'event'; readonly behind: boolean }
  | { readonly kind: 'late' }
  | { readonly kind: 'duplicate' }
);

export interface GapReport {
  readonly kind: 'gap';
  readonly gateway: string;
  readonly from: number;
  readonly to: number;
  readonly missing: number;
  /** Announced as dropped by an overflow notice already seen. */
  readonly explained: boolean;
}

export interface OverflowReport {
  readonly kind: 'overflow';
  readonly gateway: string;
  /** Numbers this notice announced that no earlier notice had. */
  readonly fresh: number;
  /** Parts of open gaps, reported unexplained before, that this notice explains. */
  readonly explains: Range[];
}

export type Report = EventVerdict | GapReport;

export interface DedupSummary {
  /** Events delivered: first sight of their ID (including late and behind ones). */
  readonly events: number;
  readonly duplicates: number;
  readonly late: number;
  readonly behind: number;
  /** Gap reports (one per range of missing numbers alike explained or not), and the numbers they named. */
  readonly gaps: number;
  readonly missing: number;
  /** Missing now, announced as dropped by an overflow notice. */
  readonly explained: number;
  /** Missing now, not announced: the alarm. */
  readonly unexplained: number;
  readonly overflowNotices: number;
  /** Distinct sequence numbers announced as dropped. */
  readonly dropped: number;
  /** Missing numbers no longer tracked because a gateway had more than maxRanges gaps open. */
  readonly forgotten: number;
  readonly gateways: number;
}

interface Stream {
  /** Highest sequence number seen; undefined until the first event (a notice may come first). */
  high: number | undefined;
  readonly missing: RangeSet;
  readonly dropped: RangeSet;
}

export class Dedup {
  private readonly seen = new Set<string>();
  private readonly streams = new Map<string, Stream>();
  private readonly maxRanges: number;
  private counts = { events: 0, duplicates: 0, late: 0, behind: 0, gaps: 0, missing: 0, notices: 0 };
  private forgotten = 0;
  private dropped = 0;

  constructor(private readonly options: DedupOptions) {
    if (!Number.isInteger(options.window) || options.window < 1)
      throw new TypeError(`dedup window must be a positive integer, got ${options.window}`);
    this.maxRanges = options.maxRanges ?? 10_000;
  }

  /** One event of `gateway`: the gaps it reveals (if any), then its own verdict. */
  event(gateway: string, seq: number, eventID: string): Report[] {
    if (this.seen.has(eventID)) {
      this.seen.delete(eventID); // least recently seen goes first: refresh
      this.seen.add(eventID);
      this.counts.duplicates++;
      return [{ kind: 'duplicate', gateway, seq, eventID }];
    }
    this.remember(eventID);
    this.counts.events++;
    const stream = this.stream(gateway);
    // The first event seen starts the stream: what came before it is not a gap.
    if (stream.high === undefined) {
      stream.high = seq;
      return [{ kind: 'event', gateway, seq, eventID, behind: false }];
    }
    if (seq <= stream.high) {
      if (stream.missing.delete(seq)) {
        this.counts.late++;
        return [{ kind: 'late', gateway, seq, eventID }];
      }
      this.counts.behind++;
      return [{ kind: 'event', gateway, seq, eventID, behind: true }];
    }
    const reports: Report[] = [];
    if (seq > stream.high + 1) {
      const from = stream.high + 1;
      const to = seq - 1;
      stream.missing.add(from, to);
      this.bound(stream.missing, true);
      this.counts.missing += to - from + 1;
      for (const { range, inside } of split(stream.dropped, from, to)) {
        this.counts.gaps++;
        reports.push({
          kind: 'gap',
          gateway,
          from: range[0],
          to: range[1],
          missing: range[1] - range[0] + 1,
          explained: inside,
        });
      }
    }
    stream.high = seq;
    reports.push({ kind: 'event', gateway, seq, eventID, behind: false });
    return reports;
  }

  /** An overflow notice of `gateway` announcing `ranges` (inclusive) as dropped. */
  overflow(gateway: string, ranges: readonly Range[]): OverflowReport {
    this.counts.notices++;
    const stream = this.stream(gateway);
    const explains: Range[] = [];
    let fresh = 0;
    for (const [from, to] of ranges) {
      if (!(Number.isInteger(from) && Number.isInteger(to)) || to < from) continue;
      for (const { range, inside } of split(stream.dropped, from, to)) {
        if (inside) continue;
        fresh += range[1] - range[0] + 1;
        explains.push(...stream.missing.within(range[0], range[1]));
      }
      stream.dropped.add(from, to);
    }
    this.bound(stream.dropped, false);
    this.dropped += fresh;
    return { kind: 'overflow', gateway, fresh, explains: merge(explains) };
  }

  summary(): DedupSummary {
    let explained = 0;
    let missing = 0;
    for (const s of this.streams.values()) {
      missing += s.missing.size;
      for (const [from, to] of s.missing.list())
        for (const [a, b] of s.dropped.within(from, to)) explained += b - a + 1;
    }
    const c = this.counts;
    return {
      events: c.events,
      duplicates: c.duplicates,
      late: c.late,
      behind: c.behind,
      gaps: c.gaps,
      missing: c.missing,
      explained,
      unexplained: missing - explained,
      overflowNotices: c.notices,
      dropped: this.dropped,
      forgotten: this.forgotten,
      gateways: this.streams.size,
    };
  }

  private stream(gateway: string): Stream {
    let stream = this.streams.get(gateway);
    if (!stream) {
      stream = { high: undefined, missing: new RangeSet(), dropped: new RangeSet() };
      this.streams.set(gateway, stream);
    }
    return stream;
  }

  private remember(eventID: string): void {
    this.seen.add(eventID);
    if (this.seen.size > this.options.window) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
  }

  private bound(set: RangeSet, counted: boolean): void {
    while (set.count > this.maxRanges) {
      const n = set.dropLowest();
      if (counted) this.forgotten += n;
    }
  }
}

/** Sorted, adjacent and overlapping ranges joined. */
function merge(ranges: Range[]): Range[] {
  const set = new RangeSet();
  for (const [a, b] of ranges) set.add(a, b);
  return set.list();
}
