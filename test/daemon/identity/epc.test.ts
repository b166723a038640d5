/**
 * EPC binary decoding and encoding (GS1 Tag Data Standard 2.x). Vectors:
 * - "TDS Annex E": the worked encoding examples of the TDS (Annex E.3 in TDS 1.9 to 2.x), one per
 *   scheme: element string, pure identity URI, tag URI and hex;
 * - "TDS §14 layout": bit strings built here field by field from the coding tables of TDS §14.5
 *   and the partition tables (TDS Tables 14-2 to 14-15, as in the GS1 TDT 2.0 scheme files), with
 *   the GS1 example company prefix 0614141 and its neighbours; they do not use epc-encode.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeEpc } from '../../../daemon/identity/epc.js';
import { encodeEpc, encodeSgtin96, encodeTagUri, parseTagUri } from '../../../daemon/identity/epc-encode.js';
import type { DecodeResult, UnitIdentity } from '../../../daemon/identity/identity.js';

const decode = (hex: string, pc?: number) => decodeEpc(Buffer.from(hex, 'hex'), pc);
const identity = (r: DecodeResult): UnitIdentity => {
  if (!r.ok) throw new Error(`${r.reject.code}: ${r.reject.message}`);
  return r.identity;
};
const code = (r: DecodeResult) => (r.ok ? 'ok' : r.reject.code);
const message = (r: DecodeResult) => (r.ok ? '' : r.reject.message);
const hexOf = (b: Buffer) => b.toString('hex').toUpperCase();

/**
 * Hex of bit fields laid out most significant bit first, zero-padded to whole 16-bit words: a
 * number/bigint is an unsigned integer of `bits` bits; a string is 7-bit characters then zeros.
 */
function pack(...fields: readonly (readonly [value: bigint | number | string, bits: number])[]): string {
  let bin = '';
  for (const [value, bits] of fields) {
    if (typeof value === 'string') {
      let chars = '';
      for (const ch of value) chars += ch.charCodeAt(0).toString(2).padStart(7, '0');
      if (chars.length > bits) throw new Error(`pack: ${JSON.stringify(value)} does not fit ${bits} bits`);
      bin += chars.padEnd(bits, '0');
    } else {
      const b = BigInt(value).toString(2);
      if (b.length > bits) throw new Error(`pack: ${value} does not fit ${bits} bits`);
      bin += b.padStart(bits, '0');
    }
  }
  bin = bin.padEnd(Math.ceil(bin.length / 16) * 16, '0');
  return BigInt(`0b${bin}`)
    .toString(16)
    .toUpperCase()
    .padStart(bin.length / 4, '0');
}

/** Company prefix bits per partition (TDS Tables 14-2 ff., the same for every scheme). */
const CP_BITS = [40, 37, 34, 30, 27, 24, 20];

