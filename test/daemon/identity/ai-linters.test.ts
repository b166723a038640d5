/**
 * The content checks ("linters") of the GS1 Barcode Syntax Dictionary.
 *
 * Where a vector comes from: GenSpecs = GS1 General Specifications (section named); "reference"
 * = the behaviour GS1's reference linters show in their own unit tests (gs1/gs1-syntax-engine,
 * src/c-lib/syntax/lint_<name>.c), whose cases (edges, orders of checks) these follow with our
 * own values unless a value is marked as theirs; ISO 13616 for the IBANs. Check digits and check
 * pairs were worked out by hand / a separate script from the GenSpecs algorithms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ISO3166_ALPHA2,
  ISO3166_NUMERIC,
  ISO4217_NUMERIC,
  PACKAGE_TYPES,
} from '../../../daemon/identity/ai-code-lists.js';
import { AI_ROWS } from '../../../daemon/identity/ai-dictionary.generated.js';
import {
  checkCharacters,
  fullYear,
  LINTERS,
  type LintFailure,
  validCheckDigit,
} from '../../../daemon/identity/ai-linters.js';

const Y = 2026;
const lint = (name: string, value: string, year = Y): LintFailure | undefined => LINTERS[name]!(value, year);
const code = (name: string, value: string, year = Y) => lint(name, value, year)?.code ?? 'ok';
const message = (name: string, value: string, year = Y) => lint(name, value, year)?.message;

/** Runs `name` over every value and compares all results at once (a failure shows them all). */
function expectCodes(name: string, cases: readonly (readonly [string, string])[], year = Y) {
  expect(cases.map(([value]) => [value, code(name, value, year)])).toEqual(cases.map(([v, c]) => [v, c]));
}

