/**
 * What the where-is index remembers of a unit: its last event. Stored as JSON in the inventory
 * store under the unit's key; the answer to a question gives it with the time as ISO 8601.
 */
import { isoTime } from '../../event/event-time.js';
import type { TransitionKind } from '../../smoothing/transition.js';
import type { NumberedEvent } from '../observers.js';

export interface LastSeen {
  /** The URI the event names the unit by (its `epcList` entry). */
  readonly unit: string;
  readonly readPoint: string;
  readonly reader: string;
  /** The event time, wall-clock ms. */
  readonly time: number;
  readonly transition: TransitionKind;
  readonly eventID: string;
  /** The event's `rp:sequence`. */
  readonly sequence: number;
}

export function lastSeenOf(event: NumberedEvent): LastSeen {
  const s = event.sighting;
  return {
    unit: s.identity.uri,
    readPoint: s.readPointId,
    reader: s.readerId,
    time: s.time ?? s.firstSeen,
    transition: s.transition ?? 'arrival',
    eventID: event.eventId,
    sequence: event.seq,
  };
}

/** A stored record, or undefined when it is not one (a damaged value is a unit not found). */
export function parseLastSeen(text: string): LastSeen | undefined {
  try {
    const v = JSON.parse(text) as Partial<LastSeen>;
    if (
      typeof v.unit === 'string' &&
      typeof v.readPoint === 'string' &&
      typeof v.reader === 'string' &&
      typeof v.time === 'number' &&
      typeof v.transition === 'string' &&
      typeof v.eventID === 'string' &&
      typeof v.sequence === 'number'
    )
      return v as LastSeen;
  } catch {
    // not JSON: treated as absent
  }
  return undefined;
}

/** A unit's last sighting as an answer gives it. */
export interface LastSeenAnswer {
  readonly unit: string;
  readonly readPoint: string;
  readonly reader: string;
  readonly time: string;
  readonly transition: TransitionKind;
  readonly eventID: string;
  readonly sequence: number;
}

export function lastSeenAnswer(seen: LastSeen): LastSeenAnswer {
  return { ...seen, time: isoTime(seen.time) };
}