describe('TDS Annex E examples, every scheme', () => {
  it('SGTIN-96: (01)80614141123458(21)6789', () => {
    // TDS Annex E: urn:epc:tag:sgtin-96:3.0614141.812345.6789 = 3074257BF7194E4000001A85.
    expect(identity(decode('3074257BF7194E4000001A85'))).toEqual({
      source: 'epc',
      scheme: 'sgtin',
      uri: 'urn:epc:id:sgtin:0614141.812345.6789',
      digitalLink: 'https://id.gs1.org/01/80614141123458/21/6789',
      gtin: '80614141123458',
      serial: '6789',
      ais: [
        { ai: '01', value: '80614141123458' },
        { ai: '21', value: '6789' },
      ],
      epc: {
        hex: '3074257BF7194E4000001A85',
        scheme: 'sgtin-96',
        tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789',
        filter: 3,
      },
    });
  });

  it('SGTIN-198: (01)70614141123451(21)32a/b', () => {
    // TDS Annex E: urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb = 3674257BF6B7A659B2C2BF1000...
    // (198 bits; the TDS prints the pure identity URI with item reference 812345, a known erratum:
    // the GTIN 70614141123451 gives 712345). Padded here to 13 words as a reader reports it.
    const hex = '3674257BF6B7A659B2C2BF100000000000000000000000000000';
    expect(identity(decode(hex))).toEqual({
      source: 'epc',
      scheme: 'sgtin',
      uri: 'urn:epc:id:sgtin:0614141.712345.32a%2Fb',
      digitalLink: 'https://id.gs1.org/01/70614141123451/21/32a%2Fb',
      gtin: '70614141123451',
      serial: '32a/b',
      ais: [
        { ai: '01', value: '70614141123451' },
        { ai: '21', value: '32a/b' },
      ],
      epc: { hex, scheme: 'sgtin-198', tagUri: 'urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb', filter: 3 },
    });
  });

  it('SSCC-96: (00)106141412345678908', () => {
    // TDS Annex E: urn:epc:tag:sscc-96:3.0614141.1234567890 = 3174257BF4499602D2000000.
    expect(identity(decode('3174257BF4499602D2000000'))).toEqual({
      source: 'epc',
      scheme: 'sscc',
      uri: 'urn:epc:id:sscc:0614141.1234567890',
      digitalLink: 'https://id.gs1.org/00/106141412345678908',
      sscc: '106141412345678908',
      ais: [{ ai: '00', value: '106141412345678908' }],
      epc: {
        hex: '3174257BF4499602D2000000',
        scheme: 'sscc-96',
        tagUri: 'urn:epc:tag:sscc-96:3.0614141.1234567890',
        filter: 3,
      },
    });
  });

  it('SGLN-96: (414)0614141123452(254)5678', () => {
    // TDS Annex E: urn:epc:tag:sgln-96:3.0614141.12345.5678 = 3274257BF46072000000162E.
    expect(identity(decode('3274257BF46072000000162E'))).toEqual({
      source: 'epc',
      scheme: 'sgln',
      uri: 'urn:epc:id:sgln:0614141.12345.5678',
      digitalLink: 'https://id.gs1.org/414/0614141123452/254/5678',
      gln: '0614141123452',
      glnExtension: '5678',
      ais: [
        { ai: '414', value: '0614141123452' },
        { ai: '254', value: '5678' },
      ],
      epc: {
        hex: '3274257BF46072000000162E',
        scheme: 'sgln-96',
        tagUri: 'urn:epc:tag:sgln-96:3.0614141.12345.5678',
        filter: 3,
      },
    });
  });

  it('SGLN-195: (414)0614141123452(254)32a/b', () => {
    // TDS Annex E: urn:epc:tag:sgln-195:3.0614141.12345.32a%2Fb = 3974257BF46072CD9615F88000... (195 bits).
    const hex = '3974257BF46072CD9615F8800000000000000000000000000000';
    expect(identity(decode(hex))).toEqual({
      source: 'epc',
      scheme: 'sgln',
      uri: 'urn:epc:id:sgln:0614141.12345.32a%2Fb',
      digitalLink: 'https://id.gs1.org/414/0614141123452/254/32a%2Fb',
      gln: '0614141123452',
      glnExtension: '32a/b',
      ais: [
        { ai: '414', value: '0614141123452' },
        { ai: '254', value: '32a/b' },
      ],
      epc: { hex, scheme: 'sgln-195', tagUri: 'urn:epc:tag:sgln-195:3.0614141.12345.32a%2Fb', filter: 3 },
    });
  });

  it('GRAI-96: (8003)006141411234525678', () => {
    // TDS Annex E: urn:epc:tag:grai-96:3.0614141.12345.5678 = 3374257BF40C0E400000162E.
    expect(identity(decode('3374257BF40C0E400000162E'))).toEqual({
      source: 'epc',
      scheme: 'grai',
      uri: 'urn:epc:id:grai:0614141.12345.5678',
      digitalLink: 'https://id.gs1.org/8003/006141411234525678',
      grai: '00614141123452',
      serial: '5678',
      ais: [{ ai: '8003', value: '006141411234525678' }],
      epc: {
        hex: '3374257BF40C0E400000162E',
        scheme: 'grai-96',
        tagUri: 'urn:epc:tag:grai-96:3.0614141.12345.5678',
        filter: 3,
      },
    });
  });

  it('GRAI-170: (8003)0061414112345232a/b', () => {
    // TDS Annex E: urn:epc:tag:grai-170:3.0614141.12345.32a%2Fb = 3774257BF40C0E59B2C2BF10000... (170 bits).
    const hex = '3774257BF40C0E59B2C2BF1000000000000000000000';
    expect(identity(decode(hex))).toEqual({
      source: 'epc',
      scheme: 'grai',
      uri: 'urn:epc:id:grai:0614141.12345.32a%2Fb',
      digitalLink: 'https://id.gs1.org/8003/0061414112345232a%2Fb',
      grai: '00614141123452',
      serial: '32a/b',
      ais: [{ ai: '8003', value: '0061414112345232a/b' }],
      epc: { hex, scheme: 'grai-170', tagUri: 'urn:epc:tag:grai-170:3.0614141.12345.32a%2Fb', filter: 3 },
    });
  });

  it('GIAI-96: (8004)06141415678', () => {
    // TDS Annex E: urn:epc:tag:giai-96:3.0614141.5678 = 3474257BF40000000000162E.
    expect(identity(decode('3474257BF40000000000162E'))).toEqual({
      source: 'epc',
      scheme: 'giai',
      uri: 'urn:epc:id:giai:0614141.5678',
      digitalLink: 'https://id.gs1.org/8004/06141415678',
      giai: '06141415678',
      ais: [{ ai: '8004', value: '06141415678' }],
      epc: {
        hex: '3474257BF40000000000162E',
        scheme: 'giai-96',
        tagUri: 'urn:epc:tag:giai-96:3.0614141.5678',
        filter: 3,
      },
    });
  });

  it('GIAI-202: (8004)061414132a/b', () => {
    // TDS Annex E: urn:epc:tag:giai-202:3.0614141.32a%2Fb = 3874257BF59B2C2BF10000... (202 bits).
    const hex = '3874257BF59B2C2BF10000000000000000000000000000000000';
    expect(identity(decode(hex))).toEqual({
      source: 'epc',
      scheme: 'giai',
      uri: 'urn:epc:id:giai:0614141.32a%2Fb',
      digitalLink: 'https://id.gs1.org/8004/061414132a%2Fb',
      giai: '061414132a/b',
      ais: [{ ai: '8004', value: '061414132a/b' }],
      epc: { hex, scheme: 'giai-202', tagUri: 'urn:epc:tag:giai-202:3.0614141.32a%2Fb', filter: 3 },
    });
  });

  it('GID-96: urn:epc:id:gid:31415.271828.1414', () => {
    // TDS Annex E: urn:epc:tag:gid-96:31415.271828.1414 = 350007AB70425D4000000586.
    expect(identity(decode('350007AB70425D4000000586'))).toEqual({
      source: 'epc',
      scheme: 'gid',
      uri: 'urn:epc:id:gid:31415.271828.1414',
      epc: {
        hex: '350007AB70425D4000000586',
        scheme: 'gid-96',
        tagUri: 'urn:epc:tag:gid-96:31415.271828.1414',
      },
    });
  });

  it.each([
    ['urn:epc:tag:sgtin-96:3.0614141.812345.6789', '3074257BF7194E4000001A85'],
    [
      'urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb',
      '3674257BF6B7A659B2C2BF100000000000000000000000000000',
    ],
    ['urn:epc:tag:sscc-96:3.0614141.1234567890', '3174257BF4499602D2000000'],
    ['urn:epc:tag:sgln-96:3.0614141.12345.5678', '3274257BF46072000000162E'],
    ['urn:epc:tag:sgln-195:3.0614141.12345.32a%2Fb', '3974257BF46072CD9615F8800000000000000000000000000000'],
    ['urn:epc:tag:grai-96:3.0614141.12345.5678', '3374257BF40C0E400000162E'],
    ['urn:epc:tag:grai-170:3.0614141.12345.32a%2Fb', '3774257BF40C0E59B2C2BF1000000000000000000000'],
    ['urn:epc:tag:giai-96:3.0614141.5678', '3474257BF40000000000162E'],
    ['urn:epc:tag:giai-202:3.0614141.32a%2Fb', '3874257BF59B2C2BF10000000000000000000000000000000000'],
    ['urn:epc:tag:gid-96:31415.271828.1414', '350007AB70425D4000000586'],
  ])('encodes %s as the TDS Annex E hex', (tagUri, hex) => {
    expect(hexOf(encodeTagUri(tagUri))).toBe(hex);
  });

  it('keeps encodeSgtin96 for the simulator (TDS Annex E SGTIN-96)', () => {
    const b = encodeSgtin96({ filter: 3, companyPrefix: '0614141', itemReference: '812345', serial: 6789 });
    expect(hexOf(b)).toBe('3074257BF7194E4000001A85');
    expect(
      hexOf(encodeSgtin96({ filter: 3, companyPrefix: '0614141', itemReference: '812345', serial: 6789n })),
    ).toBe('3074257BF7194E4000001A85');
    expect(() =>
      encodeSgtin96({ filter: 3, companyPrefix: '0614141', itemReference: '812345', serial: 2 ** 38 }),
    ).toThrow(TypeError);
    expect(() =>
      encodeSgtin96({ filter: 3, companyPrefix: '0614141', itemReference: '12345', serial: 1 }),
    ).toThrow(TypeError);
  });
});

