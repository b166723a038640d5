import { describe, expect, it } from 'vitest';
import { buildEvent, type ReadPointContext, type Sighting } from '../../../daemon/event/epcis.js';
import { EventBytes } from '../../../daemon/event/event-bytes.js';
import { ZoneOffsets } from '../../../daemon/event/event-time.js';
import { decodeRead, decodeText } from '../../../daemon/identity/decode.js';
import type { AiValue, UnitIdentity } from '../../../daemon/identity/identity.js';
import { ownErrors } from '../../support/schemas.js';

/** A small seeded generator: the same corpus on every run, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof random>;

/** Text with what JSON must escape or may not: quotes, backslashes, controls, non-ASCII, lone surrogates. */
const PIECES = [
  'A',
  'z',
  '0',
  '9',
  '/',
  '%',
  ' ',
  '"',
  '\\',
  '\n',
  '\t',
  '\u0000',
  '\u001f',
  '\u007f',
  'é',
  'ü',
  '\u2028',
  '\u2029',
  '\ud83d\udce6',
  '\ud800',
  '\udfff',
  '\uffff',
  '<',
  '&',
  "'",
  '`',
  '{',
  '}',
];
function text(r: Random, max = 12): string {
  let out = '';
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) out += r.chance(0.6) ? String.fromCharCode(0x21 + r.int(94)) : r.pick(PIECES);
  return out;
}

function decoded(result: ReturnType<typeof decodeText>): UnitIdentity {
  if (!result.ok) throw new Error(result.reject.message);
  return result.identity;
}
const epc = (hex: string) =>
  decoded(
    decodeRead(
      { kind: 'epc', data: Buffer.from(hex, 'hex') },
      { data: 'aim', plainSerial: [], nonGs1Epc: 'event' },
    ),
  );

/** Units as the decoder makes them: SGTIN, SSCC, Digital Link, TPX, tags (GS1 and not). */
const DECODED: readonly UnitIdentity[] = [
  decoded(decodeText(']d2010950600013435221SN0042\x1d1727123110LOT7')),
  decoded(decodeText(']C100106141411234567897')),
  decoded(decodeText(']Q1https://id.gs1.org/01/09506000134352/21/ABC?17=271231')),
  decoded(decodeText(']d20109506000134352235TPX/1%2\x1d10LOT7')),
  decoded(decodeText(']d2010950600013435221A/B%C?')),
  epc('3074257BF7194E4000001A85'),
  epc('E2801160600002084A7C2E7F'),
];

/** Units of every kind with any text in their fields, and any mix of fields present. */
function unit(r: Random): UnitIdentity {
  if (r.chance(0.3)) return r.pick(DECODED);
  const maybe = (p = 0.5) => (r.chance(p) ? text(r) : undefined);
  const ais: AiValue[] | undefined = r.chance(0.5)
    ? Array.from({ length: r.int(4) }, () => ({
        ai: r.pick(['01', '21', '10', '17', '00', '8003', '8004', '414', '254']),
        value: text(r),
      }))
    : undefined;
  const hasEpc = r.chance(0.4);
  return {
    source: r.pick(['gs1-element-string', 'gs1-digital-link', 'epc', 'plain-serial'] as const),
    scheme: r.pick(['sgtin', 'tpx', 'sscc', 'sgln', 'grai', 'giai', 'gdti', 'plain', 'raw'] as const),
    uri: r.chance(0.5)
      ? `urn:epc:id:sgtin:0614141.812345.${text(r)}`
      : `https://id.gs1.org/01/09506000134352/21/${text(r)}`,
    digitalLink: maybe(),
    aim: maybe(0.3),
    gtin: maybe(),
    serial: maybe(),
    sscc: maybe(0.2),
    gln: maybe(0.2),
    glnExtension: maybe(0.2),
    grai: maybe(0.2),
    giai: maybe(0.2),
    key: maybe(0.2),
    lot: maybe(0.3),
    expiry: maybe(0.3),
    ais,
    ...(hasEpc
      ? {
          epc: {
            hex: r.pick(['3074257bf7194e4000001a85', 'E2801160600002084A7C2E7F', 'abcdef0123']),
            scheme: r.pick(['sgtin-96', 'raw', 'grai-96']),
            ...(r.chance(0.6) ? { tagUri: `urn:epc:tag:sgtin-96:3.0614141.812345.${text(r)}` } : {}),
            ...(r.chance(0.5) ? { filter: r.int(8) } : {}),
            ...(r.chance(0.3) ? { nonGs1: true as const } : {}),
          },
        }
      : {}),
  };
}

