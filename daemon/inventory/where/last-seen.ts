/**
 * What the where-is index remembers of a unit: its last event. Stored in the inventory store
 * under the unit's key (encodeLastSeen); the answer to a question gives it with the time as ISO 8601.
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

/**
 * A record as stored: its fields tab-separated, the unit's URI last (the only field that is not a
 * topic segment, a number, a word or a UUID). Cheaper to write and read than JSON.
 */
export function encodeLastSeen(seen: LastSeen): string {
  return `${seen.sequence}\t${seen.time}\t${seen.transition}\t${seen.readPoint}\t${seen.reader}\t${seen.eventID}\t${seen.unit}`;
}

/** A stored record, or undefined when it is not one (a damaged value is a unit not found). */
export function decodeLastSeen(text: string): LastSeen | undefined {
  const f = text.split('\t');
  if (f.length < 7) return undefined;
  const sequence = Number(f[0]);
  const time = Number(f[1]);
  if (!Number.isSafeInteger(sequence) || !Number.isFinite(time)) return undefined;
  return {
    unit: f.slice(6).join('\t'),
    readPoint: f[3]!,
    reader: f[4]!,
    time,
    transition: f[2] as TransitionKind,
    eventID: f[5]!,
    sequence,
  };
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