describe('every partition (TDS §14 layout)', () => {
  // The 12 digits after the GTIN's indicator digit (or the SSCC's extension digit) split at each
  // company prefix length 12..6 (partition 0..6): the GS1 key is the same, the EPC URI differs.
  const BODY = '061414112345';
  const partitions = [0, 1, 2, 3, 4, 5, 6].map((p) => ({
    p,
    cp: BODY.slice(0, 12 - p),
    rest: BODY.slice(12 - p),
  }));

  it.each(partitions)('SGTIN-96 partition $p', ({ p, cp, rest }) => {
    const hex = pack(
      [0x30, 8],
      [1, 3],
      [p, 3],
      [BigInt(cp), CP_BITS[p]!],
      [BigInt(`8${rest}`), 44 - CP_BITS[p]!],
      [6789, 38],
    );
    const id = identity(decode(hex));
    expect(id.uri).toBe(`urn:epc:id:sgtin:${cp}.8${rest}.6789`);
    expect(id.epc?.tagUri).toBe(`urn:epc:tag:sgtin-96:1.${cp}.8${rest}.6789`);
    expect(id.gtin).toBe('80614141123458');
    expect(hexOf(encodeTagUri(id.epc!.tagUri!))).toBe(hex);
  });

  it.each(partitions)('SSCC-96 partition $p', ({ p }) => {
    // (00)106141412345678908: extension digit 1, body 0614141234567890.
    const body = '0614141234567890';
    const c = body.slice(0, 12 - p);
    const sr = `1${body.slice(12 - p)}`;
    const hex = pack(
      [0x31, 8],
      [2, 3],
      [p, 3],
      [BigInt(c), CP_BITS[p]!],
      [BigInt(sr), 58 - CP_BITS[p]!],
      [0, 24],
    );
    const id = identity(decode(hex));
    expect(id.uri).toBe(`urn:epc:id:sscc:${c}.${sr}`);
    expect(id.sscc).toBe('106141412345678908');
    expect(sr.length).toBe(5 + p);
    expect(hexOf(encodeTagUri(id.epc!.tagUri!))).toBe(hex);
  });

  it.each(partitions)('SGLN-96 partition $p (a 0-digit location reference is empty)', ({ p, cp, rest }) => {
    const hex = pack(
      [0x32, 8],
      [0, 3],
      [p, 3],
      [BigInt(cp), CP_BITS[p]!],
      [rest === '' ? 0 : BigInt(rest), 41 - CP_BITS[p]!],
      [5678, 41],
    );
    const id = identity(decode(hex));
    expect(id.uri).toBe(`urn:epc:id:sgln:${cp}.${rest}.5678`);
    expect(id.gln).toBe('0614141123452');
    expect(id.digitalLink).toBe('https://id.gs1.org/414/0614141123452/254/5678');
    expect(hexOf(encodeTagUri(id.epc!.tagUri!))).toBe(hex);
  });

  it.each(partitions)('GRAI-96 partition $p (a 0-digit asset type is empty)', ({ p, cp, rest }) => {
    const hex = pack(
      [0x33, 8],
      [0, 3],
      [p, 3],
      [BigInt(cp), CP_BITS[p]!],
      [rest === '' ? 0 : BigInt(rest), 44 - CP_BITS[p]!],
      [5678, 38],
    );
    const id = identity(decode(hex));
    expect(id.uri).toBe(`urn:epc:id:grai:${cp}.${rest}.5678`);
    expect(id.grai).toBe('00614141123452');
    expect(id.ais).toEqual([{ ai: '8003', value: '006141411234525678' }]);
    expect(hexOf(encodeTagUri(id.epc!.tagUri!))).toBe(hex);
  });

  it.each(partitions)('GIAI-96 partition $p', ({ p, cp, rest }) => {
    // GIAI 0614141123455678: the asset reference is an integer (no leading zeros), up to 62 bits.
    const ref = `${rest}5678`.replace(/^0+/, '');
    const hex = pack([0x34, 8], [0, 3], [p, 3], [BigInt(cp), CP_BITS[p]!], [BigInt(ref), 82 - CP_BITS[p]!]);
    const id = identity(decode(hex));
    expect(id.uri).toBe(`urn:epc:id:giai:${cp}.${ref}`);
    expect(id.giai).toBe(`${cp}${ref}`);
    expect(hexOf(encodeTagUri(id.epc!.tagUri!))).toBe(hex);
  });

  it('GIAI-96 asset references beyond 2^53 are exact', () => {
    // Partition 6: 62-bit asset reference; 2^62 - 1 = 4611686018427387903 (19 digits, the most allowed).
    const hex = pack([0x34, 8], [0, 3], [6, 3], [614141, 20], [2n ** 62n - 1n, 62]);
    expect(identity(decode(hex)).uri).toBe('urn:epc:id:giai:614141.4611686018427387903');
  });

  it.each(partitions)('GIAI-202 partition $p', ({ p, cp }) => {
    const refBits = [148, 151, 154, 158, 161, 164, 168][p]!;
    const max = 18 + p;
    const ref = 'A/b'.padEnd(max, 'x');
    const hex = pack([0x38, 8], [0, 3], [p, 3], [BigInt(cp), CP_BITS[p]!], [ref, refBits]);
    const id = identity(decode(hex));
    expect(id.uri).toBe(`urn:epc:id:giai:${cp}.A%2Fb${'x'.repeat(max - 3)}`);
    expect(id.giai).toBe(`${cp}${ref}`);
    // One character more than the partition allows is an overflow (when the bits can hold it).
    if ((max + 1) * 7 <= refBits) {
      const long = pack([0x38, 8], [0, 3], [p, 3], [BigInt(cp), CP_BITS[p]!], [`${ref}x`, refBits]);
      expect(message(decode(long))).toBe(
        `GIAI-202 asset reference is longer than ${max} characters: ${long}`,
      );
    }
  });

  it.each(partitions)('SGTIN-198, SGLN-195 and GRAI-170 partition $p', ({ p, cp, rest }) => {
    const sgtin = pack(
      [0x36, 8],
      [0, 3],
      [p, 3],
      [BigInt(cp), CP_BITS[p]!],
      [BigInt(`8${rest}`), 44 - CP_BITS[p]!],
      ['ABC', 140],
    );
    expect(identity(decode(sgtin)).uri).toBe(`urn:epc:id:sgtin:${cp}.8${rest}.ABC`);
    const sgln = pack(
      [0x39, 8],
      [0, 3],
      [p, 3],
      [BigInt(cp), CP_BITS[p]!],
      [rest === '' ? 0 : BigInt(rest), 41 - CP_BITS[p]!],
      ['ABC', 140],
    );
    expect(identity(decode(sgln)).uri).toBe(`urn:epc:id:sgln:${cp}.${rest}.ABC`);
    const grai = pack(
      [0x37, 8],
      [0, 3],
      [p, 3],
      [BigInt(cp), CP_BITS[p]!],
      [rest === '' ? 0 : BigInt(rest), 44 - CP_BITS[p]!],
      ['ABC', 112],
    );
    expect(identity(decode(grai)).uri).toBe(`urn:epc:id:grai:${cp}.${rest}.ABC`);
  });
});

