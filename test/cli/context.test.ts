import { describe, expect, it } from 'vitest';
import { expiresText, pairs } from '../../daemon/cli/context.js';

describe('readpoint context set arguments', () => {
  it('reads TYPE=URI pairs, the URI keeping any further "=", and a bare URI as an untyped transaction', () => {
    expect(
      pairs(['desadv=https://id.gs1.org/402/40123450000000016', 'urn:x:a=b'], 'bizTransaction', false),
    ).toEqual([
      { type: 'desadv', bizTransaction: 'https://id.gs1.org/402/40123450000000016' },
      { type: 'urn:x:a', bizTransaction: 'b' },
    ]);
    expect(pairs(['urn:example:tx'], 'bizTransaction', false)).toEqual([
      { bizTransaction: 'urn:example:tx' },
    ]);
    expect(pairs(['owning_party=urn:epc:id:pgln:4012345.00000?x=1'], 'source', true)).toEqual([
      { type: 'owning_party', source: 'urn:epc:id:pgln:4012345.00000?x=1' },
    ]);
    expect(() => pairs(['urn:epc:id:pgln:4012345.00000'], 'destination', true)).toThrow(
      '"urn:epc:id:pgln:4012345.00000" is not TYPE=URI',
    );
    expect(pairs(undefined, 'source', true)).toEqual([]);
  });

  it('turns 30m, 8h, 2d into a time from now and leaves a date-time as it is', () => {
    const now = Date.UTC(2026, 11, 7, 6, 0, 0);
    expect(expiresText('30m', now)).toBe('2026-12-07T06:30:00.000Z');
    expect(expiresText('8h', now)).toBe('2026-12-07T14:00:00.000Z');
    expect(expiresText('2d', now)).toBe('2026-12-09T06:00:00.000Z');
    expect(expiresText('45s', now)).toBe('2026-12-07T06:00:45.000Z');
    expect(expiresText('2026-12-24T18:00:00Z', now)).toBe('2026-12-24T18:00:00Z');
    expect(expiresText('8 h', now)).toBe('8 h'); // the daemon says what is wrong with it
  });
});
