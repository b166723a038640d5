/**
 * The scan session of the counted read points: the units with an event there lately, each with
 * the time it was last read. It sees every event as it is numbered (an event observer) and does
 * O(1) work for it; each read point keeps at most `maxUnits` units, the least recently seen
 * forgotten first (counted in `forgotten`).
 */
import type { EventObserver, NumberedEvent } from '../observers.js';

export class RecentUnits implements EventObserver {
  /** Per read point: unit URI -> wall-clock ms last read, least recently seen first. */
  private readonly points = new Map<string, Map<string, number>>();
  private forgottenCount = 0;

  /** `limits`: the counted read points and the most units each keeps. */
  constructor(private readonly limits: ReadonlyMap<string, number>) {
    for (const id of limits.keys()) this.points.set(id, new Map());
  }

  eventNumbered(event: NumberedEvent): void {
    const { sighting } = event;
    const units = this.points.get(sighting.readPointId);
    if (!units) return;
    const uri = sighting.identity.uri;
    // Deleted and set again: the map stays in the order units were last seen.
    units.delete(uri);
    units.set(uri, sighting.lastSeen);
    if (units.size > (this.limits.get(sighting.readPointId) ?? 0)) {
      for (const oldest of units.keys()) {
        units.delete(oldest);
        this.forgottenCount++;
        break;
      }
    }
  }

  /**
   * The units of `readPointId` last read at or after `since` (wall-clock ms); the older ones are
   * forgotten from the front (events come in about the order their units were read).
   */
  since(readPointId: string, since: number): string[] {
    const units = this.points.get(readPointId);
    if (!units) return [];
    for (const [uri, at] of units) {
      if (at >= since) break;
      units.delete(uri);
    }
    const out: string[] = [];
    for (const [uri, at] of units) if (at >= since) out.push(uri);
    return out;
  }

  /** Units dropped to stay within the bound, since start. */
  get forgotten(): number {
    return this.forgottenCount;
  }
}
