/**
 * The identity decoder against vectors from the public standards (source named on each) and
 * against properties: round trips and arbitrary bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gs1CheckDigit } from '../../../daemon/identity/check-digit.js';
import { type DecodeFormat, decodeRead, decodeText } from '../../../daemon/identity/decode.js';
import { type DecodeResult, REJECT_CODES } from '../../../daemon/identity/identity.js';
import { repoRoot } from '../../support/schemas.js';

const code = (r: DecodeResult) => (r.ok ? 'ok' : r.reject.code);
const identity = (r: DecodeResult) => {
  if (!r.ok) throw new Error(`expected an identity, got ${r.reject.code}: ${r.reject.message}`);
  return r.identity;
};
const barcode = (text: string, format: DecodeFormat = { data: 'aim', plainSerial: [] }) =>
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
      scheme: 'sgtin',
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
    // Scanners that send the symbol's leading FNC1 as GS: stripped only when the reader says so.
    const strip: DecodeFormat = { data: 'aim', plainSerial: [], stripLeadingGs: true };
    expect(identity(barcode(']d2\x1d010950600013435221A', strip)).serial).toBe('A');
    expect(code(barcode(']d2\x1d\x1d010950600013435221A', strip))).toBe('gs-at-start');
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
    const format: DecodeFormat = {
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
    const bad: DecodeFormat = { data: 'text', plainSerial: [{ pattern: '(?<x>.+)', uri: '{x}' }] };
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

describe('EPC reads (the schemes themselves: epc.test.ts)', () => {
  it('decodes the TDS SGTIN-96 example from a tag read', () => {
    // GS1 Tag Data Standard: 3074257BF7194E4000001A85 = urn:epc:tag:sgtin-96:3.0614141.812345.6789, GTIN 80614141123458.
    expect(identity(epc('3074257BF7194E4000001A85'))).toMatchObject({
      source: 'epc',
      scheme: 'sgtin',
      uri: 'urn:epc:id:sgtin:0614141.812345.6789',
      gtin: '80614141123458',
      serial: '6789',
      digitalLink: 'https://id.gs1.org/01/80614141123458/21/6789',
      epc: { tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789', filter: 3, scheme: 'sgtin-96' },
    });
  });

  it("honours the reader's PC word: the EPC length it gives", () => {
    const data = Buffer.from('3074257BF7194E4000001A85FFFF', 'hex');
    expect(identity(decodeRead({ kind: 'epc', data, pc: 0x3000 })).uri).toBe(
      'urn:epc:id:sgtin:0614141.812345.6789',
    );
    expect(code(decodeRead({ kind: 'epc', data, pc: 0x2800 }))).toBe('epc-truncated');
  });

  it('publishes a non-GS1 EPC by its raw URI only when the reader is set to', () => {
    expect(code(epc('E2801160600002084A7C2E7F'))).toBe('epc-not-gs1');
    const kept = decodeRead(
      { kind: 'epc', data: Buffer.from('E2801160600002084A7C2E7F', 'hex') },
      { data: 'aim', plainSerial: [], nonGs1Epc: 'event' },
    );
    expect(identity(kept)).toMatchObject({
      source: 'epc',
      scheme: 'raw',
      uri: 'urn:epc:raw:96.xE2801160600002084A7C2E7F',
      epc: { hex: 'E2801160600002084A7C2E7F', nonGs1: true },
    });
  });

  it('decodeText reads bare EPC hex of every decoded scheme, as whole hex digits, bytes or words', () => {
    // TDS Annex E vectors (epc.test.ts), cut to the scheme's bits rounded up to hex digits.
    const vectors = [
      ['SGTIN-198', '3674257BF6B7A659B2C2BF100000000000000000000000000000', 198, '32a/b'],
      ['SGLN-195', '3974257BF46072CD9615F8800000000000000000000000000000', 195, undefined],
      ['GRAI-170', '3774257BF40C0E59B2C2BF1000000000000000000000', 170, '32a/b'],
      ['GIAI-202', '3874257BF59B2C2BF10000000000000000000000000000000000', 202, undefined],
    ] as const;
    for (const [scheme, words, bits, serial] of vectors) {
      for (const digits of [Math.ceil(bits / 4), Math.ceil(bits / 8) * 2, words.length]) {
        const id = identity(decodeText(words.slice(0, digits)));
        expect(id.epc?.scheme, `${scheme} in ${digits} hex digits`).toBe(scheme.toLowerCase());
        if (serial) expect(id.serial).toBe(serial);
      }
      expect(identity(decodeText(words.slice(0, Math.ceil(bits / 4)), { data: 'epc' })).epc?.scheme).toBe(
        scheme.toLowerCase(),
      );
    }
    expect(identity(decodeText('3674257BF6B7A659B2C2BF1000000000000000000000000000')).uri).toBe(
      'urn:epc:id:sgtin:0614141.712345.32a%2Fb',
    );
  });

  it('decodeText never guesses a scheme from a length that cannot hold it', () => {
    // 49 digits hold SGLN-195 but not SGTIN-198 (196 bits): text, not a tag; as epc, truncated.
    const short = '3674257BF6B7A659B2C2BF100000000000000000000000000';
    expect(code(decodeText(short))).toBe('no-aim-id');
    expect(code(decodeText(short, { data: 'epc' }))).toBe('epc-hex');
    // An odd number of digits of a 96-bit scheme is not EPC hex either.
    expect(code(decodeText('3074257BF7194E4000001A8', { data: 'epc' }))).toBe('epc-hex');
    // Neither is a length no scheme rounds to.
    expect(code(decodeText('3674257BF6B7A659B2C2BF10000000000000000000000000000'))).toBe('no-aim-id');
  });

  it('decodeText gives a numeric serial that is no valid EPC to the reader patterns', () => {
    const numeric: DecodeFormat = {
      data: 'aim',
      plainSerial: [{ pattern: '(?<serial>[0-9]{24}|36[0-9]{48})', uri: 'urn:example:sn:{serial}' }],
    };
    for (const digits of ['123456789012345678901234', `36${'1'.repeat(48)}`]) {
      expect(identity(decodeText(digits, numeric)).uri).toBe(`urn:example:sn:${digits}`);
      expect(code(decodeText(digits))).not.toBe('ok');
    }
    // A valid EPC stays an EPC, patterns or not.
    expect(identity(decodeText('3074257BF7194E4000001A85', numeric)).scheme).toBe('sgtin');
  });

  it('decodeText reads bare EPC hex and \\x escapes', () => {
    expect(identity(decodeText('3074257bf7194e4000001a85')).serial).toBe('6789');
    expect(identity(decodeText(']d2010950600013435221A\\x1d10B')).lot).toBe('B');
    expect(code(decodeText('30XX', { data: 'epc' }))).toBe('epc-hex');
    expect(identity(decodeText('3074257BF7194E4000001A85', { data: 'epc' })).serial).toBe('6789');
  });
});

describe('properties', () => {
  const cset82 = fc.constantFrom(
    ...'!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'.split(''),
  );
  const text = (max: number) => fc.array(cset82, { minLength: 1, maxLength: max }).map((a) => a.join(''));
  const digits = (min: number, max: number) =>
    fc
      .array(fc.constantFrom(...'0123456789'.split('')), { minLength: min, maxLength: max })
      .map((a) => a.join(''));
  const date = fc
    .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 28 }))
    .map(([y, m, d]) => [y, m, d].map((n) => String(n).padStart(2, '0')).join(''));
  /** Optional elements a serialized trade item may carry with (01)(21), each [ai, value]. */
  const extra = fc.oneof(
    fc.tuple(fc.constant('10'), text(20)),
    fc.tuple(fc.constantFrom('11', '13', '15', '16', '17'), date),
    fc.tuple(fc.constant('20'), digits(2, 2)),
    fc.tuple(fc.constantFrom('3103', '3202', '3305', '3500'), digits(6, 6)),
    fc.tuple(fc.constantFrom('240', '241', '400', '90'), text(30)),
    fc.tuple(fc.constant('30'), digits(1, 8)),
    fc.tuple(fc.constantFrom('91', '92', '99'), text(90)),
    fc.tuple(
      fc.constant('7006'),
      date.filter((d) => !d.endsWith('00')),
    ),
  );

  it('generated element strings with separators parse back to their AIs', () => {
    fc.assert(
      fc.property(
        digits(13, 13),
        text(20),
        fc.uniqueArray(extra, { maxLength: 6, selector: ([ai]) => ai.slice(0, 3) }),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        fc.boolean(),
        (g, serial, extras, at, needlessGs, trailingGs) => {
          const gtin = g + gs1CheckDigit(g);
          const elements: [string, string][] = [['01', gtin], ...extras];
          elements.splice(Math.min(at, elements.length), 0, ['21', serial]);
          let data = '';
          elements.forEach(([ai, value], i) => {
            const predefined = /^(0[0-4]|1[1-9]|20|3[1-6]|41)/.test(ai);
            data += ai + value;
            const last = i === elements.length - 1;
            if ((!predefined && !last) || (predefined && needlessGs && !last) || (last && trailingGs))
              data += '\x1d';
          });
          const id = identity(barcode(`]d2${data}`));
          expect(id).toMatchObject({ gtin, serial });
          expect(id.ais?.map((e) => [e.ai, e.value])).toEqual(elements);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('arbitrary bytes never throw and always give an identity or a known reject code', () => {
    const known = new Set<string>(REJECT_CODES);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.constantFrom('barcode', 'epc'),
        fc.constantFrom('aim', 'gs1', 'digital-link', 'epc', 'text'),
        fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
        (bytes, kind, data, pc) => {
          const r = decodeRead(
            {
              kind: kind as 'barcode' | 'epc',
              data: Buffer.from(bytes),
              ...(pc === undefined ? {} : { pc }),
            },
            { data: data as DecodeFormat['data'], plainSerial: [], nonGs1Epc: 'event' },
          );
          if (r.ok) expect(r.identity.uri.length).toBeGreaterThan(0);
          else expect(known.has(r.reject.code), r.reject.code).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(']d2', ']Q1', ']C1', ']E0', ''), fc.string({ maxLength: 80 }), (aim, s) => {
        const r = barcode(`${aim}${s}`);
        if (r.ok) expect(r.identity.uri.length).toBeGreaterThan(0);
        else expect(known.has(r.reject.code), r.reject.code).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects a control byte (other than GS) or DEL wherever it stands, whatever the carrier', () => {
    const anything: DecodeFormat = {
      data: 'text',
      plainSerial: [{ pattern: '(?<x>[\\s\\S]+)', uri: 'urn:x:{x}' }],
    };
    const reads = [
      ']d20109506000134352' + '21SN1',
      ']Q1https://id.gs1.org/01/09506000134352/21/SN1',
      ']E09506000134352',
      ']C0SN-1234567',
      'SN-1234567',
    ];
    const control = fc.oneof(
      fc.integer({ min: 0, max: 0x1c }),
      fc.integer({ min: 0x1e, max: 0x1f }),
      fc.constant(0x7f),
    );
    fc.assert(
      fc.property(fc.constantFrom(...reads), fc.nat(), control, (read, at, byte) => {
        const i = at % (read.length + 1);
        const data = Buffer.concat([
          Buffer.from(read.slice(0, i), 'latin1'),
          Buffer.of(byte),
          Buffer.from(read.slice(i), 'latin1'),
        ]);
        for (const format of [anything, { data: 'aim' as const, plainSerial: anything.plainSerial }]) {
          const r = decodeRead({ kind: 'barcode', data }, format);
          expect(r.ok ? 'ok' : r.reject.code, JSON.stringify(data.toString('latin1'))).toBe('non-printable');
          if (!r.ok) expect(r.reject.message).toContain(`at position ${i}`);
        }
      }),
      { numRuns: 1000 },
    );
    // Without the control byte, each read decodes (the EAN-13 to a product, not a unit).
    expect(reads.map((read) => code(barcode(read, anything)))).toEqual([
      'ok',
      'ok',
      'not-serialized',
      'ok',
      'ok',
    ]);
  });

  it('arbitrary Digital Link-like URIs never throw', () => {
    const known = new Set<string>(REJECT_CODES);
    const segment = fc.oneof(
      fc.constantFrom('01', '21', '10', '00', '414', '254', '8003', '17', '%', '%2F'),
      text(16),
    );
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 8 }),
        fc.array(fc.tuple(segment, segment), { maxLength: 4 }),
        (path, query) => {
          const uri = `https://id.gs1.org/${path.join('/')}?${query.map(([k, v]) => `${k}=${v}`).join('&')}`;
          const r = barcode(`]Q1${uri}`);
          if (r.ok) expect(r.identity.digitalLink).toMatch(/^https:\/\/id\.gs1\.org\//);
          else expect(known.has(r.reject.code), r.reject.code).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('docs/identities.md', () => {
  it('documents every reject code', () => {
    const page = readFileSync(join(repoRoot, 'docs', 'identities.md'), 'utf8');
    const table = page.slice(page.indexOf('## Reject codes'));
    expect(table.startsWith('## Reject codes')).toBe(true);
    for (const c of REJECT_CODES) expect(table, c).toContain(`\`${c}\``);
  });
});