describe('csum: GS1 mod-10 check digit (GenSpecs 7.9.1)', () => {
  it('accepts keys whose last digit is the check digit', () => {
    expectCodes('csum', [
      ['09506000134352', 'ok'], // GTIN-14 of GenSpecs' examples (9506000134352 with a leading 0)
      ['4006381333931', 'ok'], // a GTIN-13 in retail use
      ['106141411234567897', 'ok'], // SSCC of GenSpecs' GS1-128 examples
      ['09501101530003', 'ok'],
      ['12345670', 'ok'], // GTIN-8
      ['0', 'ok'], // reference: one digit, nothing to weigh, check digit 0
    ]);
  });

  it('reports the digit it should be', () => {
    expect(lint('csum', '4006381333932')).toEqual({
      code: 'check-digit',
      message: 'check digit 2 should be 1',
    });
    expect(message('csum', '106141411234567890')).toBe('check digit 0 should be 7');
    expect(message('csum', '12345671')).toBe('check digit 1 should be 0');
    expect(code('csum', '1')).toBe('check-digit');
  });

  it('calls a missing or non-digit character a bad value, not a wrong check digit (reference)', () => {
    expect(lint('csum', '')).toEqual({ code: 'bad-value', message: 'no check digit' });
    expect(lint('csum', ' 23456789012345675')).toEqual({
      code: 'bad-value',
      message: '" " at position 0 is not a digit',
    });
    expect(message('csum', '1234567A')).toBe('"A" at position 7 is not a digit');
  });

  it('validCheckDigit agrees', () => {
    expect(validCheckDigit('09506000134352')).toBe(true);
    expect(validCheckDigit('09506000134353')).toBe(false);
    expect(validCheckDigit('0950600013435X')).toBe(false);
    expect(validCheckDigit('')).toBe(false);
  });

  it('property: exactly one of the ten final digits completes any digit string', () => {
    const digits = fc.array(fc.constantFrom(...'0123456789'), { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(digits, (body) => {
        const accepted = [...'0123456789'].filter((d) => lint('csum', body + d) === undefined);
        expect(accepted).toHaveLength(1);
        for (const d of '0123456789') expect(validCheckDigit(body + d)).toBe(accepted[0] === d);
      }),
    );
  });
});

describe('csumalpha: the check character pair (GenSpecs 7.9.5)', () => {
  it("accepts GenSpecs' GMN example and pairs worked out from the algorithm", () => {
    expect(checkCharacters('1987654Ad4X4bL5ttr2310c')).toBe('2K');
    expectCodes('csumalpha', [
      ['1987654Ad4X4bL5ttr2310c2K', 'ok'], // GenSpecs 7.9.5 worked example
      ['0614141ABC12333', 'ok'],
      ['22', 'ok'], // reference: no data, sum 0, pair 22
      ['!22', 'ok'], // "!" has value 0
      // reference edge: 97 data characters (99 with the pair), the longest it supports; "HA" is theirs
      [`${'1234567890'.repeat(9)}1234567HA`, 'ok'],
      [`${'z'.repeat(97)}UA`, 'ok'], // the largest weighted sum
    ]);
  });

  it('reports a wrong pair as a check-digit failure with the right pair', () => {
    expect(lint('csumalpha', '1987654Ad4X4bL5ttr2310cXK')).toEqual({
      code: 'check-digit',
      message: 'check characters XK should be 2K',
    });
    expect(message('csumalpha', '1987654Ad4X4bL5ttr2310c2X')).toBe('check characters 2X should be 2K');
    expect(message('csumalpha', '33')).toBe('check characters 33 should be 22');
  });

  it('rejects too short, too long and characters outside set 82 as bad values (reference)', () => {
    expect(lint('csumalpha', '2')).toEqual({
      code: 'bad-value',
      message: 'too short to hold its two check characters',
    });
    expect(code('csumalpha', '')).toBe('bad-value');
    expect(message('csumalpha', `${'1'.repeat(98)}ZZ`)).toBe(
      'too long for a check character pair (at most 99)',
    );
    expect(message('csumalpha', '1234 67NT')).toBe('" " at position 4 is not in GS1 character set 82');
    expect(checkCharacters('1234#')).toBeUndefined();
    expect(checkCharacters('1'.repeat(98))).toBeUndefined();
  });

  it('property: the pair checkCharacters gives is the only one accepted', () => {
    const cset82 = [...'!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'];
    const cset32 = [...'23456789ABCDEFGHJKLMNPQRSTUVWXYZ'];
    const data = fc.array(fc.constantFrom(...cset82), { maxLength: 97 }).map((a) => a.join(''));
    fc.assert(
      fc.property(data, (d) => {
        const pair = checkCharacters(d)!;
        let accepted = 0;
        for (const a of cset32) for (const b of cset32) if (!lint('csumalpha', d + a + b)) accepted++;
        expect(accepted).toBe(1);
        expect(lint('csumalpha', d + pair)).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });
});

describe('gcppos1 / gcppos2: room for a GS1 Company Prefix (reference)', () => {
  // The reference has no prefix register: at least 4 characters from the position, those 4 digits.
  it('gcppos1 looks at the first four characters', () => {
    expectCodes('gcppos1', [
      ['0614', 'ok'],
      ['06141', 'ok'],
      ['0614A', 'ok'],
      ['0000ABC', 'ok'], // no GS1 prefix range is refused without a register
      ['061', 'bad-value'],
      ['', 'bad-value'],
      ['061A4', 'bad-value'],
      ['A614', 'bad-value'],
    ]);
    expect(message('gcppos1', '061')).toBe('too short to hold a GS1 company prefix');
    expect(message('gcppos1', '061A4')).toBe(
      '"A" at position 3 cannot be in a GS1 company prefix (its first 4 are digits)',
    );
  });

  it('gcppos2 looks from the second character', () => {
    expectCodes('gcppos2', [
      ['10614', 'ok'],
      ['I0614', 'ok'],
      ['106141411234567897', 'ok'],
      ['1061', 'bad-value'],
      ['1', 'bad-value'],
      ['', 'bad-value'],
      ['106A4', 'bad-value'],
    ]);
    expect(message('gcppos2', '1061')).toBe('too short to hold a GS1 company prefix from position 1');
    expect(message('gcppos2', 'I06A4')).toBe(
      '"A" at position 3 cannot be in a GS1 company prefix (its first 4 are digits)',
    );
  });
});

describe('fullYear: the two-digit year sliding window (GenSpecs 7.12)', () => {
  it('in 2026: 76 is this century, 77 the last (YY - 26 >= 51)', () => {
    expect([76, 77, 99, 0, 26, 27].map((yy) => fullYear(yy, 2026))).toEqual([
      2076, 1977, 1999, 2000, 2026, 2027,
    ]);
  });

  it('reaches the next century when YY - current YY <= -50', () => {
    expect([10, 11, 60, 9].map((yy) => fullYear(yy, 2060))).toEqual([2110, 2011, 2060, 2109]);
    expect([0, 1, 99].map((yy) => fullYear(yy, 2050))).toEqual([2100, 2001, 2099]);
    expect([0, 99].map((yy) => fullYear(yy, 2049))).toEqual([2000, 2099]);
    expect(fullYear(99, 2048)).toBe(1999);
  });

  it('works across a century change', () => {
    expect([50, 51, 0].map((yy) => fullYear(yy, 2100))).toEqual([2150, 2051, 2100]);
    expect([50, 51].map((yy) => fullYear(yy, 2000))).toEqual([2050, 1951]);
    expect([0, 49, 50].map((yy) => fullYear(yy, 1999))).toEqual([2000, 2049, 1950]);
  });
});

describe('yymmd0 / yymmdd: YYMMDD dates (GenSpecs 7.12; reference)', () => {
  it('yymmd0 allows day 00, yymmdd does not', () => {
    expectCodes('yymmd0', [
      ['260600', 'ok'],
      ['260200', 'ok'],
      ['260131', 'ok'],
    ]);
    expect(lint('yymmdd', '260600')).toEqual({
      code: 'bad-date',
      message: 'day 00 (day unknown) is not allowed here',
    });
    expect(code('yymmdd', '260601')).toBe('ok');
  });

  it('knows the length of every month', () => {
    const lastDays = ['31', '28', '31', '30', '31', '30', '31', '31', '30', '31', '30', '31'];
    for (const name of ['yymmd0', 'yymmdd']) {
      expectCodes(
        name,
        lastDays.flatMap((last, i) => {
          const mm = String(i + 1).padStart(2, '0');
          return [
            [`27${mm}${last}`, 'ok'],
            [`27${mm}${Number(last) + 1}`, 'bad-date'],
          ] as const;
        }),
      );
    }
    expect(message('yymmd0', '270431')).toBe('day 31 does not exist in 2027-04');
    expect(message('yymmdd', '270132')).toBe('day 32 does not exist in 2027-01');
  });

  it('leap years in the century the window picks', () => {
    expectCodes('yymmd0', [
      ['240229', 'ok'], // 2024
      ['250229', 'bad-date'], // 2025
      ['000229', 'ok'], // 2000: divisible by 400
      ['960229', 'ok'], // 1996
      ['970229', 'bad-date'],
      ['240230', 'bad-date'],
    ]);
    expect(message('yymmdd', '250229')).toBe('day 29 does not exist in 2025-02');
    // In 2050, 00 is 2100, which is not a leap year; in 2049 it is still 2000.
    expect(lint('yymmd0', '000229', 2050)).toEqual({
      code: 'bad-date',
      message: 'day 29 does not exist in 2100-02',
    });
    expect(code('yymmd0', '000229', 2049)).toBe('ok');
    expect(code('yymmd0', '000228', 2050)).toBe('ok');
  });

  it('rejects month 00 and 13 and more', () => {
    expectCodes('yymmdd', [
      ['260010', 'bad-date'],
      ['261310', 'bad-date'],
      ['269910', 'bad-date'],
      ['261210', 'ok'],
      ['260110', 'ok'],
    ]);
    expect(message('yymmd0', '260000')).toBe('month 00 does not exist');
    expect(message('yymmd0', '261301')).toBe('month 13 does not exist');
  });

  it('reports wrong lengths and non-digits as bad dates (reference)', () => {
    expect(lint('yymmd0', '2606')).toEqual({
      code: 'bad-date',
      message: 'a date needs 6 digits (YYMMDD), this has 4 characters',
    });
    expect(code('yymmdd', '2606011')).toBe('bad-date');
    expect(message('yymmd0', '2x0131')).toBe('"x" at position 1 is not a digit');
    expect(message('yymmdd', '20013x')).toBe('"x" at position 5 is not a digit');
  });

  it('property: agrees with a calendar, the year taken within 49 years back and 50 ahead', () => {
    const two = fc.integer({ min: 0, max: 99 });
    fc.assert(
      fc.property(two, two, two, fc.integer({ min: 1900, max: 2200 }), (yy, mm, dd, thisYear) => {
        const low = thisYear - 49; // the window, written independently of fullYear
        const year = low + ((((yy - low) % 100) + 100) % 100);
        const real = (day: number) => {
          const d = new Date(Date.UTC(year, mm - 1, day));
          return mm >= 1 && mm <= 12 && d.getUTCMonth() === mm - 1 && d.getUTCDate() === day;
        };
        const text = [yy, mm, dd].map((n) => String(n).padStart(2, '0')).join('');
        expect(fullYear(yy, thisYear)).toBe(year);
        expect(lint('yymmdd', text, thisYear) === undefined).toBe(dd > 0 && real(dd));
        expect(lint('yymmd0', text, thisYear) === undefined).toBe(dd === 0 ? real(1) : real(dd));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('yyyymmdd: YYYYMMDD dates (reference)', () => {
  it('full years, centuries by the leap rule, no day 00', () => {
    expectCodes('yyyymmdd', [
      ['20240229', 'ok'],
      ['20250229', 'bad-date'],
      ['20000229', 'ok'], // divisible by 400
      ['21000229', 'bad-date'], // divisible by 100 only
      ['19000229', 'bad-date'],
      ['22000229', 'bad-date'], // divisible by 200 but not 400
      ['24000229', 'ok'],
      ['19750606', 'ok'],
      ['20260600', 'bad-date'],
      ['20261301', 'bad-date'],
      ['20260001', 'bad-date'],
    ]);
    expect(message('yyyymmdd', '21000229')).toBe('day 29 does not exist in 2100-02');
    expect(message('yyyymmdd', '00010230')).toBe('day 30 does not exist in 0001-02');
    expect(message('yyyymmdd', '2026013')).toBe('a date needs 8 digits (YYYYMMDD), this has 7 characters');
  });

  it('yyyymmd0 (in the reference, not named by this dictionary release) allows day 00', () => {
    expect(code('yyyymmd0', '20260200')).toBe('ok');
    expect(code('yyyymmd0', '20260230')).toBe('bad-date');
  });
});

describe('hh, mi, ss, hhmi: times (reference)', () => {
  it('hours 00-23, minutes and seconds 00-59', () => {
    expectCodes('hh', [
      ['00', 'ok'],
      ['23', 'ok'],
      ['24', 'bad-time'],
      ['99', 'bad-time'],
      ['2', 'bad-time'],
      ['x0', 'bad-time'],
    ]);
    expectCodes('mi', [
      ['00', 'ok'],
      ['59', 'ok'],
      ['60', 'bad-time'],
    ]);
    expectCodes('ss', [
      ['00', 'ok'],
      ['59', 'ok'],
      ['60', 'bad-time'],
      ['111', 'bad-time'],
    ]);
    expectCodes('hhmi', [
      ['0000', 'ok'],
      ['2359', 'ok'],
      ['2400', 'bad-time'],
      ['0060', 'bad-time'],
      ['235', 'bad-time'],
    ]);
  });

  it('says which field is out of range', () => {
    expect(lint('hh', '24')).toEqual({ code: 'bad-time', message: 'hour 24 does not exist (00 to 23)' });
    expect(message('hhmi', '2400')).toBe('hour 24 does not exist (00 to 23)');
    expect(message('hhmi', '0060')).toBe('minute 60 does not exist (00 to 59)');
    expect(message('ss', '60')).toBe('second 60 does not exist (00 to 59)');
    expect(message('hhmi', '00x0')).toBe('"x" at position 2 is not a digit');
    expect(message('mi', '1')).toBe('a minute needs 2 digits, this has 1 character');
  });
});

describe('code lists', () => {
  it('hold as many codes as the reference lists (syntax engine 50657dbd)', () => {
    expect([ISO3166_NUMERIC.size, ISO3166_ALPHA2.size, ISO4217_NUMERIC.size, PACKAGE_TYPES.size]).toEqual([
      249, 249, 179, 431,
    ]);
  });

  it('iso3166 and iso3166999: ISO 3166-1 numeric country codes', () => {
    expectCodes('iso3166', [
      ['276', 'ok'], // Germany
      ['004', 'ok'], // the lowest code
      ['894', 'ok'], // the highest code
      ['840', 'ok'],
      ['000', 'bad-value'],
      ['999', 'bad-value'],
      ['001', 'bad-value'],
      ['AAA', 'bad-value'],
    ]);
    expect(message('iso3166', '999')).toBe('country code 999 is not an ISO 3166 code');
    expectCodes('iso3166999', [
      ['999', 'ok'],
      ['276', 'ok'],
      ['998', 'bad-value'],
      ['000', 'bad-value'],
    ]);
    expect(message('iso3166999', '998')).toBe('country code 998 is not an ISO 3166 code or 999');
  });

  it('iso3166alpha2: ISO 3166-1 alpha-2 country codes', () => {
    expectCodes('iso3166alpha2', [
      ['DE', 'ok'],
      ['AD', 'ok'],
      ['ZW', 'ok'],
      ['XK', 'bad-value'], // Kosovo's user-assigned code is not in ISO 3166-1
      ['EU', 'bad-value'],
      ['de', 'bad-value'],
    ]);
    expect(message('iso3166alpha2', 'XX')).toBe('country code XX is not an ISO 3166 code');
  });

  it('iso4217: ISO 4217 numeric currency codes, as currently listed', () => {
    expectCodes('iso4217', [
      ['978', 'ok'], // EUR
      ['840', 'ok'], // USD
      ['924', 'ok'], // ZWG, added 2024
      ['396', 'ok'], // XAD
      ['999', 'ok'], // XXX, no currency
      ['932', 'bad-value'], // ZWL, withdrawn
      ['191', 'bad-value'], // HRK, withdrawn when Croatia joined the euro
      ['000', 'bad-value'],
    ]);
    expect(message('iso4217', '000')).toBe('currency code 000 is not an ISO 4217 code');
  });

  it('packagetype: GS1 PackageTypeCode (UN/ECE Rec 21 plus GS1 codes)', () => {
    expectCodes('packagetype', [
      ['PX', 'ok'], // pallet
      ['BX', 'ok'], // box
      ['8', 'ok'], // one-character code
      ['200', 'ok'], // GS1 three-digit code
      ['RB1', 'ok'],
      ['px', 'bad-value'],
      ['QQQ', 'bad-value'],
      ['_9', 'bad-value'],
    ]);
    expect(message('packagetype', 'QQQ')).toBe('package type QQQ is not a GS1 package type code');
  });

  it('mediatype: 01-10 and 80-99 (AI 7241)', () => {
    expectCodes('mediatype', [
      ['00', 'bad-value'],
      ['01', 'ok'],
      ['10', 'ok'],
      ['11', 'bad-value'],
      ['79', 'bad-value'],
      ['80', 'ok'],
      ['99', 'ok'],
      ['1', 'bad-value'],
      ['AA', 'bad-value'],
    ]);
    expect(message('mediatype', '11')).toBe('media type "11" is not 01 to 10 or 80 to 99');
  });
});

describe('iban (ISO 13616; reference)', () => {
  it('accepts IBANs whose check digits match', () => {
    expectCodes('iban', [
      ['GB82WEST12345698765432', 'ok'], // ISO 13616's example
      ['DE89370400440532013000', 'ok'],
      ['BE71096123456769', 'ok'],
      ['NO9386011117947', 'ok'], // 15, the shortest national format
      ['MT84MALT011000012345MTLCAST001S', 'ok'],
    ]);
  });

  it('reports the check digits it should have', () => {
    expect(lint('iban', 'GB83WEST12345698765432')).toEqual({
      code: 'check-digit',
      message: 'check digits 83 should be 82',
    });
    expect(message('iban', 'BE71096123456760')).toBe('check digits 71 should be 23');
  });

  it('rejects unknown countries, bad lengths and characters (reference order)', () => {
    expect(lint('iban', 'XX82WEST12345698765432')).toEqual({
      code: 'bad-value',
      message: 'country code XX is not an ISO 3166 code',
    });
    expect(message('iban', 'GB8')).toBe('too short for an IBAN (3 characters)');
    expect(message('iban', 'GB82WEST12')).toBe('too short for an IBAN (10 characters)');
    expect(message('iban', `GB82${'1'.repeat(31)}`)).toBe('too long for an IBAN (35 characters, at most 34)');
    expect(message('iban', 'GB82West12345698765432')).toBe(
      '"e" at position 5 cannot be in an IBAN (0-9, A-Z)',
    );
  });
});

describe('small value rules (reference)', () => {
  it('zero, nonzero, nozeroprefix', () => {
    expectCodes('zero', [
      ['0', 'ok'],
      ['00', 'ok'],
      ['1', 'bad-value'],
      ['', 'bad-value'],
      ['0X', 'bad-value'],
    ]);
    expectCodes('nonzero', [
      ['0001', 'ok'],
      ['9000', 'ok'],
      ['0000', 'bad-value'],
      ['0', 'bad-value'],
      ['', 'bad-value'],
      ['9A99', 'bad-value'],
    ]);
    expect(message('nonzero', '0000')).toBe('must not be zero');
    // AI 8011: no leading zero, so "0" itself is refused too (as the reference does)
    expectCodes('nozeroprefix', [
      ['1', 'ok'],
      ['10', 'ok'],
      ['123456789012', 'ok'],
      ['', 'ok'],
      ['0', 'bad-value'],
      ['012', 'bad-value'],
      ['9A', 'bad-value'],
    ]);
    expect(message('nozeroprefix', '012')).toBe('must not start with 0');
  });

  it('hasnondigit, hyphen, winding, yesno, iso5218, importeridx', () => {
    expectCodes('hasnondigit', [
      ['A', 'ok'],
      ['123A', 'ok'],
      ['/123', 'ok'],
      ['123', 'bad-value'],
      ['', 'bad-value'],
    ]);
    expectCodes('hyphen', [
      ['-', 'ok'],
      ['--', 'ok'],
      ['X', 'bad-value'],
      ['', 'bad-value'],
    ]);
    expectCodes('winding', [
      ['0', 'ok'],
      ['1', 'ok'],
      ['9', 'ok'],
      ['2', 'bad-value'],
      ['01', 'bad-value'],
    ]);
    expect(message('winding', '2')).toBe('winding direction "2" is not 0, 1 or 9');
    expectCodes('yesno', [
      ['0', 'ok'],
      ['1', 'ok'],
      ['2', 'bad-value'],
      ['', 'bad-value'],
    ]);
    expectCodes('iso5218', [
      ['0', 'ok'],
      ['1', 'ok'],
      ['2', 'ok'],
      ['9', 'ok'],
      ['3', 'bad-value'],
      ['', 'bad-value'],
    ]);
    expectCodes('importeridx', [
      ['0', 'ok'],
      ['Z', 'ok'],
      ['z', 'ok'],
      ['-', 'ok'],
      ['_', 'ok'],
      ['!', 'bad-value'],
      ['/', 'bad-value'],
      ['AA', 'bad-value'],
      ['', 'bad-value'],
    ]);
    expect(message('importeridx', '!')).toBe('importer index "!" is not one of 0-9, A-Z, a-z, - and _');
  });

  it('pieceoftotal: PPTT of equal width (AI 8026)', () => {
    expectCodes('pieceoftotal', [
      ['0102', 'ok'],
      ['0202', 'ok'],
      ['9899', 'ok'],
      ['13', 'ok'],
      ['0302', 'bad-value'],
      ['0002', 'bad-value'],
      ['0100', 'bad-value'],
      ['123', 'bad-value'],
      ['', 'bad-value'],
      ['01x2', 'bad-value'],
    ]);
    expect(message('pieceoftotal', '0302')).toBe('piece 3 is more than the total of 2');
    expect(message('pieceoftotal', '0002')).toBe('the piece number must not be zero');
    expect(message('pieceoftotal', '0100')).toBe('the total number of pieces must not be zero');
  });

  it('posinseqslash: <pos>/<end> (AI 7258)', () => {
    expectCodes('posinseqslash', [
      ['1/2', 'ok'],
      ['2/2', 'ok'],
      ['9/10', 'ok'],
      ['10/10', 'ok'],
      ['3/2', 'bad-value'],
      ['10/9', 'bad-value'],
      ['0/2', 'bad-value'],
      ['1/0', 'bad-value'],
      ['01/2', 'bad-value'],
      ['1/', 'bad-value'],
      ['/1', 'bad-value'],
      ['1//2', 'bad-value'],
      ['12', 'bad-value'],
      ['', 'bad-value'],
    ]);
    expect(message('posinseqslash', '3/2')).toBe('position 3 is past the end of the sequence, 2');
    expect(message('posinseqslash', '0/2')).toBe('position 0 must not be zero or start with 0');
    expect(message('posinseqslash', '1-2')).toBe('"1-2" is not a position in a sequence, like 1/3');
  });

  it('pcenc: percent-encoding (AI 7240 and others)', () => {
    expectCodes('pcenc', [
      ['', 'ok'],
      ['abc', 'ok'],
      ['a%20b', 'ok'],
      ['%Ff', 'ok'],
      ['%2525', 'ok'],
      ['a%2', 'bad-value'],
      ['a%', 'bad-value'],
      ['%g0', 'bad-value'],
      ['%0g', 'bad-value'],
    ]);
    expect(message('pcenc', 'ab%2')).toBe('"%" at position 2 is not followed by two hex digits');
  });

  it('latitude and longitude: 10 digits up to 180° and 360° (AI 4309)', () => {
    expectCodes('latitude', [
      ['0000000000', 'ok'],
      ['1800000000', 'ok'],
      ['1800000001', 'bad-value'],
      ['180000000', 'bad-value'],
      ['123456789x', 'bad-value'],
    ]);
    expectCodes('longitude', [
      ['3600000000', 'ok'],
      ['3600000001', 'bad-value'],
      ['9999999999', 'bad-value'],
    ]);
    expect(message('latitude', '1800000001')).toBe('latitude 1800000001 is beyond 1800000000');
  });
});

describe('couponcode: North American coupon code, AI 8110 (GS1 US coupon guideline; reference)', () => {
  // GCP VLI 0 (6 digits) 614141, offer 123456, save value VLI 2 "75", 1st purchase requirement
  // VLI 1 "1", requirement code 0, family code 123.
  const base = '0614141123456275110123';

  it('accepts the mandatory fields and each optional field', () => {
    expectCodes('couponcode', [
      [base, 'ok'],
      [`${base}101214569`, 'ok'], // 1: rules 0, 2nd purchase "2" code 1 family 456, no GCP (9)
      [`${base}101214560614141`, 'ok'], // ... with a GCP, VLI 0: 614141
      [`${base}21214569`, 'ok'], // 2: 3rd purchase, no GCP
      [`${base}3261231`, 'ok'], // 3: expiration
      [`${base}4260101`, 'ok'], // 4: start
      [`${base}32612314260101`, 'ok'], // expiration after start
      [`${base}50123456`, 'ok'], // 5: serial, VLI 0 -> 6 digits
      [`${base}610614141`, 'ok'], // 6: retailer, VLI 1 -> 7 digits
      [`${base}90010`, 'ok'], // 9: save value code 0, applies to 0, store flag 1, don't multiply 0
      [`${base}10121456921214569326123142601015012345661061414190010`, 'ok'], // all of them
    ]);
  });

  it('rejects what breaks the layout', () => {
    expectCodes('couponcode', [
      ['', 'bad-value'],
      ['7614141123456275110123', 'bad-value'], // GCP VLI 7
      ['061414112345', 'bad-value'], // offer code cut short
      ['0614141123456075110123', 'bad-value'], // save value VLI 0
      ['0614141123456275115123', 'bad-value'], // requirement code 5
      ['061414112345627511012', 'bad-value'], // family code cut short
      [`${base}0`, 'bad-value'], // 0 is no optional field
      [`${base}3261301`, 'bad-value'], // month 13
      [`${base}3260600`, 'bad-value'], // no day 00 in coupons
      [`${base}32601014261231`, 'bad-value'], // expires before it starts
      [`${base}43261231`, 'bad-value'], // 4 then 3: fields are in order
      [`${base}32612313261231`, 'bad-value'], // each field once
      [`${base}90310`, 'bad-value'], // applies-to 3
      [`${base}90012`, 'bad-value'], // don't multiply 2
      [`${base}60`, 'bad-value'], // retailer VLI 0
      [`${base}a`, 'bad-value'],
    ]);
    expect(message('couponcode', '7614141123456275110123')).toBe(
      'company prefix length indicator 7 at position 0 is not 0 to 6',
    );
    expect(message('couponcode', '061414112345')).toBe(
      'the offer code is cut short: 6 digits needed, 5 left',
    );
    expect(message('couponcode', '0614141123456')).toBe('the save value length indicator is missing');
    expect(message('couponcode', `${base}3261301`)).toBe('expiration date 261301: month 13 does not exist');
    expect(message('couponcode', `${base}32601014261231`)).toBe(
      'the expiration date is before the start date',
    );
    expect(message('couponcode', `${base}0`)).toBe('unexpected data from position 22');
  });

  it('compares the dates in the centuries the window gives them (the reference compares YYMMDD text)', () => {
    // In 2060: start 991231 is 2099-12-31, expiration 000101 is 2100-01-01.
    expect(code('couponcode', `${base}30001014991231`, 2060)).toBe('ok');
    expect(code('couponcode', `${base}39912314000101`, 2060)).toBe('bad-value');
  });
});

describe('couponposoffer: positive offer file coupon, AI 8112 (reference)', () => {
  it('format, funder, offer code, serial number and nothing more', () => {
    expectCodes('couponposoffer', [
      ['006141411234560000001', 'ok'], // format 0, funder VLI 0 (6), offer, serial VLI 0 (6)
      ['106141411234569012345678901234', 'ok'], // format 1, serial VLI 9 (15)
      ['206141411234560000001', 'bad-value'], // format 2
      ['076141411234560000001', 'bad-value'], // funder VLI 7
      ['00614141123456000000', 'bad-value'], // serial cut short
      ['0061414112345600000012', 'bad-value'], // excess
      ['', 'bad-value'],
      ['0', 'bad-value'],
    ]);
    expect(message('couponposoffer', '206141411234560000001')).toBe(
      'format code 2 at position 0 is not 0 or 1',
    );
    expect(message('couponposoffer', '0')).toBe('the funder ID length indicator is missing');
    expect(message('couponposoffer', '00614141123456000000')).toBe(
      'the serial number is cut short: 6 digits needed, 5 left',
    );
  });
});

describe('the linter table', () => {
  const named = [...new Set(AI_ROWS.flatMap((row) => row.components.flatMap((c) => c.linters)))].sort();

  it('has every linter the dictionary names, and nothing inherited', () => {
    expect(named.filter((name) => typeof LINTERS[name] !== 'function')).toEqual([]);
    expect(named.length).toBe(34);
    expect(LINTERS.toString).toBeUndefined();
    expect(LINTERS.constructor).toBeUndefined();
    expect(Object.isFrozen(LINTERS)).toBe(true);
  });

  /** Which codes each linter may give. */
  const codesOf = (name: string): readonly string[] => {
    if (['csum', 'csumalpha', 'iban'].includes(name)) return ['check-digit', 'bad-value'];
    if (/^y+mmd[d0]$/.test(name)) return ['bad-date'];
    if (['hh', 'mi', 'ss', 'hhmi'].includes(name)) return ['bad-time'];
    return ['bad-value'];
  };
  const wellFormed = (name: string, result: LintFailure | undefined) =>
    result === undefined ||
    (codesOf(name).includes(result.code) && typeof result.message === 'string' && result.message.length > 0);

  it('property: never throws on a string of the right length, whatever its characters', () => {
    const uses = AI_ROWS.flatMap((row) =>
      row.components.flatMap((c) => c.linters.map((name) => ({ name, min: c.min, max: c.max }))),
    );
    const use = fc.constantFrom(...uses);
    const year = fc.integer({ min: 1900, max: 2200 });
    fc.assert(
      fc.property(
        use.chain(({ name, min, max }) =>
          fc.tuple(
            fc.constant(name),
            fc.oneof(
              fc.string({ unit: 'binary-ascii', minLength: min, maxLength: max }),
              fc
                .array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max })
                .map((a) => a.join('')),
            ),
          ),
        ),
        year,
        ([name, value], thisYear) => {
          expect(wellFormed(name, LINTERS[name]!(value, thisYear))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: never throws on any string at all', () => {
    const names = Object.keys(LINTERS);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.string({ unit: 'binary', maxLength: 120 }), (name, value) => {
        expect(wellFormed(name, LINTERS[name]!(value, Y))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
