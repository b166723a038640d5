/**
 * Fill and drain rates of the outbox, and its runway: how long until it is full if events keep
 * coming in faster than the uplink takes them out. Rates are measured over a sliding window
 * (~30 s) from cumulative counters sampled at most once a second, so a burst or a short outage
 * moves the figure without making it jump about.
 */

export interface FlowCounters {
  readonly appended: number;
  readonly appendedBytes: number;
  readonly acked: number;
  readonly ackedBytes: number;
}

export interface FlowRates {
  /** Per second. */
  readonly appendRate: number;
  readonly ackRate: number;
  readonly appendBytesRate: number;
  readonly ackBytesRate: number;
}

interface Sample extends FlowCounters {
  readonly t: number;
}

export class RateMeter {
  private readonly samples: Sample[] = [];

  constructor(
    private readonly windowMs = 30_000,
    private readonly stepMs = 1_000,
  ) {}

  /** Records the counters at `now` (ms), unless the last sample is younger than a step. */
  sample(now: number, c: FlowCounters): void {
    const last = this.samples.at(-1);
    if (last && now - last.t < this.stepMs) return;
    this.samples.push({ t: now, ...c });
    // Keep one sample at least a window old as the base, and nothing older.
    while (this.samples.length > 2 && now - this.samples[1]!.t >= this.windowMs) this.samples.shift();
  }

  rates(now: number, c: FlowCounters): FlowRates {
    const base = this.samples[0];
    const seconds = base ? (now - base.t) / 1000 : 0;
    if (!base || seconds <= 0) return { appendRate: 0, ackRate: 0, appendBytesRate: 0, ackBytesRate: 0 };
    return {
      appendRate: (c.appended - base.appended) / seconds,
      ackRate: (c.acked - base.acked) / seconds,
      appendBytesRate: (c.appendedBytes - base.appendedBytes) / seconds,
      ackBytesRate: (c.ackedBytes - base.ackedBytes) / seconds,
    };
  }
}

/**
 * Seconds until the outbox is full: the room left in events or in bytes, whichever runs out
 * first, over the net fill rate of that measure. 0 when already full; null when not filling.
 */
export function runwaySeconds(
  room: { readonly events: number; readonly bytes: number },
  r: FlowRates,
): number | null {
  if (room.events <= 0 || room.bytes <= 0) return 0;
  const netEvents = r.appendRate - r.ackRate;
  const netBytes = r.appendBytesRate - r.ackBytesRate;
  const candidates: number[] = [];
  if (netEvents > 0) candidates.push(room.events / netEvents);
  if (netBytes > 0) candidates.push(room.bytes / netBytes);
  return candidates.length > 0 ? Math.min(...candidates) : null;
}
