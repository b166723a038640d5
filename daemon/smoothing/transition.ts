/**
 * What the smoother tells the rest of the gateway: a transition is something a warehouse means
 * about one unit at one read point, and becomes one event.
 *
 * - `arrival`: the unit's first read at the read point (the start of a pass).
 * - `departure`: the unit has not been read there for the read point's departure time (the
 *   pass's end), when the read point reports departures.
 * - `presence`: the unit is still there, every `presenceS` while it stays.
 * - `passage`: at a two-zone dock door, the end of a pass with its direction (inbound, outbound
 *   or unknown) and the confidence of that direction. It replaces arrival and departure there.
 */
import type { UnitIdentity } from '../identity/identity.js';
import type { Direction, Pass } from './pass.js';

export type TransitionKind = 'arrival' | 'departure' | 'presence' | 'passage';

export interface Transition {
  readonly kind: TransitionKind;
  readonly readPointId: string;
  readonly pass: Pass;
  /** The unit, when the transition comes from a read (an arrival); else `pass.identity()`. */
  readonly identity?: UnitIdentity;
  /** Wall-clock ms the transition happened: the event's time. */
  readonly time: number;
  readonly direction?: Direction;
  readonly confidence?: number;
}
