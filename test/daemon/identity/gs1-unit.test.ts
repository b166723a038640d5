/**
 * Which key names the unit: GTIN + third-party serial (TPX, AI 235), the GTIN's second qualifier
 * sequence in GS1 Digital Link, against the rules of GS1's Barcode Syntax Dictionary.
 */
import { describe, expect, it } from 'vitest';
import { type DecodeFormat, decodeRead, decodeText } from '../../../daemon/identity/decode.js';
import type { DecodeResult } from '../../../daemon/identity/identity.js';

const code = (r: DecodeResult) => (r.ok ? 'ok' : r.reject.code);
const identity = (r: DecodeResult) => {
  if (!r.ok) throw new Error(`expected an identity, got ${r.reject.code}: ${r.reject.message}`);
  return r.identity;
};
const barcode = (text: string, format: DecodeFormat = { data: 'aim', plainSerial: [] }) =>
  decodeRead({ kind: 'barcode', data: Buffer.from(text, 'latin1') }, format);

describe('GTIN + third-party serial (TPX, AI 235)', () => {
  // The Barcode Syntax Dictionary: 01 has dlpkey=22,10,21|235, 235 is X..28 with req=01, 21 ex=235.
  const unit = {
    scheme: 'tpx',
    gtin: '09506000134352',
    serial: 'TPX123',
    uri: 'https://id.gs1.org/01/09506000134352/235/TPX123',
    digitalLink: 'https://id.gs1.org/01/09506000134352/235/TPX123',
  };

  it('is one unit behind ]d2, ]C1, ]Q3, ]e0 and ]J1', () => {
    for (const aim of [']d2', ']C1', ']Q3', ']e0', ']J1']) {
      const id = identity(barcode(`${aim}0109506000134352235TPX123`));
      expect(id).toMatchObject({ ...unit, source: 'gs1-element-string', aim });
      expect(id.ais).toEqual([
        { ai: '01', value: '09506000134352' },
        { ai: '235', value: 'TPX123' },
      ]);
    }
  });

  it('is the same unit in a Digital Link URI, with its expiry in the query', () => {
    const link = identity(barcode(']Q1https://id.gs1.org/01/09506000134352/235/TPX123?17=271231'));
    expect(link).toMatchObject({ ...unit, digitalLink: link.digitalLink, source: 'gs1-digital-link' });
    expect(link.expiry).toBe('2027-12-31');
    expect(link.digitalLink).toBe('https://id.gs1.org/01/09506000134352/235/TPX123?17=271231');
    const elements = identity(barcode(']d20109506000134352235TPX123\x1d17271231'));
    expect(elements.uri).toBe(link.uri);
    expect(elements.digitalLink).toBe(link.digitalLink);
    expect(
      identity(decodeText('https://example.com/p/01/09506000134352/235/TPX123', { data: 'digital-link' }))
        .uri,
    ).toBe(unit.uri);
  });

  it('keeps the TPX in the Digital Link when the label also carries a lot (which that URI cannot hold)', () => {
    const id = identity(barcode(']d20109506000134352235TPX123\x1d10LOT7\x1d17271231'));
    expect(id).toMatchObject({
      scheme: 'tpx',
      uri: unit.uri,
      serial: 'TPX123',
      lot: 'LOT7',
      expiry: '2027-12-31',
    });
    expect(id.digitalLink).toBe('https://id.gs1.org/01/09506000134352/235/TPX123?17=271231');
    expect(identity(barcode(`]Q1${id.digitalLink}`)).uri).toBe(unit.uri);
    expect(identity(barcode(']d2010950600013435210LOT7\x1d21S1')).digitalLink).toBe(
      'https://id.gs1.org/01/09506000134352/10/LOT7/21/S1',
    );
  });

  it('percent-encodes the TPX in the URI, and both forms give the same URI', () => {
    const uri = 'https://id.gs1.org/01/09506000134352/235/A%2FB%25C%3F%26D';
    expect(identity(barcode(']d20109506000134352235A/B%C?&D')).uri).toBe(uri);
    expect(identity(barcode(']Q1https://id.gs1.org/01/09506000134352/235/A%2fB%25C%3f%26D')).uri).toBe(uri);
    expect(identity(barcode(']d20109506000134352235A/B%C?&D')).serial).toBe('A/B%C?&D');
  });

  it('keeps the association rules: 235 excludes 21 and needs 01', () => {
    expect(code(barcode(']d2010950600013435221A\x1d235B'))).toBe('ai-conflict');
    expect(code(barcode(']d2235TPX123'))).toBe('ai-missing');
    expect(code(barcode(']Q1https://id.gs1.org/01/09506000134352/21/A/235/B'))).not.toBe('ok');
  });
});

describe('Decodes one after another', () => {
  it('gives each read its own identity and pairs: a later decode changes nothing of an earlier one', () => {
    const texts = [
      ']d2010950600013435221A1\x1d10LOT1',
      ']d200106141411234567897',
      ']d2414952012345678825410',
      ']Q1https://id.gs1.org/01/09506000134352/10/LOT2/21/B2?17=271231',
      ']d2800309506000012346SN7',
      ']Q1https://id.gs1.org/00/106141411234567897',
    ];
    const first = texts.map((t) => identity(barcode(t)));
    const copies = first.map((i) => structuredClone(i));
    // Decoded again in another order, each time between the others.
    for (const t of [...texts].reverse()) identity(barcode(t));
    expect(first).toEqual(copies);
    expect(first.map((i) => [i.scheme, i.uri, i.ais?.map((e) => e.ai).join(' ')])).toEqual([
      ['sgtin', 'https://id.gs1.org/01/09506000134352/21/A1', '01 21 10'],
      ['sscc', 'https://id.gs1.org/00/106141411234567897', '00'],
      ['sgln', 'https://id.gs1.org/414/9520123456788/254/10', '414 254'],
      ['sgtin', 'https://id.gs1.org/01/09506000134352/21/B2', '01 10 21 17'],
      ['grai', 'https://id.gs1.org/8003/09506000012346SN7', '8003'],
      ['sscc', 'https://id.gs1.org/00/106141411234567897', '00'],
    ]);
    expect(first[0]!.ais).not.toBe(first[3]!.ais);
  });
});
