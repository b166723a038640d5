import { describe, expect, it } from 'vitest';
import {
  type TransactionBarcodeRules,
  TransactionBarcodes,
} from '../../../../daemon/inventory/context/transaction-barcode.js';

const rules: TransactionBarcodeRules = {
  orderParty: '4012345000009',
  asnPattern: 'ASN[0-9]{8}',
  asnParty: '4000001000005',
  clearCode: 'CTX-CLEAR',
  types: { order: 'po', ginc: 'bol', gsin: 'desadv', sscc: 'desadv', asn: 'desadv' },
};
const read = (text: string, r = new TransactionBarcodes(rules)) => r.read(Buffer.from(text, 'latin1'));
const tx = (type: string, bizTransaction: string) => ({
  kind: 'transaction',
  transaction: { type, bizTransaction },
});

describe('transaction barcodes', () => {
  it('names the transaction of each GS1 transaction AI as a CBV type and a URI', () => {
    expect(read(']C140240123450000000016')).toEqual(tx('desadv', 'https://id.gs1.org/402/40123450000000016'));
    expect(read(']C1401401234500SHIP/7')).toEqual(tx('bol', 'https://id.gs1.org/401/401234500SHIP%2F7'));
    expect(read(']d2400PO/4711')).toEqual(tx('po', 'urn:epcglobal:cbv:bt:4012345000009:PO%2F4711'));
    expect(read(']C100340123450000000017')).toEqual(tx('desadv', 'https://id.gs1.org/00/340123450000000017'));
    // An SSCC label with its content lines is still the SSCC's.
    expect(read(']C100340123450000000017\x1d0209506000134352\x1d3712')).toEqual(
      tx('desadv', 'https://id.gs1.org/00/340123450000000017'),
    );
  });

  it('takes an ASN by its pattern (whole text, after any AIM id) and the clear code', () => {
    expect(read('ASN00012345')).toEqual(tx('desadv', 'urn:epcglobal:cbv:bt:4000001000005:ASN00012345'));
    expect(read(']C0ASN00012345')).toEqual(tx('desadv', 'urn:epcglobal:cbv:bt:4000001000005:ASN00012345'));
    expect(read('ASN000123456')).toBeUndefined();
    expect(read('xASN00012345')).toBeUndefined();
    expect(read('CTX-CLEAR')).toEqual({ kind: 'clear' });
    expect(read(']C0CTX-CLEAR')).toEqual({ kind: 'clear' });
  });

  it('leaves units, bad check digits, unknown text and overlong reads to be read as usual', () => {
    expect(read(']d2010950600013435221SN1')).toBeUndefined();
    expect(read(']d201095060001343524001234')).toBeUndefined(); // a GTIN beside an order: a unit
    expect(read(']C140240123450000000017')).toBeUndefined(); // GSIN check digit wrong
    expect(read(']C100340123450000000018')).toBeUndefined(); // SSCC check digit wrong
    expect(read(']C11012')).toBeUndefined(); // a lot alone names nothing
    expect(read('hello')).toBeUndefined();
    expect(read('')).toBeUndefined();
    expect(read(`ASN${'0'.repeat(200)}`)).toBeUndefined();
  });

  it('needs the order party for AI 400, and reads element strings without AIM id only for gs1 readers', () => {
    const noParty = new TransactionBarcodes({ types: rules.types });
    expect(read(']C1400PO4711', noParty)).toBeUndefined();
    expect(read('ASN00012345', noParty)).toBeUndefined();
    expect(read('40240123450000000016')).toBeUndefined();
    expect(read('40240123450000000016', new TransactionBarcodes(rules, 'gs1'))).toEqual(
      tx('desadv', 'https://id.gs1.org/402/40123450000000016'),
    );
  });

  it('uses the types the read point configures', () => {
    const own = new TransactionBarcodes({
      ...rules,
      types: { ...rules.types, gsin: 'urn:example:bt:shipment', order: 'prodorder' },
    });
    expect(read(']C140240123450000000016', own)).toEqual(
      tx('urn:example:bt:shipment', 'https://id.gs1.org/402/40123450000000016'),
    );
    expect(read(']C1400W-1', own)).toEqual(tx('prodorder', 'urn:epcglobal:cbv:bt:4012345000009:W-1'));
  });
});