describe('rejects', () => {
  it.each([
    ['SGTIN-96', 0x30, 96],
    ['SGTIN-198', 0x36, 198],
    ['SSCC-96', 0x31, 96],
    ['SGLN-96', 0x32, 96],
    ['SGLN-195', 0x39, 195],
    ['GRAI-96', 0x33, 96],
    ['GRAI-170', 0x37, 170],
    ['GIAI-96', 0x34, 96],
    ['GIAI-202', 0x38, 202],
  ])('%s partition 7 is undefined', (scheme, header, bits) => {
    const hex = pack([header, 8], [3, 3], [7, 3], [0, bits - 14]);
    const r = decode(hex);
    expect(code(r)).toBe('epc-partition');
    expect(message(r)).toBe(`${scheme} partition 7 is undefined: ${hex}`);
  });

  it('rejects a field that needs more digits than its partition allows', () => {
    // SGTIN-96 partition 5: 6-digit item reference in 20 bits; 1000000 needs 7.
    const ir = decode(pack([0x30, 8], [3, 3], [5, 3], [614141, 24], [1_000_000, 20], [1, 38]));
    expect(code(ir)).toBe('epc-field-overflow');
    expect(message(ir)).toContain(
      'SGTIN-96 item reference 1000000 does not fit the 6 digits partition 5 gives it',
    );
    // Partition 0: a 12-digit company prefix in 40 bits; 2^40 - 1 needs 13.
    const cp = decode(pack([0x30, 8], [3, 3], [0, 3], [2 ** 40 - 1, 40], [0, 4], [1, 38]));
    expect(message(cp)).toContain('SGTIN-96 company prefix 1099511627775 does not fit the 12 digits');
    // SGTIN partition 0: the 4-bit item reference holds one digit; 10 does not fit.
    expect(code(decode(pack([0x30, 8], [3, 3], [0, 3], [61414112345, 40], [10, 4], [1, 38])))).toBe(
      'epc-field-overflow',
    );
    // SSCC-96 partition 5: 10-digit serial reference in 34 bits.
    expect(code(decode(pack([0x31, 8], [3, 3], [5, 3], [614141, 24], [10_000_000_000, 34], [0, 24])))).toBe(
      'epc-field-overflow',
    );
    // GRAI-96 / SGLN-96 partition 0: the 0-digit asset type / location reference must be 0.
    expect(code(decode(pack([0x33, 8], [0, 3], [0, 3], [61414112345, 40], [1, 4], [5678, 38])))).toBe(
      'epc-field-overflow',
    );
    expect(code(decode(pack([0x32, 8], [0, 3], [0, 3], [61414112345, 40], [1, 1], [5678, 41])))).toBe(
      'epc-field-overflow',
    );
  });

  it('rejects an SSCC-96 whose 24 reserved bits are not zero (TDS §14.5.2: reserved, zero)', () => {
    const r = decode('3174257BF4499602D2000001');
    expect(code(r)).toBe('epc-field-overflow');
    expect(message(r)).toBe('SSCC-96 reserved bits 72-95 are not zero: 3174257BF4499602D2000001');
  });

  it.each([
    ['~', 0x7e],
    ['space', 0x20],
    ['#', 0x23],
    ['$', 0x24],
    ['@', 0x40],
    ['[', 0x5b],
    ['\\', 0x5c],
    ['`', 0x60],
    ['{', 0x7b],
    ['DEL', 0x7f],
    ['a control character', 0x01],
  ])('rejects a 7-bit character outside GS1 character set 82: %s', (_name, c) => {
    // SGTIN-198 serial "AB" + the character.
    const hex = pack(
      [0x36, 8],
      [3, 3],
      [5, 3],
      [614141, 24],
      [812345, 20],
      [0x41, 7],
      [0x42, 7],
      [c, 7],
      [0, 126],
    );
    const r = decode(hex);
    expect(code(r)).toBe('epc-bad-character');
    expect(message(r)).toBe(
      `SGTIN-198 serial: character 0x${c.toString(16).toUpperCase().padStart(2, '0')} at position 3 is not in GS1 character set 82: ${hex}`,
    );
  });

  it('reads a 7-bit string to its first zero character and needs only zeros after it', () => {
    const ok = pack([0x37, 8], [3, 3], [5, 3], [614141, 24], [12345, 20], ['AB', 112]);
    expect(identity(decode(ok)).serial).toBe('AB');
    const after = pack([0x37, 8], [3, 3], [5, 3], [614141, 24], [12345, 20], ['AB', 21], ['C', 91]);
    expect(code(decode(after))).toBe('epc-bad-character');
    expect(message(decode(after))).toContain(
      'GRAI-170 serial: bits after its terminating zero character are not zero',
    );
    const empty = pack([0x37, 8], [3, 3], [5, 3], [614141, 24], [12345, 20], ['', 112]);
    expect(message(decode(empty))).toBe(`GRAI-170 serial is empty: ${empty}`);
    // The longest: 20 characters fill SGTIN-198's 140 bits with no terminator.
    const full = pack([0x36, 8], [3, 3], [5, 3], [614141, 24], [812345, 20], ['ABCDEFGHIJ0123456789', 140]);
    expect(identity(decode(full)).serial).toBe('ABCDEFGHIJ0123456789');
  });

  it('rejects an EPC shorter than its scheme: scheme, bits needed, bits given, hex', () => {
    const r = decode('3074257BF7194E4000001A');
    expect(code(r)).toBe('epc-truncated');
    expect(message(r)).toBe('SGTIN-96 needs 96 bits, got 88: 3074257BF7194E4000001A');
    expect(message(decode('30'))).toBe('SGTIN-96 needs 96 bits, got 8: 30');
    // SGTIN-198 in 12 words (192 bits) is 6 bits short.
    expect(message(decode('3674257BF6B7A659B2C2BF10000000000000000000000000'))).toBe(
      'SGTIN-198 needs 198 bits, got 192: 3674257BF6B7A659B2C2BF10000000000000000000000000',
    );
    expect(code(decode('3774257BF40C0E59B2C2BF10000000000000000000'))).toBe('epc-truncated');
    expect(code(decode('3874257BF59B2C2BF10000000000000000000000000000000000'.slice(0, 48)))).toBe(
      'epc-truncated',
    );
  });

  it('names the EPC schemes it does not decode', () => {
    // TDS Annex E: urn:epc:tag:gdti-96:3.0614141.12345.5678 = 2C74257BF46072000000162E.
    const r = decode('2C74257BF46072000000162E');
    expect(code(r)).toBe('epc-scheme-unsupported');
    expect(message(r)).toBe(
      'EPC header 0x2C is GDTI-96, an EPC scheme readpoint does not decode: 2C74257BF46072000000162E',
    );
    expect(message(decode('F73095212341234538566CB0AFC4'))).toContain('is SGTIN+,');
    expect(message(decode('3F74F4E4E612640000019907'))).toContain('is SGCN-96,');
  });

  it('rejects no data as empty', () => {
    expect(code(decodeEpc(Buffer.alloc(0)))).toBe('empty');
    expect(code(decode('3074257BF7194E4000001A85', 0x0000))).toBe('empty');
  });
});

