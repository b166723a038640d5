/**
 * The identity decoder against vectors from the public standards (source named on each) and
 * against properties: round trips and arbitrary bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gs1CheckDigit } from '../../../daemon/identity/check-digit.js';
import { decodeRead, decodeText } from '../../../daemon/identity/decode.js';
import { fullYear } from '../../../daemon/identity/element-string.js';
import { SGTIN_PARTITIONS } from '../../../daemon/identity/epc.js';
import { encodeSgtin96 } from '../../../daemon/identity/epc-encode.js';
import type { DecodeResult, ReaderFormat } from '../../../daemon/identity/identity.js';

const code = (r: DecodeResult) => (r.ok ? 'ok' : r.reject.code);
const identity = (r: DecodeResult) => {
  if (!r.ok) throw new Error(`expected an identity, got ${r.reject.code}: ${r.reject.message}`);
  return r.identity;
};
const barcode = (text: string, format: ReaderFormat = { data: 'aim', plainSerial: [] }) =>
  decodeRead({ kind: 'barcode', data: Buffer.from(text, 'latin1') }, format);
const epc = (hex: string) =>
  decodeRead({ kind: 'epc', data: Buffer.from(hex, 'hex') }, { data: 'aim', plainSerial: [] });

describe('check digits', () => {
  it('match the GS1 General Specifications examples', () => {
    // GS1 General Specifications, check digit calculation: GTIN-13 629104150021 -> 3.
    expect(gs1CheckDigit('629104150021')).toBe(3);
    // GS1's example GTIN 09506000134352 and SSCC 106141411234567897 (General Specifications figures).
    expect(gs1CheckDigit('0950600013435')).toBe(2);
    expect(gs1CheckDigit('10614141123456789')).toBe(7);
  });
});

describe('GS1 element strings behind AIM ids', () => {
  it('decodes a serialized GS1 DataMatrix: GTIN, serial, lot, expiry and the Digital Link', () => {
    const id = identity(barcode(']d2010950600013435221SN0042\x1d1727123110LOT7'));
    expect(id).toMatchObject({
      source: 'gs1-element-string',
      aim: ']d2',
      gtin: '09506000134352',
      serial: 'SN0042',
      lot: 'LOT7',
      expiry: '2027-12-31',
      uri: 'https://id.gs1.org/01/09506000134352/21/SN0042',
      digitalLink: 'https://id.gs1.org/01/09506000134352/10/LOT7/21/SN0042?17=271231',
    });
    expect(id.ais).toEqual([
      { ai: '01', value: '09506000134352' },
      { ai: '21', value: 'SN0042' },
      { ai: '17', value: '271231' },
      { ai: '10', value: 'LOT7' },
    ]);
  });

  it('reads the same unit behind ]C1, ]Q3, ]e0 and ]J1', () => {
    for (const aim of [']C1', ']Q3', ']e0', ']J1']) {
      expect(identity(barcode(`${aim}010950600013435221X9`)).uri).toBe(
        'https://id.gs1.org/01/09506000134352/21/X9',
      );
    }
  });

  it('decodes an SSCC (GS1 General Specifications example 106141411234567897)', () => {
    expect(identity(barcode(']C100106141411234567897'))).toMatchObject({
      sscc: '106141411234567897',
      uri: 'https://id.gs1.org/00/106141411234567897',
    });
  });

  it('takes day 00 as the last day of the month, and knows leap years', () => {
    expect(identity(barcode(']d2010950600013435221A\x1d17280200')).expiry).toBe('2028-02-29');
    expect(code(barcode(']d2010950600013435221A\x1d17270229'))).toBe('bad-date');
    expect(code(barcode(']d2010950600013435221A\x1d17271301'))).toBe('bad-date');
  });

  it('follows the separator rule (IDENTIFIERS.md reference behaviour)', () => {
    // A needless GS after a predefined-length AI, and a trailing GS, are accepted.
    expect(identity(barcode(']d20109506000134352\x1d21ABC\x1d')).serial).toBe('ABC');
    // A missing GS after a variable-length AI makes the value swallow the next AI.
    expect(code(barcode(']d2010950600013435210ABC21SER'))).toBe('not-serialized');
    expect(code(barcode(']d20109506000134352\x1d\x1d21A'))).toBe('empty-element');
    expect(code(barcode(']d2010950600013435221A\x1d\x1d10B'))).toBe('empty-element');
    expect(code(barcode(']d2\x1d010950600013435221A'))).toBe('gs-at-start');
    expect(code(barcode(']d2010950600013435221A^B'))).toBe('bad-character');
    expect(code(barcode(']d2230950600013435221A'))).toBe('unknown-ai');
  });

  it('rejects wrong check digits, bad characters and lengths', () => {
    expect(code(barcode(']d2010950600013435321A'))).toBe('check-digit');
    expect(code(barcode(']C100106141411234567890'))).toBe('check-digit');
    expect(code(barcode(']d20109506000134352\x1d21A B'))).toBe('bad-character');
    expect(code(barcode(`]d2010950600013435221${'A'.repeat(21)}`))).toBe('too-long');
    expect(code(barcode(']d2010950600013'))).toBe('too-short');
    expect(code(barcode(']d2010950600013435X21A'))).toBe('not-numeric');
  });

  it('applies the association rules', () => {
    expect(code(barcode(']d2010950600013435202095060001343523712'))).toBe('ai-conflict');
    expect(code(barcode(']d221ABC'))).toBe('ai-missing');
    expect(code(barcode(']d210ABC'))).toBe('ai-missing');
    expect(code(barcode(']d20109506000134352'))).toBe('not-serialized');
  });

  it('percent-encodes serial characters in the URIs', () => {
    expect(identity(barcode(']d2010950600013435221A/B%C?')).uri).toBe(
      'https://id.gs1.org/01/09506000134352/21/A%2FB%25C%3F',
    );
  });

  it('uses GS1 sliding century window for two-digit years', () => {
    // GS1 General Specifications 7.12: YY - this YY >= 51 -> previous century; > -50 -> this one.
    expect(fullYear(76, 2026)).toBe(2076);
    expect(fullYear(77, 2026)).toBe(1977);
    expect(fullYear(26, 2026)).toBe(2026);
    expect(fullYear(99, 2060)).toBe(2099);
    expect(fullYear(5, 2060)).toBe(2105);
  });
});

describe('other symbologies and plain serials', () => {
  it('reads EAN-13 / UPC-A / EAN-8 / ITF-14 as GTINs without a serial (not a unit)', () => {
    // EAN-13 4006381333931 (a widely published retail example).
    expect(barcode(']E04006381333931')).toMatchObject({ ok: false, reject: { code: 'not-serialized' } });
    expect(code(barcode(']E04006381333932'))).toBe('check-digit');
    expect(code(barcode(']E0036000291452'))).toBe('not-serialized'); // UPC-A 036000291452, 12 digits
    expect(code(barcode(']I110614141000019'))).toBe('not-serialized'); // ITF-14
    expect(code(barcode(']I11234'))).toBe('bad-length');
  });

  it('turns non-GS1 serials into URIs with the reader pattern', () => {
    const format: ReaderFormat = {
      data: 'aim',
      plainSerial: [{ pattern: 'SN-(?<serial>[A-Z0-9]{7})', uri: 'urn:example:sn:{serial}' }],
    };
    expect(identity(barcode(']C0SN-AB12345', format))).toMatchObject({
      source: 'plain-serial',
      uri: 'urn:example:sn:AB12345',
      serial: 'AB12345',
      aim: ']C0',
    });
    expect(identity(barcode('SN-AB12345', format)).uri).toBe('urn:example:sn:AB12345');
    expect(code(barcode('SN-AB1234', format))).toBe('no-aim-id');
    expect(code(barcode(']C0XYZ', format))).toBe('unrecognised');
    const bad: ReaderFormat = { data: 'text', plainSerial: [{ pattern: '(?<x>.+)', uri: '{x}' }] };
    expect(code(barcode('not a uri', bad))).toBe('pattern-uri');
  });

  it('reads element strings without an AIM id when the reader says gs1', () => {
    expect(identity(barcode('010950600013435221Q1', { data: 'gs1', plainSerial: [] })).serial).toBe('Q1');
    expect(code(barcode('010950600013435221Q1'))).toBe('no-aim-id');
  });

  it('rejects control bytes and empty reads', () => {
    expect(code(barcode(']d201095060001343\u000052'))).toBe('non-printable');
    expect(code(barcode(''))).toBe('empty');
  });
});

describe('EPC binary (Tag Data Standard)', () => {
  it('decodes the TDS SGTIN-96 example', () => {
    // GS1 Tag Data Standard: 3074257BF7194E4000001A85 = urn:epc:tag:sgtin-96:3.0614141.812345.6789, GTIN 80614141123458.
    expect(identity(epc('3074257BF7194E4000001A85'))).toMatchObject({
      source: 'epc',
      uri: 'urn:epc:id:sgtin:0614141.812345.6789',
      gtin: '80614141123458',
      serial: '6789',
      digitalLink: 'https://id.gs1.org/01/80614141123458/21/6789',
      epc: { tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789', filter: 3, scheme: 'sgtin-96' },
    });
  });

  it('ignores trailing padding words and rejects short input', () => {
    expect(identity(epc('3074257BF7194E4000001A850000')).uri).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    expect(code(epc('3074257BF7194E4000001A'))).toBe('epc-truncated');
  });

  it('rejects partition 7, field overflow, other schemes and non-GS1 EPCs', () => {
    const p7 = Buffer.from('3074257BF7194E4000001A85', 'hex');
    p7[1] = (p7[1]! & 0xe3) | (7 << 2);
    expect(code(decodeRead({ kind: 'epc', data: p7 }, { data: 'aim', plainSerial: [] }))).toBe(
      'epc-partition',
    );
    // Partition 5: a 7-digit company prefix in 24 bits; all ones (16777215) needs 8 digits.
    const overflow = Buffer.from(
      `30${((0 << 5) | (5 << 2) | 3).toString(16).padStart(2, '0')}FFFFFC000000000000000000`.slice(0, 24),
      'hex',
    );
    expect(code(decodeRead({ kind: 'epc', data: overflow }, { data: 'aim', plainSerial: [] }))).toBe(
      'epc-field-overflow',
    );
    expect(code(epc('3114257BF7194E4000001A85'))).toBe('epc-scheme-unsupported');
    expect(epc('E2801160600002084A7C2E7F')).toMatchObject({ ok: false, reject: { code: 'epc-not-gs1' } });
    expect(code(epc('000000000000000000000000'))).toBe('epc-not-gs1');
  });

  it('decodeText reads bare EPC hex and \\x escapes', () => {
    expect(identity(decodeText('3074257bf7194e4000001a85')).serial).toBe('6789');
    expect(identity(decodeText(']d2010950600013435221A\\x1d10B')).lot).toBe('B');
    expect(code(decodeText('30XX', { data: 'epc' }))).toBe('epc-hex');
  });
});

describe('properties', () => {
  it('every SGTIN-96 partition round-trips encode -> decode', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 7 }),
        fc.bigInt({ min: 0n, max: (1n << 38n) - 1n }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (partition, filter, serial, a, b) => {
          const p = SGTIN_PARTITIONS[partition]!;
          const cp = String(Math.floor(a * 10 ** p.cpDigits))
            .padStart(p.cpDigits, '0')
            .slice(0, p.cpDigits);
          const ir = String(Math.floor(b * 10 ** p.irDigits))
            .padStart(p.irDigits, '0')
            .slice(0, p.irDigits);
          const id = identity(
            decodeRead(
              { kind: 'epc', data: encodeSgtin96({ filter, companyPrefix: cp, itemReference: ir, serial }) },
              { data: 'aim', plainSerial: [] },
            ),
          );
          expect(id.uri).toBe(`urn:epc:id:sgtin:${cp}.${ir}.${serial}`);
          expect(id.epc?.filter).toBe(filter);
          const gtin13 = ir.slice(0, 1) + cp + ir.slice(1);
          expect(id.gtin).toBe(gtin13 + gs1CheckDigit(gtin13));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('generated element strings with separators parse back to their AIs', () => {
    const cset82 = fc.constantFrom(
      ...'!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'.split(''),
    );
    const text = (max: number) => fc.array(cset82, { minLength: 1, maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{13}$/),
        text(20),
        text(20),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
        fc.boolean(),
        (g, serial, lot, month, day, lotFirst) => {
          const gtin = g + gs1CheckDigit(g);
          const date = `30${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
          const tail = lotFirst ? `10${lot}\x1d21${serial}` : `21${serial}\x1d10${lot}`;
          const id = identity(barcode(`]d201${gtin}17${date}${tail}`));
          expect(id).toMatchObject({ gtin, serial, lot });
          expect(id.ais?.map((e) => e.ai)).toEqual(['01', '17', ...(lotFirst ? ['10', '21'] : ['21', '10'])]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('arbitrary bytes never throw and always give an identity or a reject code', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.constantFrom('barcode', 'epc'),
        fc.constantFrom('aim', 'gs1', 'epc', 'text'),
        (bytes, kind, data) => {
          const r = decodeRead(
            { kind: kind as 'barcode' | 'epc', data: Buffer.from(bytes) },
            { data: data as ReaderFormat['data'], plainSerial: [] },
          );
          if (r.ok) expect(r.identity.uri.length).toBeGreaterThan(0);
          else expect(r.reject.code).toMatch(/^[a-z0-9-]+$/);
        },
      ),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const r = barcode(`]d2${s}`);
        expect(r.ok ? r.identity.uri : r.reject.code).toBeTruthy();
      }),
      { numRuns: 5000 },
    );
  });
});
