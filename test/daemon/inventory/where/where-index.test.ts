import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeText } from '../../../../daemon/identity/decode.js';
import type { UnitIdentity } from '../../../../daemon/identity/identity.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import type { NumberedEvent } from '../../../../daemon/inventory/observers.js';
import { WhereIndex, type WhereIndexOptions } from '../../../../daemon/inventory/where/where-index.js';

const identity = (scan: string): UnitIdentity => {
  const r = decodeText(scan);
  if (!r.ok) throw new Error(`${scan}: ${r.reject.message}`);
  return r.identity;
};
const unit = (n: number) => identity(`]d2010950600013435221SN${n}`);
const key = (n: number) => `https://id.gs1.org/01/09506000134352/21/SN${n}`;

let seq = 0;
const event = (id: UnitIdentity, readPointId: string, time: number): NumberedEvent => {
  seq++;
  return {
    sighting: {
      identity: id,
      readerId: `${readPointId}-scanner`,
      readPointId,
      firstSeen: time,
      lastSeen: time,
      readCount: 1,
    },
    seq,
    eventId: `urn:uuid:00000000-0000-5000-8000-${String(seq).padStart(12, '0')}`,
    topic: `readpoint/v1/s/g/events/${readPointId}`,
  };
};

let dir: string;
let store: InventoryStore;
const open: WhereIndex[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'where-index-'));
  store = new InventoryStore(dir);
  await store.open();
  seq = 0;
});

