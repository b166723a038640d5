import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildEvent,
  eventId,
  type ReadPointContext,
  type Sighting,
  timeZoneOffset,
} from '../../../daemon/event/epcis.js';
import { EventBytes } from '../../../daemon/event/event-bytes.js';
import { EventIdNamer } from '../../../daemon/event/event-id.js';
import { isoTime, offsetText, ZoneOffsets } from '../../../daemon/event/event-time.js';
import type { UnitIdentity } from '../../../daemon/identity/identity.js';
import { random } from './corpus.js';

const MINUTE = 60_000;

describe('isoTime', () => {
  it('is toISOString for any time, in any order, across second and day edges', () => {
    const { next } = random(1);
    const checked: number[] = [];
    for (let i = 0; i < 20_000; i++) checked.push(Math.floor(next() * 253_402_300_800_000));
    // Runs of close times, as events come: every step crosses or stays in the cached second or day.
    let t = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    for (let i = 0; i < 20_000; i++) {
      t += [0, 1, 7, 999, 1000, 1001, 86_399_999, 86_400_000][Math.floor(next() * 8)]!;
      checked.push(t, t - Math.floor(next() * 5000));
    }
    checked.push(0, 999, 1000, 86_399_999, 86_400_000, 253_402_300_799_999);
    for (const ms of checked) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('takes what a Date takes beyond the fast range, and throws what it throws', () => {
    for (const ms of [
      -1,
      -86_400_000,
      -62_198_755_200_001,
      253_402_300_800_000,
      8.64e15,
      -8.64e15,
      0.5,
      1e12 + 0.999,
      -0.5,
    ])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    for (const ms of [Number.NaN, 8.64e15 + 1, Number.NEGATIVE_INFINITY])
      expect(() => isoTime(ms)).toThrow(RangeError);
  });
});

/** The zone's text as timeZoneOffset formats it, straight from the zone at every call. */
const direct = (zone: (ms: number) => number) => (ms: number) => offsetText(zone(ms));

describe('the zone offset, kept per quarter hour', () => {
  it('changes exactly at a zone change at any minute, in either direction, even inside a quarter', () => {
    // St. John's 2007-2011 style: -02:30 until 03:31 UTC, then -03:30; and a fractional LMT offset.
    const change = Date.UTC(2010, 10, 7, 3, 31);
    const zone = (ms: number) => (ms < change ? -150 : ms < change + 3 * 86_400_000 ? -210 : -44.5);
    const offsets = new ZoneOffsets(zone);
    const expected = direct(zone);
    const times: number[] = [];
    for (let ms = change - 40 * MINUTE; ms < change + 40 * MINUTE; ms += 997) times.push(ms);
    times.push(change - 1, change, change + 1, change + 3 * 86_400_000 - 1, change + 3 * 86_400_000);
    const { next } = random(2);
    const shuffled = [...times].sort(() => next() - 0.5);
    for (const ms of [...times, ...shuffled, ...times.reverse()]) expect(offsets.at(ms)).toBe(expected(ms));
    expect(offsets.at(change - 1)).toBe('-02:30');
    expect(offsets.at(change)).toBe('-03:30');
  });

  it('writes half and three-quarter hours and negative offsets as +hh:mm / -hh:mm', () => {
    for (const [minutes, text] of [
      [330, '+05:30'],
      [345, '+05:45'],
      [765, '+12:45'],
      [-150, '-02:30'],
      [-210, '-03:30'],
      [-570, '-09:30'],
      [0, '+00:00'],
      [-0, '+00:00'],
      [840, '+14:00'],
      [-720, '-12:00'],
    ] as const)
      expect(new ZoneOffsets(() => minutes).at(Date.UTC(2026, 0, 1))).toBe(text);
  });
});

// Node takes a new process.env.TZ at once; vitest runs this file in a process of its own (forks).
describe('under real time zones (TZ set in this test process)', () => {
  const saved = process.env.TZ;
  afterAll(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  // Zones with half-hour, quarter-hour and negative offsets, half-hour DST, and a change at 00:01 local.
  // [zone, a time, its offset then, changes of offset 2006-2027]
  const zones: readonly [string, number, string, number][] = [
    ['Asia/Kolkata', Date.UTC(2026, 6, 1), '+05:30', 0],
    ['Asia/Kathmandu', Date.UTC(2026, 6, 1), '+05:45', 0],
    ['America/St_Johns', Date.UTC(2026, 0, 1), '-03:30', 44],
    ['Europe/Berlin', Date.UTC(2026, 6, 1), '+02:00', 44],
    ['Australia/Lord_Howe', Date.UTC(2026, 0, 1), '+11:00', 44],
    ['Pacific/Chatham', Date.UTC(2026, 0, 1), '+13:45', 44],
    ['America/Sao_Paulo', Date.UTC(2026, 0, 1), '-03:00', 27],
  ];

  it.each(zones)(
    '%s: every minute around each change of the years, and any time between',
    (tz, probe, text, changes) => {
      process.env.TZ = tz;
      expect(timeZoneOffset(probe)).toBe(text);
      const offsets = new ZoneOffsets();
      // The changes: where the offset an hour on differs, searched for minute by minute.
      const times: number[] = [];
      let found = 0;
      for (let t = Date.UTC(2006, 0, 1); t < Date.UTC(2028, 0, 1); t += 3_600_000) {
        if (timeZoneOffset(t) === timeZoneOffset(t + 3_600_000)) continue;
        found++;
        for (let m = t - 30 * MINUTE; m <= t + 90 * MINUTE; m += MINUTE)
          times.push(m - 1, m, m + 1, m + 29_999);
      }
      expect(found).toBe(changes);
      const { next } = random(3);
      for (let i = 0; i < 5000; i++) times.push(Math.floor(next() * Date.UTC(2100, 0, 1)));
      for (const ms of times) expect(offsets.at(ms)).toBe(timeZoneOffset(ms));
    },
  );

  it('gives events byte for byte what buildEvent gives across a daylight saving change', () => {
    process.env.TZ = 'America/St_Johns';
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp', bizStep: 'shipping' };
    const bytes = new EventBytes(where, new ZoneOffsets());
    const identity: UnitIdentity = {
      source: 'epc',
      scheme: 'raw',
      uri: 'urn:epc:raw:96.xE2',
      epc: { hex: 'e2', scheme: 'raw', nonGs1: true },
    };
    // 2010-11-07 00:01 local daylight time (02:31 UTC) and 2026-03-08 02:00 local (05:30 UTC).
    for (const change of [Date.UTC(2010, 10, 7, 2, 31), Date.UTC(2026, 2, 8, 5, 30)]) {
      for (let t = change - 20 * MINUTE; t < change + 20 * MINUTE; t += 7_001) {
        const s: Sighting = {
          identity,
          readerId: 'r',
          readPointId: 'p',
          firstSeen: t - 5000,
          lastSeen: t,
          readCount: 2,
          transition: 'departure',
          time: t,
        };
        expect(bytes.event(s, 1)).toBe(JSON.stringify(buildEvent(s, where, 1)));
      }
    }
    const at = (t: number): Sighting => ({
      identity,
      readerId: 'r',
      readPointId: 'p',
      firstSeen: t,
      lastSeen: t,
      readCount: 1,
    });
    const offset = (t: number) => JSON.parse(bytes.event(at(t), 1)).eventTimeZoneOffset;
    expect([offset(Date.UTC(2010, 10, 7, 2, 30, 59, 999)), offset(Date.UTC(2010, 10, 7, 2, 31))]).toEqual([
      '-02:30',
      '-03:30',
    ]);
  });
});

/** The event ID as it was first made: createHash, one update per part, hex sliced. */
function firstEventId(
  gatewayId: string,
  readPointUri: string,
  unitUri: string,
  firstSeen: number | string,
): string {
  const hash = createHash('sha1')
    .update(Buffer.from('6f1b8a2e9c3d4e7fa1b25c6d7e8f9012', 'hex'))
    .update(`${gatewayId}\n${readPointUri}\n${unitUri}\n${firstSeen}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

describe('the event ID', () => {
  it('is the same UUID as before, for any text, long or short, and names of either kind', () => {
    const { next } = random(4);
    const pieces = ['a', 'Z', '7', ':', '/', '\n', 'é', '€', '\ud83d\udce6', '\ud800', '\udfff', '\u0000'];
    const text = (max: number) => {
      let s = '';
      const n = Math.floor(next() * max);
      for (let i = 0; i < n; i++) s += pieces[Math.floor(next() * pieces.length)];
      return s;
    };
    for (let p = 0; p < 30; p++) {
      const gateway = p === 0 ? 'gw-1' : text(20);
      const point = p === 0 ? 'urn:readpoint:site-1:gw-1:dock-1' : text(60);
      const namer = new EventIdNamer(gateway, point);
      for (let i = 0; i < 200; i++) {
        // Some URIs longer than the namer's first buffer, so it grows.
        const uri = `urn:epc:id:sgtin:0614141.812345.${text(i % 50 === 0 ? 2000 : 30)}`;
        const first = Math.floor(next() * 2e12);
        const name =
          next() < 0.5 ? first : `${first}:${['departure', 'presence', 'passage'][i % 3]}:${first + 40}`;
        const expected = firstEventId(gateway, point, uri, name);
        expect(namer.of(uri, name)).toBe(expected);
        expect(eventId(gateway, point, uri, name)).toBe(expected);
      }
    }
    expect(eventId('gw-1', 'urn:rp:1', 'urn:epc:id:sgtin:0614141.812345.6789', 1)).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
