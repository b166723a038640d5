/**
 * A capture run again through decode and smoothing (capture/replay.ts) on the capture's clock:
 * the events a two-zone dock door makes of a pallet going in and out again, and what changes
 * between two smoothing configurations (capture/replay-compare.ts).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { Replay, type ReplayedEvent, replayLeavesOut } from '../../../daemon/capture/replay.js';
import { compare, ReplayTally } from '../../../daemon/capture/replay-compare.js';
import { dockDoorYaml, palletInAndOut, tagUri } from '../../support/captures.js';
import { ownErrors } from '../../support/schemas.js';

const dockConfig = (suppressionS: number, floor?: number) =>
  parseConfig(dockDoorYaml(suppressionS, floor), 't.yaml');

const PALLET = [101, 102, 103];

async function replay(suppressionS: number, floor?: number) {
  const config = dockConfig(suppressionS, floor);
  const events: ReplayedEvent[] = [];
  const tally = new ReplayTally();
  const r = new Replay(config, config.readers[0]!, {
    onEvent: (e) => {
      events.push(e);
      tally.add(e);
    },
  });
  const { reads, endMs } = palletInAndOut();
  for (const read of reads) r.feed(read);
  await r.finish(endMs);
  tally.close(r.counters, r.pipeline.rejectCodes);
  return { events, parsed: events.map((e) => JSON.parse(e.payload)), tally, counters: r.counters };
}

const summary = (e: Record<string, unknown>) => [
  e['rp:transition'],
  (e.epcList as string[])[0],
  e['rp:direction'],
  e.bizStep,
  e.eventTime,
];
const iso = (m: number) => new Date(Date.parse('2026-12-01T08:00:00.000Z') + m).toISOString();

describe('replay', () => {
  it('makes the passages of a pallet going in and out, on the capture clock, numbered from 1', async () => {
    const { events, parsed, counters } = await replay(2);
    // In: 5 sweeps on each antenna, 100 ms apart: the last read at 900 ms. Out: from 4000 ms.
    expect(parsed.map(summary)).toEqual([
      ...PALLET.map((s) => ['passage', tagUri(s), 'inbound', 'receiving', iso(900)]),
      ...PALLET.map((s) => ['passage', tagUri(s), 'outbound', 'shipping', iso(4900)]),
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(events.map((e) => e.topic))).toEqual(new Set(['readpoint/v1/s/gw/events/dock-1']));
    for (const e of parsed) {
      expect(ownErrors(e)).toEqual([]);
      expect(e['rp:readCount']).toBe(10);
      expect(e['rp:firstSeen']).toBe(e['rp:direction'] === 'inbound' ? iso(0) : iso(4000));
    }
    expect(counters).toMatchObject({ reads: 61, belowFloor: 1, rejected: 0 });
  });

  it('gives the same bytes twice (event IDs from the capture times, not the replay clock)', async () => {
    const a = await replay(2);
    const b = await replay(2);
    expect(b.events.map((e) => e.payload)).toEqual(a.events.map((e) => e.payload));
  });

  it('compares two smoothing windows: one long pass instead of two, and what the floor lets in', async () => {
    const short = await replay(2);
    const long = await replay(5, -90);
    // 5 s covers the 3 s gap: one pass each, first seen outside, so inbound, but with the last
    // five of its twenty zoned reads back outside (confidence 0.75); the stray tag now passes,
    // seen in one zone only (unknown).
    const byTime = (x: unknown[], y: unknown[]) => String(x[4]).localeCompare(String(y[4]));
    expect(long.parsed.map(summary)).toEqual(
      [
        ...PALLET.map((s) => ['passage', tagUri(s), 'inbound', 'receiving', iso(4900)]),
        ['passage', tagUri(999), 'unknown', undefined, iso(1000)],
      ].sort(byTime),
    );
    expect(long.parsed.map((e) => e['rp:directionConfidence'])).toEqual([0, 0.75, 0.75, 0.75]);
    const c = compare(short.tally, long.tally);
    const row = (what: string) => c.rows.find((r) => r.what.trim() === what);
    expect(row('events')).toEqual({ what: 'events', a: 6, b: 4 });
    expect(row('passage inbound')).toMatchObject({ a: 3, b: 3 });
    expect(row('passage outbound')).toMatchObject({ a: 3, b: 0 });
    expect(row('passage unknown')).toMatchObject({ a: 0, b: 1 });
    expect(row('reads under the RSSI floor')).toMatchObject({ a: 1, b: 0 });
    expect(c.onlyA.map(summary)).toEqual(short.parsed.map(summary));
    // Nothing is the same: the inbound passages end later, at the last read of the long pass.
    expect(c.onlyB.map(summary)).toEqual(long.parsed.map(summary).sort(byTime));
  });

  it('compares a configuration with itself: the same counts, no event on one side only', async () => {
    const a = await replay(2);
    const b = await replay(2);
    const c = compare(a.tally, b.tally);
    for (const r of c.rows) expect(r.a).toBe(r.b);
    expect(c.onlyA).toEqual([]);
    expect(c.onlyB).toEqual([]);
    expect(c.rows[0]).toEqual({ what: 'events', a: 6, b: 6 });
  });

  it('says what it leaves out: pack stations and transaction contexts', () => {
    const config = parseConfig(
      `gateway: { id: gw, site: s }
readPoints:
  - { id: pack-1, mode: pack, pack: { closeCode: CLOSE } }
  - { id: door-1, context: { scanners: [gun-1] } }
  - { id: lane-1 }
readers:
  - { id: pack-gun, driver: serial-line, readPoint: pack-1, path: /dev/null }
  - { id: gun-1, driver: serial-line, readPoint: lane-1, path: /dev/null }
  - { id: door-rfid, driver: thingmagic, path: /dev/null, region: NA2, readPoint: door-1 }
  - { id: lane-gun, driver: serial-line, readPoint: lane-1, path: /dev/null }
`,
      't.yaml',
    );
    const notes = (id: string) => replayLeavesOut(config, config.readers.find((r) => r.id === id)!);
    expect(notes('pack-gun')).toEqual([
      'read point pack-1 is a pack station: its close codes are replayed as reads, and no aggregation events are made',
    ]);
    expect(notes('gun-1')).toEqual([
      'reader gun-1 scans transaction barcodes for door-1: they are replayed as reads',
    ]);
    expect(notes('door-rfid')).toEqual([
      'read point door-1 takes a transaction context: its events are replayed without one',
    ]);
    expect(notes('lane-gun')).toEqual([]);
  });
});
