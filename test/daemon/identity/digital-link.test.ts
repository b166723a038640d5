/**
 * GS1 Digital Link URIs: parsing per the GS1 Digital Link Standard 1.4 (URI syntax, sections 4-6)
 * and canonical output. Example URIs follow the standard's own examples (GS1's example GTIN
 * 09506000134352, SSCC 106141411234567897, GLN 9506000000008).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRead, decodeText } from '../../../daemon/identity/decode.js';
import { digitalLink, parseDigitalLink } from '../../../daemon/identity/digital-link.js';
import type { DecodeResult } from '../../../daemon/identity/identity.js';

const YEAR = 2026;
const code = (uri: string) => {
  const r = parseDigitalLink(uri, YEAR);
  return r.ok ? 'ok' : r.reject.code;
};
const ais = (uri: string) => {
  const r = parseDigitalLink(uri, YEAR);
  if (!r.ok) throw new Error(`${r.reject.code}: ${r.reject.message}`);
  return r.elements.map((e) => `(${e.ai})${e.value}`).join('');
};
const identity = (r: DecodeResult) => {
  if (!r.ok) throw new Error(`${r.reject.code}: ${r.reject.message}`);
  return r.identity;
};
const qr = (uri: string) =>
  decodeRead({ kind: 'barcode', data: Buffer.from(`]Q1${uri}`, 'latin1') }, { data: 'aim', plainSerial: [] });

describe('parsing a Digital Link URI', () => {
  it('reads the primary key, qualifiers in the path and data attributes in the query', () => {
    // DL Standard 1.4 example: GTIN with lot and serial in the path, expiry in the query.
    expect(ais('https://id.gs1.org/01/09506000134352/10/ABC1/21/XYZ?17=271231')).toBe(
      '(01)09506000134352(10)ABC1(21)XYZ(17)271231',
    );
    expect(ais('https://id.gs1.org/00/106141411234567897')).toBe('(00)106141411234567897');
    expect(ais('https://id.gs1.org/414/9506000000008/254/32a')).toBe('(414)9506000000008(254)32a');
    expect(ais('https://id.gs1.org/8004/9506000ABC123')).toBe('(8004)9506000ABC123');
  });

  it('accepts any host, a path prefix, a trailing slash and a fragment', () => {
    expect(ais('https://brand.example.com/products/01/09506000134352/21/7?x=1#top')).toBe(
      '(01)09506000134352(21)7',
    );
    expect(ais('HTTP://example.org/01/09506000134352/21/7/')).toBe('(01)09506000134352(21)7');
  });

  it('ignores query parameters that are not AIs and %-decodes values', () => {
    expect(
      ais('https://id.gs1.org/01/09506000134352/21/A%2FB%25C?linkType=gs1:pip&utm_source=x&17=270100'),
    ).toBe('(01)09506000134352(21)A/B%C(17)270100');
  });

  it('requires qualifiers in the order of the key (22, 10, 21 for a GTIN)', () => {
    expect(code('https://id.gs1.org/01/09506000134352/22/V1/10/L/21/S')).toBe('ok');
    expect(code('https://id.gs1.org/01/09506000134352/21/S/10/L')).toBe('dl-qualifier-order');
    expect(code('https://id.gs1.org/01/09506000134352/17/270101')).toBe('dl-qualifier-order');
    expect(code('https://id.gs1.org/00/106141411234567897/21/S')).toBe('dl-qualifier-order');
    // 235 is the other qualifier sequence of (01): never mixed with 22/10/21.
    expect(code('https://id.gs1.org/01/09506000134352/235/TPX1')).toBe('ok');
    expect(code('https://id.gs1.org/01/09506000134352/10/L/235/TPX1')).toBe('dl-qualifier-order');
  });

  it('rejects qualifiers in the query, unknown AIs, duplicates and bad values', () => {
    expect(code('https://id.gs1.org/01/09506000134352?21=S')).toBe('dl-syntax');
    expect(code('https://id.gs1.org/01/09506000134352/21/S?9999=1')).toBe('unknown-ai');
    expect(code('https://id.gs1.org/01/09506000134352/21/S?17=270101&17=270101')).toBe('duplicate-ai');
    expect(code('https://id.gs1.org/01/09506000134353/21/S')).toBe('check-digit');
    expect(code('https://id.gs1.org/01/9506000134352/21/S')).toBe('too-short'); // GTIN-14 required
    expect(code('https://id.gs1.org/01/09506000134352/21/S?17=271301')).toBe('bad-date');
    expect(code('https://id.gs1.org/01/09506000134352/21/A%zzB')).toBe('dl-percent');
    expect(code('https://id.gs1.org/01/09506000134352/21/A%20B')).toBe('bad-character'); // space not in set 82
    expect(code('https://id.gs1.org/01/09506000134352/21/')).toBe('dl-path');
    expect(code('https://id.gs1.org/products/123')).toBe('dl-path');
    expect(code('https://id.gs1.org/01/09506000134352/21/S?10=L')).toBe('dl-syntax');
    expect(code('ftp://id.gs1.org/01/09506000134352')).toBe('dl-syntax');
    expect(code('https://id.gs1.org/01/09506000134352/21/A B')).toBe('dl-syntax');
  });

  it('applies the association rules to the path and query together', () => {
    // (02) in the query of a GTIN key would conflict: never together with (01).
    expect(code('https://id.gs1.org/01/09506000134352/21/S?02=09506000134352')).toBe('ai-conflict');
  });
});

describe('Digital Link identities', () => {
  it('decodes a QR code Digital Link into the same identity as its element string', () => {
    const link = identity(
      qr('https://example.com/01/09506000134352/10/LOT7/21/SN0042?17=271231&linkType=all'),
    );
    const dm = identity(
      decodeRead(
        { kind: 'barcode', data: Buffer.from(']d2010950600013435221SN0042\x1d1727123110LOT7', 'latin1') },
        { data: 'aim', plainSerial: [] },
      ),
    );
    expect(link).toMatchObject({
      source: 'gs1-digital-link',
      scheme: 'sgtin',
      aim: ']Q1',
      gtin: '09506000134352',
      serial: 'SN0042',
      lot: 'LOT7',
      uri: 'https://id.gs1.org/01/09506000134352/21/SN0042',
      digitalLink: 'https://id.gs1.org/01/09506000134352/10/LOT7/21/SN0042?17=271231',
    });
    expect(link.uri).toBe(dm.uri);
    expect(link.digitalLink).toBe(dm.digitalLink);
    expect(link.expiry).toBe(dm.expiry);
  });

  it('writes the canonical form: id.gs1.org, qualifiers in order, attributes sorted, values %-encoded', () => {
    expect(
      identity(qr('https://x.example/01/09506000134352/21/A%2FB?3103=000500&17=270100')).digitalLink,
    ).toBe('https://id.gs1.org/01/09506000134352/21/A%2FB?17=270100&3103=000500');
  });

  it('reads other keys as units: SSCC, GLN + extension, GIAI, GRAI with serial', () => {
    expect(identity(qr('https://id.gs1.org/00/106141411234567897'))).toMatchObject({
      scheme: 'sscc',
      sscc: '106141411234567897',
    });
    expect(identity(qr('https://id.gs1.org/414/9506000000008/254/32a'))).toMatchObject({
      scheme: 'sgln',
      gln: '9506000000008',
      glnExtension: '32a',
      uri: 'https://id.gs1.org/414/9506000000008/254/32a',
    });
    expect(identity(qr('https://id.gs1.org/8003/09506000012346SN7'))).toMatchObject({
      scheme: 'grai',
      grai: '09506000012346',
      serial: 'SN7',
    });
    expect(qr('https://id.gs1.org/01/09506000134352')).toMatchObject({
      ok: false,
      reject: { code: 'not-serialized' },
    });
  });

  it('reads a URI that names no GS1 key as plain text, for the reader patterns', () => {
    const r = decodeRead(
      { kind: 'barcode', data: Buffer.from(']Q1https://shop.example/item/42', 'latin1') },
      {
        data: 'aim',
        plainSerial: [
          { pattern: 'https://shop\\.example/item/(?<serial>\\d+)', uri: 'urn:example:item:{serial}' },
        ],
      },
    );
    expect(identity(r)).toMatchObject({ source: 'plain-serial', uri: 'urn:example:item:42' });
  });

  it('reads Digital Links without AIM ids when the reader says digital-link or text', () => {
    const uri = 'https://id.gs1.org/01/09506000134352/21/S1';
    expect(identity(decodeText(uri, { data: 'digital-link' })).serial).toBe('S1');
    expect(identity(decodeText(uri, { data: 'text' })).serial).toBe('S1');
    expect(decodeText(uri)).toMatchObject({ ok: false, reject: { code: 'no-aim-id' } });
  });
});

describe('a Digital Link that already is canonical', () => {
  // Values from CSET 82 with the characters a URI treats specially; each character written raw
  // (three times in four) or %-encoded (upper or lower case hex), so some URIs are canonical and most are not.
  const X_CHARS = 'ABCXYZabcxyz0123456789-._!%&\'()*+,/:;<=>?"';
  const valueArb = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/),
    fc.array(fc.constantFrom(...X_CHARS), { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
  );
  const write = (value: string, raw: number[]) =>
    [...value]
      .map((ch, i) => {
        const hex = ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
        if (!raw[i] || '%/?#&"'.includes(ch)) return i % 3 === 2 ? `%${hex.toLowerCase()}` : `%${hex}`;
        return ch;
      })
      .join('');
  const part = (ai: string) =>
    fc.tuple(valueArb, fc.array(fc.nat(3), { minLength: 8, maxLength: 8 })).map(([v, raw]) => ({
      ai,
      text: write(v, raw),
    }));
  const uriArb = fc
    .record({
      origin: fc.constantFrom(
        'https://id.gs1.org',
        'https://id.gs1.org',
        'http://id.gs1.org',
        'https://x.example/p',
      ),
      qualifiers: fc.subarray(['22', '10', '21'], { minLength: 1 }),
      lot: part('10'),
      serial: part('21'),
      variant: part('22'),
      query: fc.oneof(
        fc.subarray(['11=260101', '17=270100', '240=A.B', '3103=000500']),
        // A / or = inside a query value, or a ? in the query, is data: never canonical.
        fc.subarray(['11=260101', '17=270100', '240=A/B', '3103=000500']),
        fc.subarray(['11=260101', '17=270100', '240=A=B', '3103=000500']),
        fc.subarray(['11=260101', '17=270100', '240=A?B', '3103=000500']),
        fc.shuffledSubarray(['17=270100', '3103=000500', '11=260101', 'linkType=all', '240=A.B']),
      ),
      tail: fc.constantFrom('', '', '', '/', '#x', '?'),
    })
    .map((r) => {
      const values: Record<string, string> = { '10': r.lot.text, '21': r.serial.text, '22': r.variant.text };
      const path = r.qualifiers.map((q) => `/${q}/${values[q]}`).join('');
      const query = r.query.length > 0 ? `?${r.query.join('&')}` : '';
      return `${r.origin}/01/09506000134352${path}${query}${r.query.length > 0 ? r.tail.replace('?', '&') : r.tail}`;
    });

  it('is recognised exactly when building the canonical form would give the URI back', () => {
    let canonicalSeen = 0;
    fc.assert(
      fc.property(uriArb, (uri) => {
        const r = parseDigitalLink(uri, YEAR);
        if (!r.ok) return;
        const built = digitalLink(r.elements, r.defs, r.primary!);
        expect(r.canonical, uri).toBe(built === uri ? uri : undefined);
        if (r.canonical) canonicalSeen++;
      }),
      { numRuns: 8000 },
    );
    // The generator reaches both sides: canonical URIs are a real share of the valid ones (about
    // 1.5 % of the runs, since most variants are meant not to be canonical).
    expect(canonicalSeen).toBeGreaterThan(50);
  });

  it('gives the same identity as the built form', () => {
    const uri = 'https://id.gs1.org/01/09506000134352/10/LOT42/21/SN0000042A?17=271231';
    expect(parseDigitalLink(uri, YEAR)).toMatchObject({ ok: true, canonical: uri });
    expect(identity(qr(uri)).digitalLink).toBe(uri);
    const moved = 'https://id.gs1.org/01/09506000134352/10/LOT42/21/SN0000042A?17=271231&3103=000500';
    expect(parseDigitalLink(moved, YEAR)).toMatchObject({ ok: true, canonical: moved });
    const unsorted = 'https://id.gs1.org/01/09506000134352/21/S?3103=000500&17=271231';
    expect(parseDigitalLink(unsorted, YEAR).ok && parseDigitalLink(unsorted, YEAR)).not.toHaveProperty(
      'canonical',
    );
    expect(identity(qr(unsorted)).digitalLink).toBe(
      'https://id.gs1.org/01/09506000134352/21/S?17=271231&3103=000500',
    );
  });
});
