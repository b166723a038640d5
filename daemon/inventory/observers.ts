/**
 * The event observers seam: what the inventory features at the edge (holds, where-is, cycle
 * counts, packing) learn from each event the gateway records.
 *
 * Contract:
 * - `eventNumbered(event)` is called once per event, in sequence order, on the read path, at the
 *   moment the event gets its sequence number and its text (just before its group commit; the
 *   event is not yet durable). It runs synchronously between reads: an observer does O(1) work
 *   and allocates little per event; anything slow (a LevelDB write, a publish) is queued and done
 *   off this call. It must not throw: the gateway logs a throw and goes on, but the observer
 *   missed the event.
 * - Observers do not change the event. Messages they make (an alert) are recorded on their own
 *   through the recorder, after the event.
 */
import type { Sighting } from '../event/epcis.js';

/** One event as observers see it. */
export interface NumberedEvent {
  /** What the event says: the unit, reader, read point, times, transition, direction. */
  readonly sighting: Sighting;
  /** The event's `rp:sequence`. */
  readonly seq: number;
  /** The event's `eventID` (`urn:uuid:...`). */
  readonly eventId: string;
  /** The topic it is published on. */
  readonly topic: string;
}

export interface EventObserver {
  eventNumbered(event: NumberedEvent): void;
}