const NOW = Date.UTC(2026, 10, 22, 9, 30, 0, 125);
/** Times near each other (the same ms, second, minute, day), far apart, and at day and second edges. */
function times(r: Random): { first: number; last: number; time: number } {
  const base = r.pick([
    NOW,
    Date.UTC(2026, 2, 29, 1, 0, 0, 0) - 1,
    Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    r.int(253_402_300_800_000),
  ]);
  const near = () => base + r.pick([0, 0, 1, 40, 999, 1000, 59_999, 3_600_000, 86_400_000, r.int(1e9)]);
  const first = base;
  const last = r.chance(0.4) ? first : near();
  const time = r.pick([first, last, near()]);
  return { first, last, time };
}

function sighting(r: Random): Sighting {
  const { first, last, time } = times(r);
  const transition = r.pick([undefined, 'arrival', 'departure', 'presence', 'passage'] as const);
  const direction = r.chance(0.3) ? r.pick(['inbound', 'outbound', 'unknown'] as const) : undefined;
  const fields: Sighting = {
    identity: unit(r),
    readerId: r.chance(0.8) ? r.pick(['scanner-1', 'rfid-2']) : text(r),
    readPointId: r.chance(0.8) ? 'dock-1' : text(r),
    firstSeen: first,
    lastSeen: last,
    readCount: r.pick([1, 2, 17, 123_456]),
    antenna: r.chance(0.5) ? r.int(9) : undefined,
    rssi: r.chance(0.5) ? r.pick([-52.5, -60, 0, -71.25, -0]) : undefined,
    transition,
    time: transition === undefined && r.chance(0.5) ? undefined : time,
    direction,
    confidence: direction !== undefined || r.chance(0.1) ? r.pick([0, 0.83, 1, 0.5]) : undefined,
    bizStep: r.chance(0.3) ? r.pick(['receiving', 'shipping', '', text(r)]) : undefined,
  };
  // Absent fields as a caller leaves them out, not only as undefined.
  if (r.chance(0.5)) {
    const sparse: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) sparse[k] = v;
    return sparse as unknown as Sighting;
  }
  return fields;
}

function place(r: Random): ReadPointContext {
  return {
    gatewayId: r.chance(0.8) ? 'gw-1' : text(r),
    readPointUri: r.chance(0.8) ? 'urn:readpoint:site-1:gw-1:dock-1' : `urn:readpoint:${text(r)}`,
    ...(r.chance(0.6) ? { bizLocation: r.chance(0.8) ? 'urn:epc:id:sgln:4012345.00001.0' : text(r) } : {}),
    ...(r.chance(0.6) ? { bizStep: r.pick(['shipping', '', text(r)]) } : {}),
    ...(r.chance(0.5) ? { disposition: r.pick(['in_transit', '', text(r)]) } : {}),
  };
}

const reference = (s: Sighting, where: ReadPointContext, seq: number) =>
  JSON.stringify(buildEvent(s, where, seq));