describe('SGLN extension 0 and %-escaping', () => {
  it('an SGLN extension of 0 is the GLN without extension (TDS §7.5: no AI 254)', () => {
    // (414)0614141123452 alone = urn:epc:id:sgln:0614141.12345.0.
    const hex = pack([0x32, 8], [0, 3], [5, 3], [614141, 24], [12345, 17], [0, 41]);
    expect(identity(decode(hex))).toEqual({
      source: 'epc',
      scheme: 'sgln',
      uri: 'urn:epc:id:sgln:0614141.12345.0',
      digitalLink: 'https://id.gs1.org/414/0614141123452',
      gln: '0614141123452',
      ais: [{ ai: '414', value: '0614141123452' }],
      epc: { hex, scheme: 'sgln-96', tagUri: 'urn:epc:tag:sgln-96:0.0614141.12345.0', filter: 0 },
    });
    // SGLN-195 names the same SGLN by the same URI, so its extension "0" means the same.
    const long = pack([0x39, 8], [0, 3], [5, 3], [614141, 24], [12345, 17], ['0', 140]);
    expect(identity(decode(long))).toMatchObject({
      uri: 'urn:epc:id:sgln:0614141.12345.0',
      digitalLink: 'https://id.gs1.org/414/0614141123452',
    });
    expect(identity(decode(long)).glnExtension).toBeUndefined();
    // Partition 0: no location reference digits.
    const p0 = pack([0x32, 8], [0, 3], [0, 3], [61414112345, 40], [0, 1], [0, 41]);
    expect(identity(decode(p0))).toMatchObject({
      uri: 'urn:epc:id:sgln:061414112345..0',
      gln: '0614141123452',
    });
  });

  it('escapes " % & / < > ? in EPC URIs and all but A-Z a-z 0-9 - . _ in Digital Link URIs', () => {
    const serial = `"%&/<>?!'()*+,-.:;=_`;
    const hex = pack([0x36, 8], [1, 3], [5, 3], [614141, 24], [812345, 20], [serial, 140]);
    const id = identity(decode(hex));
    expect(id.serial).toBe(serial);
    expect(id.uri).toBe("urn:epc:id:sgtin:0614141.812345.%22%25%26%2F%3C%3E%3F!'()*+,-.:;=_");
    expect(id.digitalLink).toBe(
      'https://id.gs1.org/01/80614141123458/21/%22%25%26%2F%3C%3E%3F%21%27%28%29%2A%2B%2C-.%3A%3B%3D_',
    );
    expect(id.epc?.tagUri).toBe("urn:epc:tag:sgtin-198:1.0614141.812345.%22%25%26%2F%3C%3E%3F!'()*+,-.:;=_");
    expect(hexOf(encodeTagUri(id.epc!.tagUri!))).toBe(hex);
  });

  it('writes 96-bit integer serials without leading zeros', () => {
    expect(
      identity(decode(pack([0x30, 8], [3, 3], [5, 3], [614141, 24], [812345, 20], [0, 38]))).serial,
    ).toBe('0');
    expect(
      identity(decode(pack([0x30, 8], [3, 3], [5, 3], [614141, 24], [812345, 20], [2 ** 38 - 1, 38]))).uri,
    ).toBe('urn:epc:id:sgtin:0614141.812345.274877906943');
    expect(() =>
      encodeEpc({
        scheme: 'sgtin-96',
        filter: 3,
        companyPrefix: '0614141',
        itemReference: '812345',
        serial: '0789',
      }),
    ).toThrow(TypeError);
  });
});

