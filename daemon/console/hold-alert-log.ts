/**
 * The last hold alerts for the console's alerts area: a ring of the newest notices, kept as the
 * holds feature tells them (O(1) each, bounded), read once a push.
 */
import type { HoldAlertNotice } from '../inventory/holds/hold-alert-listeners.js';

export class HoldAlertLog {
  private readonly ring: (HoldAlertNotice | undefined)[];
  private next = 0;
  /** Alerts told since start. */
  total = 0;

  constructor(private readonly size: number) {
    this.ring = new Array(size);
  }

  /** The listener (bound: hand it to `HoldAlertListeners.add`). */
  readonly take = (notice: HoldAlertNotice): void => {
    this.ring[this.next] = notice;
    this.next = (this.next + 1) % this.size;
    this.total++;
  };

  /** The newest alerts, newest first. */
  recent(): HoldAlertNotice[] {
    const out: HoldAlertNotice[] = [];
    for (let i = 1; i <= this.size; i++) {
      const notice = this.ring[(this.next - i + this.size) % this.size];
      if (notice) out.push(notice);
    }
    return out;
  }
}
