/**
 * What the console shows of the events: each read point's arrivals, departures, presence reports
 * and passages (with direction and confidence), as an `EventObserver`. O(1) per event: every
 * event is counted per read point and kind; at most `perSecond` of each second are copied into a
 * ring for the page (no reference to the event is kept: a busy door's sightings are not held
 * in memory past their write).
 */
import type { EventObserver, NumberedEvent } from '../inventory/observers.js';

export interface TransitionView {
  readonly seq: number;
  readonly at: number;
  readonly readPoint: string;
  readonly reader: string;
  readonly kind: string;
  readonly unit: string;
  readonly direction?: string;
  readonly confidence?: number;
  readonly antenna?: number;
  readonly rssi?: number;
  readonly reads: number;
}

export type KindCounts = Record<string, number>;

export class PassSampler implements EventObserver {
  private readonly ring: (TransitionView | undefined)[];
  private kept = 0;
  private second = -1;
  private keptThisSecond = 0;
  /** Events counted but not kept for the page (over the per-second sample). */
  notShown = 0;
  private readonly counts = new Map<string, KindCounts>();

  constructor(
    size: number,
    private readonly perSecond = Number.POSITIVE_INFINITY,
  ) {
    this.ring = new Array(size);
  }

  eventNumbered(event: NumberedEvent): void {
    const s = event.sighting;
    const { readPointId, transition = 'arrival', direction } = s;
    let counts = this.counts.get(readPointId);
    if (!counts) {
      counts = {};
      this.counts.set(readPointId, counts);
    }
    const key = direction ? `${transition} ${direction}` : transition;
    counts[key] = (counts[key] ?? 0) + 1;
    const at = s.time ?? s.firstSeen;
    const second = Math.floor(at / 1000);
    if (second !== this.second) {
      this.second = second;
      this.keptThisSecond = 0;
    }
    if (this.keptThisSecond >= this.perSecond) {
      this.notShown++;
      return;
    }
    this.keptThisSecond++;
    this.ring[this.kept++ % this.ring.length] = {
      seq: event.seq,
      at,
      readPoint: readPointId,
      reader: s.readerId,
      kind: transition,
      unit: s.identity.uri,
      ...(direction !== undefined ? { direction } : {}),
      ...(s.confidence !== undefined ? { confidence: s.confidence } : {}),
      ...(s.antenna !== undefined ? { antenna: s.antenna } : {}),
      ...(s.rssi !== undefined ? { rssi: s.rssi } : {}),
      reads: s.readCount,
    };
  }

  /** Events by kind (a passage by direction: `passage inbound`) per read point since start. */
  countsByReadPoint(): Record<string, KindCounts> {
    return Object.fromEntries([...this.counts].map(([id, c]) => [id, { ...c }]));
  }

  /** The kept events with a sequence number above `after`, oldest first; the newest `max` at most. */
  after(after: number, max = this.ring.length): TransitionView[] {
    const out: TransitionView[] = [];
    const from = Math.max(0, this.kept - Math.min(max, this.ring.length));
    for (let i = from; i < this.kept; i++) {
      const e = this.ring[i % this.ring.length]!;
      if (e.seq > after) out.push(e);
    }
    return out;
  }
}
