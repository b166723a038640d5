import { describe, expect, it } from 'vitest';
import { queryUnit } from '../../../../daemon/inventory/where/unit-key.js';

const SGTIN_DL = 'https://id.gs1.org/01/80614141123458/21/6789';

describe('queryUnit: what a where-is question names', () => {
  it.each([
    ['EPC hex of an SGTIN-96', '3074257BF7194E4000001A85', 'urn:epc:id:sgtin:0614141.812345.6789'],
    ['its pure-identity URN', 'urn:epc:id:sgtin:0614141.812345.6789', 'urn:epc:id:sgtin:0614141.812345.6789'],
    ['a GS1 DataMatrix scan with its AIM id', ']d20180614141123458216789', SGTIN_DL],
    ['the element string typed without an AIM id', '0180614141123458216789', SGTIN_DL],
    ['the Digital Link URI', SGTIN_DL, SGTIN_DL],
  ])('%s is the one unit', (_what, input, unit) => {
    expect(queryUnit(input)).toEqual({ ok: true, key: SGTIN_DL, unit });
  });

  it('keys an SSCC tag and an SSCC label alike', () => {
    const label = queryUnit(']C100106141411234567897');
    const urn = queryUnit('urn:epc:id:sscc:0614141.1123456789');
    expect(label).toMatchObject({ ok: true, key: 'https://id.gs1.org/00/106141411234567897' });
    expect(urn).toMatchObject({ ok: true, key: 'https://id.gs1.org/00/106141411234567897' });
  });

  it('takes another URI as the URI the events name the unit by', () => {
    expect(queryUnit('urn:example:serial:AB-123')).toEqual({
      ok: true,
      key: 'urn:example:serial:AB-123',
      unit: 'urn:example:serial:AB-123',
    });
  });

  it('says why for what names no unit', () => {
    expect(queryUnit('')).toMatchObject({ ok: false, code: 'empty' });
    expect(queryUnit('x'.repeat(1025))).toMatchObject({ ok: false, code: 'overlong' });
    expect(queryUnit(']d2010950600013435321SN1')).toMatchObject({ ok: false, code: 'check-digit' });
    expect(queryUnit('urn:epc:id:sgtin:0614141.812345.67.89x%')).toMatchObject({
      ok: false,
      code: 'bad-urn',
    });
    expect(queryUnit('hello world')).toMatchObject({ ok: false, code: 'no-aim-id' });
  });
});