afterEach(async () => {
  for (const index of open.splice(0)) await index.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const start = async (options: Partial<WhereIndexOptions> = {}) => {
  const index = new WhereIndex(store.part('where'), {
    maxUnits: 1000,
    maxAgeMs: 86_400_000,
    flushMs: 60_000,
    // The events' times are small numbers: the clock stands just after them.
    now: () => 100_000,
    ...options,
  });
  await index.start();
  open.push(index);
  return index;
};

describe('where-is index', () => {
  it('answers a unit seen at once from memory, and from the store after a flush and a new index', async () => {
    const index = await start();
    const e1 = event(unit(1), 'dock-1', 1_000);
    const e2 = event(unit(1), 'dock-2', 2_000);
    index.eventNumbered(e1);
    index.eventNumbered(e2);
    expect(await index.find(key(1))).toMatchObject({ readPoint: 'dock-2', sequence: 2, eventID: e2.eventId });
    expect(index.counters()).toMatchObject({ sightings: 0, pending: 1 });
    await index.stop();
    open.length = 0;
    const again = await start();
    expect(await again.find(key(1))).toEqual({
      unit: key(1),
      readPoint: 'dock-2',
      reader: 'dock-2-scanner',
      time: 2_000,
      transition: 'arrival',
      eventID: e2.eventId,
      sequence: 2,
    });
    expect(await again.find(key(2))).toBeUndefined();
    expect(again.counters()).toMatchObject({ sightings: 1, evictions: 0, pending: 0 });
  });

  it('keys a tag and a barcode of the same GTIN and serial as one unit', async () => {
    const index = await start();
    // SGTIN-96 of GTIN 80614141123458, serial 6789, and the same unit as a GS1 DataMatrix.
    index.eventNumbered(event(identity('3074257BF7194E4000001A85'), 'dock-1', 1_000));
    await index.flush();
    index.eventNumbered(event(identity(']d20180614141123458216789'), 'pack-1', 2_000));
    await index.flush();
    const seen = await index.find('https://id.gs1.org/01/80614141123458/21/6789');
    expect(seen).toMatchObject({ readPoint: 'pack-1', unit: 'https://id.gs1.org/01/80614141123458/21/6789' });
    // Two sightings of the one unit: the older is passed over when it is the oldest.
    expect(index.counters().sightings).toBe(2);
  });

  it('forgets the least recently seen units beyond maxUnits, and counts them', async () => {
    const index = await start({ maxUnits: 3 });
    for (let n = 1; n <= 3; n++) index.eventNumbered(event(unit(n), 'dock-1', 1_000 + n));
    await index.flush();
    // Unit 1 seen again before 4 and 5: it is newer than 2 and 3, so they go, not 1.
    index.eventNumbered(event(unit(1), 'dock-1', 2_000));
    index.eventNumbered(event(unit(4), 'dock-1', 2_001));
    index.eventNumbered(event(unit(5), 'dock-1', 2_002));
    await index.flush();
    const found = [];
    for (let n = 1; n <= 5; n++) found.push((await index.find(key(n)))?.readPoint ?? null);
    expect(found).toEqual(['dock-1', null, null, 'dock-1', 'dock-1']);
    // Six sightings, three dropped: unit 1's older one (the unit stays), units 2 and 3 (forgotten).
    expect(index.counters()).toMatchObject({ sightings: 3, evictions: 2 });
  });

  it('forgets units last seen longer ago than maxAgeMs, after a restart too', async () => {
    let now = 10_000;
    const index = await start({ maxAgeMs: 5_000, now: () => now });
    index.eventNumbered(event(unit(1), 'dock-1', 4_000));
    index.eventNumbered(event(unit(2), 'dock-1', 9_000));
    await index.flush();
    expect(index.counters()).toMatchObject({ sightings: 1, evictions: 1 });
    expect(await index.find(key(1))).toBeUndefined();
    await index.stop();
    open.length = 0;
    now = 20_000;
    const again = await start({ maxAgeMs: 5_000, now: () => now });
    expect(await again.find(key(2))).toBeUndefined();
    expect(again.counters()).toMatchObject({ sightings: 0, evictions: 1 });
  });

  it('bounds the units waiting for a flush, counting the sightings it could not keep', async () => {
    const index = await start({ maxPending: 2 });
    index.eventNumbered(event(unit(1), 'dock-1', 1));
    index.eventNumbered(event(unit(2), 'dock-1', 2));
    index.eventNumbered(event(unit(3), 'dock-1', 3));
    // A unit already waiting is still updated.
    index.eventNumbered(event(unit(2), 'dock-2', 4));
    expect(index.counters()).toMatchObject({ pending: 2, missed: 1 });
    await index.flush();
    expect(await index.find(key(3))).toBeUndefined();
    expect((await index.find(key(2)))?.readPoint).toBe('dock-2');
    index.eventNumbered(event(unit(3), 'dock-1', 5));
    expect((await index.find(key(3)))?.sequence).toBe(5);
  });

  it('keeps at most maxUnits sightings through updates, evictions and a restart, forgetting a unit with its last', async () => {
    const index = await start({ maxUnits: 50 });
    // Rounds of 40 units, each overlapping the one before by 20: units 0-39, 20-59, 40-79.
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 40; n++) index.eventNumbered(event(unit(round * 20 + n), 'dock-1', seq + 1));
      await index.flush();
    }
    // 120 sightings, the oldest 70 dropped: units 0-19 after round 2, 20-39 after round 3 were
    // forgotten; units seen again since (20-29 in round 2, 40-59 in round 3) only lost an older one.
    expect(index.counters()).toMatchObject({ sightings: 50, evictions: 40 });
    const units = async () => {
      let stored = 0;
      for await (const _ of store.part('where').keys({ gte: 'u!', lt: 'u"' })) stored++;
      return stored;
    };
    expect(await units()).toBe(40);
    expect(await index.find(key(39))).toBeUndefined();
    expect((await index.find(key(40)))?.sequence).toBe(81);
    await index.stop();
    open.length = 0;
    const again = await start({ maxUnits: 30 });
    // A smaller bound applies at start: the 20 oldest sightings go, units 40-49 (of round 3) with them.
    expect(again.counters()).toMatchObject({ sightings: 30, evictions: 10 });
    expect(await units()).toBe(30);
    expect(await again.find(key(49))).toBeUndefined();
    expect(await again.find(key(50))).toBeDefined();
  });

  it('keeps its own order of sightings: events numbered from 1 again (a new outbox) are still the newest', async () => {
    const index = await start({ maxUnits: 3 });
    seq = 1000;
    for (let n = 1; n <= 3; n++) index.eventNumbered(event(unit(n), 'dock-1', 1_000 + n));
    await index.flush();
    seq = 0;
    index.eventNumbered(event(unit(4), 'dock-2', 2_000));
    index.eventNumbered(event(unit(5), 'dock-2', 2_001));
    await index.flush();
    const found = [];
    for (let n = 1; n <= 5; n++) found.push((await index.find(key(n)))?.sequence ?? null);
    expect(found).toEqual([null, null, 1003, 1, 2]);
    expect(index.counters()).toMatchObject({ sightings: 3, evictions: 2 });
  });
});
