/**
 * Properties of the EPC decoder and encoder (GS1 Tag Data Standard 2.x):
 * - every scheme x every partition: fields -> encodeEpc -> decodeEpc gives the same fields and the
 *   URIs the TDS grammar gives (built here independently of the implementation);
 * - any bytes with any PC word: no throw, an identity or an `epc-*` / `empty` reject; and a GS1
 *   identity re-encodes to exactly the bits it came from (one binary per identity).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEpc } from '../../../daemon/identity/epc.js';
import { type EpcFields, encodeEpc, encodeTagUri, parseTagUri } from '../../../daemon/identity/epc-encode.js';

const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const text = (min: number, max: number) =>
  fc.array(fc.constantFrom(...CSET82.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
const digits = (n: number) =>
  fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: n, maxLength: n }).map((a) => a.join(''));
/** A decimal integer below 2^bits, without leading zeros. */
const integer = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }).map(String);
const filter = fc.integer({ min: 0, max: 7 });
const partition = fc.integer({ min: 0, max: 6 });

/** TDS §5: EPC URI components escape exactly these. */
const urn = (s: string) => s.replace(/["%&/<>?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** A Digital Link path segment: RFC 3986 unreserved characters as they are, the rest %XX. */
const dl = (s: string) =>
  s.replace(/[^A-Za-z0-9._~-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** GS1 check digit, written out again here (weights 3, 1, 3, ... from the right). */
const check = (s: string) => {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += Number(s[s.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return s + ((10 - (sum % 10)) % 10);
};

/** Fields of every scheme, in every partition (company prefix of 12 - p digits). */
const fieldsArb: fc.Arbitrary<EpcFields> = fc.oneof(
  fc
    .tuple(fc.constantFrom('sgtin-96' as const, 'sgtin-198' as const), filter, partition)
    .chain(([scheme, f, p]) =>
      fc.record({
        scheme: fc.constant(scheme),
        filter: fc.constant(f),
        companyPrefix: digits(12 - p),
        itemReference: digits(1 + p),
        serial: scheme === 'sgtin-96' ? integer(38) : text(1, 20),
      }),
    ),
  fc.tuple(filter, partition).chain(([f, p]) =>
    fc.record({
      scheme: fc.constant('sscc-96' as const),
      filter: fc.constant(f),
      companyPrefix: digits(12 - p),
      serialReference: digits(5 + p),
    }),
  ),
  fc
    .tuple(fc.constantFrom('sgln-96' as const, 'sgln-195' as const), filter, partition)
    .chain(([scheme, f, p]) =>
      fc.record({
        scheme: fc.constant(scheme),
        filter: fc.constant(f),
        companyPrefix: digits(12 - p),
        locationReference: digits(p),
        extension: scheme === 'sgln-96' ? integer(41) : text(1, 20),
      }),
    ),
  fc
    .tuple(fc.constantFrom('grai-96' as const, 'grai-170' as const), filter, partition)
    .chain(([scheme, f, p]) =>
      fc.record({
        scheme: fc.constant(scheme),
        filter: fc.constant(f),
        companyPrefix: digits(12 - p),
        assetType: digits(p),
        serial: scheme === 'grai-96' ? integer(38) : text(1, 16),
      }),
    ),
  fc
    .tuple(fc.constantFrom('giai-96' as const, 'giai-202' as const), filter, partition)
    .chain(([scheme, f, p]) =>
      fc.record({
        scheme: fc.constant(scheme),
        filter: fc.constant(f),
        companyPrefix: digits(12 - p),
        assetReference: scheme === 'giai-96' ? integer([42, 45, 48, 52, 55, 58, 62][p]!) : text(1, 18 + p),
      }),
    ),
  fc.record({
    scheme: fc.constant('gid-96' as const),
    manager: integer(28),
    objectClass: integer(24),
    serial: integer(36),
  }),
);

/** What the TDS says the decoded identity of `f` is. */
function expected(f: EpcFields): {
  uri: string;
  tagUri: string;
  digitalLink?: string;
  keys: Record<string, string>;
} {
  switch (f.scheme) {
    case 'sgtin-96':
    case 'sgtin-198': {
      const key = `${f.companyPrefix}.${f.itemReference}.${urn(f.serial)}`;
      const gtin = check(f.itemReference[0] + f.companyPrefix + f.itemReference.slice(1));
      return {
        uri: `urn:epc:id:sgtin:${key}`,
        tagUri: `urn:epc:tag:${f.scheme}:${f.filter}.${key}`,
        digitalLink: `https://id.gs1.org/01/${gtin}/21/${dl(f.serial)}`,
        keys: { gtin, serial: f.serial },
      };
    }
    case 'sscc-96': {
      const key = `${f.companyPrefix}.${f.serialReference}`;
      const sscc = check(f.serialReference[0] + f.companyPrefix + f.serialReference.slice(1));
      return {
        uri: `urn:epc:id:sscc:${key}`,
        tagUri: `urn:epc:tag:sscc-96:${f.filter}.${key}`,
        digitalLink: `https://id.gs1.org/00/${sscc}`,
        keys: { sscc },
      };
    }
    case 'sgln-96':
    case 'sgln-195': {
      const key = `${f.companyPrefix}.${f.locationReference}.${urn(f.extension)}`;
      const gln = check(f.companyPrefix + f.locationReference);
      const none = f.extension === '0';
      return {
        uri: `urn:epc:id:sgln:${key}`,
        tagUri: `urn:epc:tag:${f.scheme}:${f.filter}.${key}`,
        digitalLink: `https://id.gs1.org/414/${gln}${none ? '' : `/254/${dl(f.extension)}`}`,
        keys: none ? { gln } : { gln, glnExtension: f.extension },
      };
    }
    case 'grai-96':
    case 'grai-170': {
      const key = `${f.companyPrefix}.${f.assetType}.${urn(f.serial)}`;
      const grai = `0${check(f.companyPrefix + f.assetType)}`;
      return {
        uri: `urn:epc:id:grai:${key}`,
        tagUri: `urn:epc:tag:${f.scheme}:${f.filter}.${key}`,
        digitalLink: `https://id.gs1.org/8003/${grai}${dl(f.serial)}`,
        keys: { grai, serial: f.serial },
      };
    }
    case 'giai-96':
    case 'giai-202': {
      const key = `${f.companyPrefix}.${urn(f.assetReference)}`;
      return {
        uri: `urn:epc:id:giai:${key}`,
        tagUri: `urn:epc:tag:${f.scheme}:${f.filter}.${key}`,
        digitalLink: `https://id.gs1.org/8004/${f.companyPrefix}${dl(f.assetReference)}`,
        keys: { giai: f.companyPrefix + f.assetReference },
      };
    }
    case 'gid-96': {
      const key = `${f.manager}.${f.objectClass}.${f.serial}`;
      return { uri: `urn:epc:id:gid:${key}`, tagUri: `urn:epc:tag:gid-96:${key}`, keys: {} };
    }
  }
}

const BITS: Record<string, number> = {
  'sgtin-96': 96,
  'sgtin-198': 198,
  'sscc-96': 96,
  'sgln-96': 96,
  'sgln-195': 195,
  'grai-96': 96,
  'grai-170': 170,
  'giai-96': 96,
  'giai-202': 202,
  'gid-96': 96,
};

describe('encode -> decode round trip, every scheme x every partition', () => {
  it('gives back the fields, the URIs and the GS1 key', () => {
    fc.assert(
      fc.property(fieldsArb, (f) => {
        const bytes = encodeEpc(f);
        expect(bytes.length).toBe(((BITS[f.scheme]! + 15) >> 4) * 2);
        const r = decodeEpc(bytes);
        if (!r.ok) throw new Error(`${JSON.stringify(f)}: ${r.reject.code} ${r.reject.message}`);
        const want = expected(f);
        const id = r.identity;
        expect(id.uri).toBe(want.uri);
        expect(id.epc?.tagUri).toBe(want.tagUri);
        expect(id.epc?.scheme).toBe(f.scheme);
        expect(id.epc?.hex).toBe(bytes.toString('hex').toUpperCase());
        expect(id.digitalLink).toBe(want.digitalLink);
        for (const [k, v] of Object.entries(want.keys)) expect(id[k as keyof typeof id]).toBe(v);
        if (f.scheme === 'sgln-96' || f.scheme === 'sgln-195') {
          expect(id.glnExtension).toBe(f.extension === '0' ? undefined : f.extension);
        }
        expect(parseTagUri(want.tagUri)).toEqual(f);
        // The PC word of its length changes nothing; one word less truncates it.
        const words = bytes.length / 2;
        expect(decodeEpc(Buffer.concat([bytes, Buffer.from([0xff, 0xff])]), words << 11)).toEqual(r);
        const short = decodeEpc(bytes, (words - 1) << 11);
        expect(short.ok ? 'ok' : short.reject.code).toBe('epc-truncated');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('any input', () => {
  const HEADERS = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x2c, 0xf7, 0xe2, 0x00];
  const bytesArb = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc
      .tuple(fc.constantFrom(...HEADERS), fc.uint8Array({ minLength: 0, maxLength: 34 }))
      .map(([h, rest]) => Uint8Array.from([h, ...rest])),
  );
  const pcArb = fc.option(
    fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer(), fc.double(), fc.constant(Number.NaN)),
    { nil: undefined },
  );

  it('never throws: an identity, or an epc-* or empty reject', () => {
    fc.assert(
      fc.property(bytesArb, pcArb, (bytes, pc) => {
        const r = decodeEpc(Buffer.from(bytes), pc);
        if (r.ok) {
          expect(r.identity.uri).toMatch(/^urn:epc:(id|raw):/);
          expect(r.identity.source).toBe('epc');
        } else {
          expect(r.reject.code === 'empty' || r.reject.code.startsWith('epc-'), r.reject.code).toBe(true);
          expect(r.reject.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 20000 },
    );
  });

  it('a decoded GS1 EPC re-encodes to exactly its bits (one binary per identity)', () => {
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const r = decodeEpc(Buffer.from(bytes));
        if (!r.ok || r.identity.epc?.nonGs1) return;
        const bits = BITS[r.identity.epc!.scheme]!;
        const again = encodeTagUri(r.identity.epc!.tagUri!);
        // Compare the scheme's bits; padding bits after them are not part of the EPC.
        const given = Buffer.alloc(again.length);
        Buffer.from(bytes).copy(given, 0, 0, Math.min(bytes.length, again.length));
        const full = bits >> 3;
        expect(again.subarray(0, full)).toEqual(given.subarray(0, full));
        if (bits % 8) {
          const mask = (0xff << (8 - (bits % 8))) & 0xff;
          expect(again[full]! & mask).toBe(given[full]! & mask);
        }
      }),
      { numRuns: 50000 },
    );
  });
});
