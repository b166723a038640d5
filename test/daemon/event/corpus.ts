/**
 * A generated corpus of sightings and read points for the event's byte tests: every transition,
 * optional field, identity kind and time, and text with everything JSON escapes.
 */
import type { ReadPointContext, Sighting } from '../../../daemon/event/epcis.js';
import { decodeRead, decodeText } from '../../../daemon/identity/decode.js';
import type { AiValue, UnitIdentity } from '../../../daemon/identity/identity.js';

/** A small seeded generator: the same corpus on every run, so a failure can be replayed. */
export function random(seed: number) {
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
export type Random = ReturnType<typeof random>;

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
export function text(r: Random, max = 12): string {
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

/** Units as the decoder makes them: SGTIN, SSCC, Digital Link, TPX, tags (SGTIN, SGLN, GRAI, GIAI, not GS1). */
export const DECODED: readonly UnitIdentity[] = [
  decoded(decodeText(']d2010950600013435221SN0042\x1d1727123110LOT7')),
  decoded(decodeText(']C100106141411234567897')),
  decoded(decodeText(']Q1https://id.gs1.org/01/09506000134352/21/ABC?17=271231')),
  decoded(decodeText(']d20109506000134352235TPX/1%2\x1d10LOT7')),
  decoded(decodeText(']d2010950600013435221A/B%C?')),
  epc('3074257BF7194E4000001A85'),
  epc('3274257BF46072000000162E'),
  epc('3974257BF46072CD9615F8800000000000000000000000000000'),
  epc('3374257BF40C0E400000162E'),
  epc('3774257BF40C0E59B2C2BF1000000000000000000000'),
  epc('3474257BF40000000000162E'),
  epc('3874257BF59B2C2BF10000000000000000000000000000000000'),
  epc('E2801160600002084A7C2E7F'),
];

/** Units of every kind with any text in their fields, and any mix of fields present. */
export function unit(r: Random): UnitIdentity {
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

export const NOW = Date.UTC(2026, 10, 22, 9, 30, 0, 125);
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

export function sighting(r: Random): Sighting {
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

export function place(r: Random): ReadPointContext {
  return {
    gatewayId: r.chance(0.8) ? 'gw-1' : text(r),
    readPointUri: r.chance(0.8) ? 'urn:readpoint:site-1:gw-1:dock-1' : `urn:readpoint:${text(r)}`,
    ...(r.chance(0.6) ? { bizLocation: r.chance(0.8) ? 'urn:epc:id:sgln:4012345.00001.0' : text(r) } : {}),
    ...(r.chance(0.6) ? { bizStep: r.pick(['shipping', '', text(r)]) } : {}),
    ...(r.chance(0.5) ? { disposition: r.pick(['in_transit', '', text(r)]) } : {}),
  };
}
