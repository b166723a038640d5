/** The scan session of counted read points: the units seen lately, bounded, other read points ignored. */
import { describe, expect, it } from 'vitest';
import type { Sighting } from '../../../../daemon/event/epcis.js';
import { RecentUnits } from '../../../../daemon/inventory/cycle-count/recent-units.js';

const seen = (recent: RecentUnits, readPointId: string, uri: string, lastSeen: number, seq = 1) =>
  recent.eventNumbered({
    sighting: { identity: { uri }, readPointId, lastSeen } as unknown as Sighting,
    seq,
    eventId: 'urn:uuid:x',
    topic: 't',
  });

describe('RecentUnits', () => {
  it('gives the units of a read point last seen since a time, once each, and ignores read points not counted', () => {
    const recent = new RecentUnits(new Map([['pack-1', 10]]));
    seen(recent, 'pack-1', 'u:a', 1000);
    seen(recent, 'pack-1', 'u:b', 2000);
    seen(recent, 'pack-1', 'u:a', 3000); // seen again: now the most recent
    seen(recent, 'dock-1', 'u:c', 3000);
    expect(recent.since('pack-1', 0)).toEqual(['u:b', 'u:a']);
    expect(recent.since('pack-1', 2500)).toEqual(['u:a']);
    expect(recent.since('dock-1', 0)).toEqual([]);
    // u:b was older than the window asked and is forgotten
    expect(recent.since('pack-1', 0)).toEqual(['u:a']);
  });

  it('keeps at most maxUnits per read point, forgetting the least recently seen and counting them', () => {
    const recent = new RecentUnits(new Map([['pack-1', 3]]));
    for (let i = 0; i < 5; i++) seen(recent, 'pack-1', `u:${i}`, 1000 + i);
    expect(recent.since('pack-1', 0)).toEqual(['u:2', 'u:3', 'u:4']);
    expect(recent.forgotten).toBe(2);
  });
});
