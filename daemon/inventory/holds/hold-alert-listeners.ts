/**
 * Who hears of each hold alert as it is recorded: the web console's alerts area, and any other
 * local screen. A listener gets a short notice (the unit, the hold, where and when it was seen),
 * never the alert's payload.
 *
 * Contract:
 * - `notify(notice)` runs once per alert, after the alert is in the outbox, on the holds
 *   feature's alert path. A listener must be O(1) and do no I/O; it keeps what it needs (the
 *   notice is made for it alone and holds only strings and numbers).
 * - A listener that throws does not stop the others nor the alert; it is counted in `failures`.
 * - At most `MAX_HOLD_ALERT_LISTENERS` listeners; `add` beyond throws. `add` returns the function
 *   that removes the listener (idempotent).
 */
import type { HoldKind, HoldList } from './hold-entry.js';

export const MAX_HOLD_ALERT_LISTENERS = 8;

/** A hold alert as a screen shows it. */
export interface HoldAlertNotice {
  /** The unit's URI. */
  readonly unit: string;
  readonly readPoint: string;
  readonly reader: string;
  /** When the unit was seen (the event's time), ISO 8601. */
  readonly time: string;
  readonly list: HoldList;
  readonly kind: HoldKind;
  readonly reason?: string;
  readonly reference?: string;
  /** The alert's own sequence number on its topic, and the event's. */
  readonly sequence: number;
  readonly eventSequence: number;
  /** Sightings held back by the rate limit since the previous alert of this unit and hold. */
  readonly repeated: number;
}

export type HoldAlertListener = (notice: HoldAlertNotice) => void;

export class HoldAlertListeners {
  private listeners: HoldAlertListener[] = [];
  /** Listener calls that threw, since start. */
  failures = 0;

  add(listener: HoldAlertListener): () => void {
    if (this.listeners.length >= MAX_HOLD_ALERT_LISTENERS)
      throw new RangeError(`at most ${MAX_HOLD_ALERT_LISTENERS} hold alert listeners`);
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  notify(notice: HoldAlertNotice): void {
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch {
        this.failures++;
      }
    }
  }
}
