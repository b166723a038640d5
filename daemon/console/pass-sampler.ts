/**
 * What the console shows of the events: each read point's arrivals, departures, presence reports
 * and passages (with direction and confidence), as an `EventObserver`. O(1) per event: counts per
 * read point and kind, and a ring of the last events (references to the sightings, no copies).
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
  private readonly ring: (NumberedEvent | undefined)[];
  private numbered = 0;
  private readonly counts = new Map<string, KindCounts>();

  constructor(size: number) {
    this.ring = new Array(size);
  }

  eventNumbered(event: NumberedEvent): void {
    this.ring[this.numbered++ % this.ring.length] = event;
    const { readPointId, transition = 'arrival', direction } = event.sighting;
    let counts = this.counts.get(readPointId);
    if (!counts) {
      counts = {};
      this.counts.set(readPointId, counts);
    }
    const key = direction ? `${transition} ${direction}` : transition;
    counts[key] = (counts[key] ?? 0) + 1;
  }

  /** Events by kind (a passage by direction: `passage inbound`) per read point since start. */
  countsByReadPoint(): Record<string, KindCounts> {
    return Object.fromEntries([...this.counts].map(([id, c]) => [id, { ...c }]));
  }

  /** The remembered events with a sequence number above `after`, oldest first; the newest `max` at most. */
  after(after: number, max = this.ring.length): TransitionView[] {
    const out: TransitionView[] = [];
    const from = Math.max(0, this.numbered - Math.min(max, this.ring.length));
    for (let i = from; i < this.numbered; i++) {
      const e = this.ring[i % this.ring.length]!;
      if (e.seq <= after) continue;
      const s = e.sighting;
      out.push({
        seq: e.seq,
        at: s.time ?? s.firstSeen,
        readPoint: s.readPointId,
        reader: s.readerId,
        kind: s.transition ?? 'arrival',
        unit: s.identity.uri,
        ...(s.direction !== undefined ? { direction: s.direction } : {}),
        ...(s.confidence !== undefined ? { confidence: s.confidence } : {}),
        ...(s.antenna !== undefined ? { antenna: s.antenna } : {}),
        ...(s.rssi !== undefined ? { rssi: s.rssi } : {}),
        reads: s.readCount,
      });
    }
    return out;
  }
}
