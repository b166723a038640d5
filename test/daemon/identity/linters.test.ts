/**
 * The content checks of the Barcode Syntax Dictionary, each with a valid and an invalid value.
 * Sources: GS1 General Specifications (GenSpecs) 7.9 (check digits and the GMN check pair, whose
 * worked example 1987654Ad4X4bL5ttr2310c2K is GenSpecs 7.9.5), 7.12 (dates), 3.x (AI formats);
 * ISO 13616 for the IBAN example GB82WEST12345698765432 (the standard's published example).
 */
import { describe, expect, it } from 'vitest';
import { checkCharacters, fullYear, LINTERS, validCheckDigit } from '../../../daemon/identity/ai-linters.js';

const Y = 2026;
const lint = (name: string, value: string) => LINTERS[name]!(value, Y)?.code ?? 'ok';

describe('linters', () => {
  it('check digits: GS1 mod 10 and the alphanumeric check pair', () => {
    expect(validCheckDigit('09506000134352')).toBe(true);
    expect(validCheckDigit('09506000134353')).toBe(false);
    expect(lint('csum', '106141411234567897')).toBe('ok');
    expect(LINTERS.csum!('106141411234567890', Y)?.message).toBe('check digit 0 should be 7');
    expect(checkCharacters('1987654Ad4X4bL5ttr2310c')).toBe('2K');
    expect(lint('csumalpha', '1987654Ad4X4bL5ttr2310c2K')).toBe('ok');
    expect(lint('csumalpha', '1987654Ad4X4bL5ttr2310c2L')).toBe('check-digit');
  });

  it('dates: day 00 only where allowed, leap years, the century window', () => {
    expect(lint('yymmd0', '280200')).toBe('ok');
    expect(lint('yymmdd', '280200')).toBe('bad-date');
    expect(lint('yymmdd', '280229')).toBe('ok');
    expect(lint('yymmdd', '270229')).toBe('bad-date');
    expect(LINTERS.yymmdd!('270431', Y)?.message).toBe('day 31 does not exist in 2027-04');
    expect(lint('yyyymmdd', '20000229')).toBe('ok'); // 2000 is a leap year
    expect(lint('yyyymmdd', '21000229')).toBe('bad-date'); // 2100 is not
    expect([fullYear(76, 2026), fullYear(77, 2026), fullYear(26, 2026), fullYear(5, 2060)]).toEqual([
      2076, 1977, 2026, 2105,
    ]);
  });

  it('times', () => {
    expect(lint('hhmi', '2359')).toBe('ok');
    expect(lint('hhmi', '2400')).toBe('bad-time');
    expect(lint('hh', '24')).toBe('bad-time');
    expect(lint('mi', '60')).toBe('bad-time');
    expect(lint('ss', '59')).toBe('ok');
  });

  it('code lists: countries, currencies, package types, media types', () => {
    expect(lint('iso3166', '276')).toBe('ok');
    expect(lint('iso3166', '999')).toBe('bad-value');
    expect(lint('iso3166999', '999')).toBe('ok');
    expect(lint('iso3166alpha2', 'DE')).toBe('ok');
    expect(lint('iso3166alpha2', 'XX')).toBe('bad-value');
    expect(lint('iso4217', '978')).toBe('ok'); // EUR
    expect(lint('iso4217', '000')).toBe('bad-value');
    expect(lint('packagetype', 'PX')).toBe('ok'); // pallet
    expect(lint('packagetype', 'QQQ')).toBe('bad-value');
    expect(lint('mediatype', '10')).toBe('ok');
    expect(lint('mediatype', '11')).toBe('bad-value');
    expect(lint('mediatype', '80')).toBe('ok');
  });

  it('the other content rules', () => {
    expect(lint('iban', 'GB82WEST12345698765432')).toBe('ok');
    expect(lint('iban', 'GB83WEST12345698765432')).toBe('check-digit');
    expect(lint('pieceoftotal', '0102')).toBe('ok');
    expect(lint('pieceoftotal', '0301')).toBe('bad-value');
    expect(lint('pieceoftotal', '0002')).toBe('bad-value');
    expect(lint('latitude', '1800000000')).toBe('ok');
    expect(lint('latitude', '1800000001')).toBe('bad-value');
    expect(lint('longitude', '3600000001')).toBe('bad-value');
    expect(lint('pcenc', 'a%20b')).toBe('ok');
    expect(lint('pcenc', 'a%2')).toBe('bad-value');
    expect(lint('nozeroprefix', '0')).toBe('ok');
    expect(lint('nozeroprefix', '012')).toBe('bad-value');
    expect(lint('hasnondigit', '123A')).toBe('ok');
    expect(lint('hasnondigit', '123')).toBe('bad-value');
    expect(lint('importeridx', '_')).toBe('ok');
    expect(lint('importeridx', '!')).toBe('bad-value');
    expect(lint('posinseqslash', '1/2')).toBe('ok');
    expect(lint('posinseqslash', '3/2')).toBe('bad-value');
    expect(lint('yesno', '1')).toBe('ok');
    expect(lint('yesno', '2')).toBe('bad-value');
    expect(lint('iso5218', '9')).toBe('ok');
    expect(lint('iso5218', '3')).toBe('bad-value');
    expect(lint('gcppos1', '0614141ABC')).toBe('ok');
    expect(lint('gcppos1', '061A')).toBe('bad-value');
    expect(lint('gcppos2', '0061')).toBe('bad-value'); // too short after the first digit
  });
});