describe('padding and the PC word', () => {
  const SGTIN = '3074257BF7194E4000001A85';

  it('ignores padding words beyond the scheme and leaves them out of the hex', () => {
    const id = identity(decode(`${SGTIN}FFFF0000`));
    expect(id.uri).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    expect(id.epc?.hex).toBe(SGTIN);
    // SGTIN-198 given as 25 bytes: the hex is its 13 words as a reader reports them.
    expect(identity(decode('3674257BF6B7A659B2C2BF1000000000000000000000000000')).epc?.hex).toBe(
      '3674257BF6B7A659B2C2BF100000000000000000000000000000',
    );
  });

  it('reads only the words the PC word gives: longer data is ignored, a shorter EPC is truncated', () => {
    expect(identity(decode(`${SGTIN}FFFF`, 0x3000)).epc?.hex).toBe(SGTIN);
    expect(identity(decode(SGTIN, 0x4000)).uri).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    const short = decode(`${SGTIN}FFFF`, 0x2800);
    expect(code(short)).toBe('epc-truncated');
    expect(message(short)).toBe(
      'SGTIN-96 needs 96 bits, got 80 (PC word 0x2800: 5 words): 3074257BF7194E400000',
    );
    const s198 = '3674257BF6B7A659B2C2BF100000000000000000000000000000';
    expect(identity(decode(s198, 0x6800)).serial).toBe('32a/b');
    expect(code(decode(s198, 0x6000))).toBe('epc-truncated');
    // The PC word's other bits (UMI, XI, attributes) do not matter.
    expect(identity(decode(SGTIN, 0x3400 | 0x0200 | 0x0001)).uri).toBe(
      'urn:epc:id:sgtin:0614141.812345.6789',
    );
  });

  it("the PC word's length limits a raw EPC too", () => {
    expect(identity(decode('E2801160600002084A7C2E7F0011', 0x3000)).uri).toBe(
      'urn:epc:raw:96.xE2801160600002084A7C2E7F',
    );
  });

  it('a PC toggle bit of 1 means an ISO UII, not an EPC: raw, with the AFI (TDS §12.3.2)', () => {
    expect(identity(decode(SGTIN, 0x31c1))).toEqual({
      source: 'epc',
      scheme: 'raw',
      uri: `urn:epc:raw:96.xC1.x${SGTIN}`,
      epc: { hex: SGTIN, scheme: 'raw', nonGs1: true },
    });
  });
});