describe('the event written directly', () => {
  it('is byte for byte what JSON.stringify(buildEvent(...)) gives, over a generated corpus', () => {
    const r = random(16);
    let compared = 0;
    for (let p = 0; p < 40; p++) {
      const where = place(r);
      const bytes = new EventBytes(where);
      for (let i = 0; i < 150; i++) {
        const s = sighting(r);
        const seq = r.pick([1, 42, 2 ** 31, Number.MAX_SAFE_INTEGER]);
        expect(bytes.event(s, seq)).toBe(reference(s, where, seq));
        compared++;
      }
    }
    expect(compared).toBe(6000);
  });

  it('matches for every transition, direction, bizStep and optional field, and stays a valid event', () => {
    const where: ReadPointContext = {
      gatewayId: 'gw-1',
      readPointUri: 'urn:readpoint:site-1:gw-1:dock-1',
      bizLocation: 'urn:epc:id:sgln:4012345.00001.0',
      bizStep: 'shipping',
      disposition: 'in_transit',
    };
    const bytes = new EventBytes(where);
    const base = {
      readerId: 'rfid-2',
      readPointId: 'dock-1',
      firstSeen: NOW,
      lastSeen: NOW + 40,
      readCount: 3,
    };
    const cases: Sighting[] = [];
    for (const identity of DECODED)
      for (const transition of [undefined, 'arrival', 'departure', 'presence', 'passage'] as const)
        for (const extra of [
          {},
          { antenna: 2, rssi: -52.5 },
          { antenna: 1 },
          { rssi: -60 },
          { direction: 'inbound' as const, confidence: 0.83, bizStep: 'receiving' },
          { direction: 'outbound' as const, confidence: 1, bizStep: 'shipping' },
          { direction: 'unknown' as const, confidence: 0 },
          { bizStep: '' },
        ])
          cases.push({ ...base, identity, transition, time: NOW + 40, ...extra });
    for (const [i, s] of cases.entries()) {
      const line = bytes.event(s, i + 1);
      expect(line).toBe(reference(s, where, i + 1));
      expect(ownErrors(JSON.parse(line))).toEqual([]);
    }
    expect(cases.length).toBe(DECODED.length * 5 * 8);
  });

  it('escapes what JSON escapes, in every field a read or a configuration can fill', () => {
    const nasty = [
      '"',
      '\\',
      '\u0000\u0001\u001f',
      '\n\r\t\b\f',
      'é€\ud83d\udce6',
      '\ud800',
      'x\udfffy',
      '\u2028\u2029',
      '</script>',
    ];
    for (const s of nasty) {
      const where: ReadPointContext = {
        gatewayId: `gw${s}`,
        readPointUri: `urn:${s}`,
        bizLocation: s,
        bizStep: s,
        disposition: s,
      };
      const identity: UnitIdentity = {
        source: 'plain-serial',
        scheme: 'plain',
        uri: `urn:plain:${s}`,
        serial: s,
        lot: s,
        ais: [{ ai: '21', value: s }],
        epc: { hex: `ab${s}`, scheme: 'raw', tagUri: s, nonGs1: true },
      };
      const sight: Sighting = {
        identity,
        readerId: s,
        readPointId: s,
        firstSeen: NOW,
        lastSeen: NOW,
        readCount: 1,
        transition: 'passage',
        time: NOW,
        direction: 'unknown',
        confidence: 0,
        bizStep: s,
      };
      const line = new EventBytes(where).event(sight, 7);
      expect(line).toBe(reference(sight, where, 7));
      // Lone surrogates travel escaped (`\\ud800`), so the text comes back whole.
      expect(JSON.parse(line)['rp:unit'].serial).toBe(s);
    }
  });

  it('follows a change of reader and read point id between events of one read point', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    const bytes = new EventBytes(where);
    const identity = DECODED[0]!;
    for (const [readerId, readPointId] of [
      ['a', 'x'],
      ['b', 'x'],
      ['b', 'y'],
      ['a', 'x'],
      ['', ''],
    ]) {
      const s: Sighting = {
        identity,
        readerId: readerId!,
        readPointId: readPointId!,
        firstSeen: NOW,
        lastSeen: NOW,
        readCount: 1,
      };
      expect(bytes.event(s, 1)).toBe(reference(s, where, 1));
    }
  });

  it('throws as buildEvent does for a time a Date cannot hold, and writes numbers JSON cannot as null', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    const bytes = new EventBytes(where);
    const s = (extra: Partial<Sighting>): Sighting => ({
      identity: DECODED[5]!,
      readerId: 'r',
      readPointId: 'p',
      firstSeen: NOW,
      lastSeen: NOW,
      readCount: 1,
      ...extra,
    });
    for (const bad of [Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY]) {
      for (const extra of [{ firstSeen: bad }, { lastSeen: bad }, { time: bad }]) {
        expect(() => reference(s(extra), where, 1)).toThrow(RangeError);
        expect(() => bytes.event(s(extra), 1)).toThrow(RangeError);
      }
    }
    for (const extra of [
      { rssi: Number.NaN },
      { antenna: Number.POSITIVE_INFINITY },
      { confidence: Number.NaN },
      { readCount: -0 },
    ]) {
      expect(bytes.event(s(extra), Number.NaN)).toBe(reference(s(extra), where, Number.NaN));
    }
    // Times before 1970, after 9999, and with a fraction of a millisecond, as a Date takes them.
    for (const t of [
      -1,
      -86_400_001,
      -62_198_755_200_000,
      253_402_300_800_000,
      8.64e15,
      1.5,
      NOW + 0.75,
      -0.5,
    ]) {
      const one = s({ firstSeen: t, lastSeen: t, time: t });
      expect(bytes.event(one, 1)).toBe(reference(one, where, 1));
    }
  });

  it('writes the zone offset it is given, per read point, as timeZoneOffset would', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    const kolkata = new EventBytes(where, new ZoneOffsets(() => 330));
    const stJohns = new EventBytes(where, new ZoneOffsets(() => -150));
    const s: Sighting = {
      identity: DECODED[0]!,
      readerId: 'r',
      readPointId: 'p',
      firstSeen: NOW,
      lastSeen: NOW,
      readCount: 1,
    };
    expect(JSON.parse(kolkata.event(s, 1)).eventTimeZoneOffset).toBe('+05:30');
    expect(JSON.parse(stJohns.event(s, 1)).eventTimeZoneOffset).toBe('-02:30');
  });
});