describe('non-GS1 EPCs', () => {
  it('keeps a factory EPC as raw hex, flagged', () => {
    expect(identity(decode('E2801160600002084A7C2E7F'))).toEqual({
      source: 'epc',
      scheme: 'raw',
      uri: 'urn:epc:raw:96.xE2801160600002084A7C2E7F',
      epc: { hex: 'E2801160600002084A7C2E7F', scheme: 'raw', nonGs1: true },
    });
  });

  it('all zeros and short odd lengths too', () => {
    expect(identity(decode('000000000000000000000000')).uri).toBe('urn:epc:raw:96.x000000000000000000000000');
    expect(identity(decode('E28011')).uri).toBe('urn:epc:raw:24.xE28011');
    expect(identity(decode('AD')).epc).toEqual({ hex: 'AD', scheme: 'raw', nonGs1: true });
  });
});

describe('encoder', () => {
  it('parses tag URIs with their escapes', () => {
    expect(parseTagUri('urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb.c')).toEqual({
      scheme: 'sgtin-198',
      filter: 3,
      companyPrefix: '0614141',
      itemReference: '712345',
      serial: '32a/b.c',
    });
    expect(parseTagUri('urn:epc:tag:sgln-96:0.061414112345..0')).toEqual({
      scheme: 'sgln-96',
      filter: 0,
      companyPrefix: '061414112345',
      locationReference: '',
      extension: '0',
    });
  });

  it('writes every integer field bit for bit at its edges, and refuses one more than fits', () => {
    // Company prefix 12 digits (partition 0: 40 bits) and 6 digits (partition 6: 20 bits).
    for (const [cp, p, cpBits, ir, irBits] of [
      ['061414112345', 0, 40, '1', 4],
      ['999999', 6, 20, '9999999', 24],
    ] as const) {
      for (const serial of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 38 - 1]) {
        const f = { scheme: 'sgtin-96', filter: 5, companyPrefix: cp, itemReference: ir } as const;
        const want = pack(
          [0x30, 8],
          [5, 3],
          [p, 3],
          [Number(cp), cpBits],
          [Number(ir), irBits],
          [serial, 38],
        );
        expect(hexOf(encodeEpc({ ...f, serial: `${serial}` }))).toBe(want);
        expect(hexOf(encodeSgtin96({ ...f, serial }))).toBe(want);
        expect(hexOf(encodeSgtin96({ ...f, serial: BigInt(serial) }))).toBe(want);
      }
    }
    const gid = (manager: string, objectClass: string, serial: string) =>
      hexOf(encodeEpc({ scheme: 'gid-96', manager, objectClass, serial }));
    expect(gid(`${2 ** 28 - 1}`, `${2 ** 24 - 1}`, `${2 ** 36 - 1}`)).toBe(
      pack([0x35, 8], [2 ** 28 - 1, 28], [2 ** 24 - 1, 24], [2 ** 36 - 1, 36]),
    );
    expect(() => gid(`${2 ** 28}`, '1', '1')).toThrow(
      'general manager number 268435456 does not fit 28 bits',
    );
    expect(() => gid('1', '1', '99999999999999999999999')).toThrow(
      'serial 99999999999999999999999 does not fit 36 bits',
    );
    expect(() =>
      encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: -1 }),
    ).toThrow('serial -1 is not a non-negative integer');
    expect(() =>
      encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: 0.5 }),
    ).toThrow('serial 0.5 is not a non-negative integer');
  });

  it.each([
    ['urn:epc:tag:sgtin-96:8.0614141.812345.6789', 'filter'],
    ['urn:epc:tag:sgtin-96:3.0614141.81234.6789', 'item reference'],
    ['urn:epc:tag:sgtin-96:3.06141.8123456.6789', 'company prefix'],
    ['urn:epc:tag:sgtin-96:3.0614141.812345.274877906944', 'does not fit 38 bits'],
    ['urn:epc:tag:sgtin-198:3.0614141.812345.a~b', 'character set 82'],
    ['urn:epc:tag:sgtin-198:3.0614141.812345.%7E', 'bad escape'],
    ['urn:epc:tag:sgtin-198:3.0614141.812345.ABCDEFGHIJ01234567890', '1-20 characters'],
    ['urn:epc:tag:giai-202:3.061414112345.ABCDEFGHIJ012345678', '1-18 characters'],
    ['urn:epc:tag:sgln-96:3.0614141.12345.2199023255552', 'does not fit 41 bits'],
    ['urn:epc:tag:gdti-96:3.0614141.12345.5678', 'unknown'],
  ])('refuses %s', (uri, why) => {
    expect(() => encodeTagUri(uri)).toThrow(why);
  });
});
