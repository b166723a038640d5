/**
 * GS1 element strings against the whole Application Identifier table. Vectors are from the GS1
 * General Specifications (GenSpecs, release 25) examples and from the behaviour GS1's reference
 * parser (gs1/gs1-syntax-engine) documents; each names its source. The year is pinned to 2026 so
 * the two-digit-year window is fixed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AI_ROWS } from '../../../daemon/identity/ai-dictionary.generated.js';
import { aiDefinition, allAis } from '../../../daemon/identity/ai-dictionary.js';
import { parseElementString } from '../../../daemon/identity/element-string.js';
import { repoRoot } from '../../support/schemas.js';
import { renderTable } from '../../tools/write-ai-table.js';

const YEAR = 2026;
const parse = (data: string) => parseElementString(data, YEAR);
const code = (data: string) => {
  const r = parse(data);
  return r.ok ? 'ok' : r.reject.code;
};
const elements = (data: string) => {
  const r = parse(data);
  if (!r.ok) throw new Error(`${r.reject.code}: ${r.reject.message}`);
  return r.elements.map((e) => [e.ai, e.value]);
};
const message = (data: string) => {
  const r = parse(data);
  return r.ok ? '' : r.reject.message;
};

describe('the AI table', () => {
  it('is generated from the GS1 Barcode Syntax Dictionary kept in test/fixtures/gs1, and is up to date', () => {
    const dictionary = join(repoRoot, 'test', 'fixtures', 'gs1', 'gs1-syntax-dictionary.txt');
    expect(existsSync(dictionary)).toBe(true);
    const committed = readFileSync(
      join(repoRoot, 'daemon', 'identity', 'ai-dictionary.generated.ts'),
      'utf8',
    );
    expect(committed, 'run `npm run ai-table`').toBe(renderTable(readFileSync(dictionary, 'utf8')));
  });

  it('knows every AI of the dictionary, ranges expanded', () => {
    const expected = AI_ROWS.reduce((n, r) => n + Number(r.to) - Number(r.from) + 1, 0);
    expect(allAis().length).toBe(expected);
    expect(allAis().length).toBeGreaterThan(500);
    for (const ai of [
      '00',
      '01',
      '10',
      '21',
      '235',
      '3103',
      '3955',
      '4309',
      '7040',
      '8003',
      '8030',
      '8200',
      '99',
    ]) {
      expect(aiDefinition(ai)?.ai).toBe(ai);
    }
    expect(aiDefinition('23')).toBeUndefined();
    expect(aiDefinition('3106')).toBeUndefined();
  });

  it('marks exactly the predefined-length AIs of GenSpecs figure 5.10.1-2 as needing no separator', () => {
    // GenSpecs 5.10.1: 00-04, 11-20, 31-36, 41 (by the first two digits).
    const predefinedPrefix = (p: number) =>
      p <= 4 || (p >= 11 && p <= 20) || (p >= 31 && p <= 36) || p === 41;
    for (const def of allAis()) {
      expect(def.predefined, `AI ${def.ai}`).toBe(predefinedPrefix(Number(def.ai.slice(0, 2))));
      if (def.predefined) expect(def.minLength, `AI ${def.ai}`).toBe(def.maxLength);
    }
  });
});

describe('separators (GenSpecs 7.8.5 and the reference parser)', () => {
  it('splits by the predefined lengths and by GS after variable-length values', () => {
    // GenSpecs figure 7.8.5.2-1 style: (01)(17)(10)(21) with GS only after the variable-length (10).
    expect(elements('010950600013435217271231' + '10ABC\x1d' + '21XYZ')).toEqual([
      ['01', '09506000134352'],
      ['17', '271231'],
      ['10', 'ABC'],
      ['21', 'XYZ'],
    ]);
  });

  it('accepts a needless GS after a predefined-length value and a trailing GS', () => {
    expect(elements('0109506000134352\x1d21ABC\x1d')).toEqual([
      ['01', '09506000134352'],
      ['21', 'ABC'],
    ]);
  });

  it('lets a missing GS make the value swallow the next AI (10ABC21SER is lot "ABC21SER")', () => {
    expect(elements('010950600013435210ABC21SER')).toEqual([
      ['01', '09506000134352'],
      ['10', 'ABC21SER'],
    ]);
  });

  it('rejects an empty element, a GS at the start, "^" and unknown AIs', () => {
    expect(code('0109506000134352\x1d\x1d21A')).toBe('empty-element');
    expect(code('0109506000134352' + '21\x1d10A')).toBe('empty-element');
    expect(code('\x1d0109506000134352')).toBe('gs-at-start');
    expect(code('0109506000134352^21A')).toBe('bad-character');
    // A ^ is the reason given wherever it stands: where an AI, a digit or a value should be.
    expect(message('0109506000134352^21A')).toBe('"^" at position 16 is not allowed in GS1 data');
    expect(message('^0109506000134352')).toBe('"^" at position 0 is not allowed in GS1 data');
    expect(message('01095060^0134352')).toBe('"^" at position 8 is not allowed in GS1 data');
    expect(message('0109506000134352' + '21A^B')).toBe('"^" at position 19 is not allowed in GS1 data');
    // A GS inside a predefined-length value cuts it short.
    expect(message('01095060001343\x1d21A')).toBe('AI (01) GTIN takes 14 characters, got 12: "095060001343"');
    expect(message('0109506')).toBe('AI (01) GTIN takes 14 characters, got 5: "09506"');
    expect(code('0109506000134352' + '2312')).toBe('unknown-ai');
    expect(message('0109506000134352' + '2312')).toBe('unknown Application Identifier "231" at position 16');
    expect(code('0109506000134352' + '3106123456')).toBe('unknown-ai');
    expect(code('0109506000134352' + 'AB')).toBe('unknown-ai');
  });

  it('says a GS may be missing when a fixed-length AI that needs one runs long', () => {
    // (8001) is fixed at 14 digits but not predefined: it needs a GS before the next AI.
    expect(code('0109506000134352' + '80011234512345123100' + '21A')).toBe('too-long');
    expect(message('0109506000134352' + '80011234512345123100' + '21A')).toMatch(/GS separator missing/);
  });
});

describe('values against their AI', () => {
  it('checks check digits of GTIN, SSCC, GLN, GRAI and the ITIP GTIN part', () => {
    // GTIN 09506000134352 and SSCC 106141411234567897 are GS1 GenSpecs examples; the GLN, GRAI and
    // ITIP use the same example company prefix 950600 with check digits by GenSpecs 7.9.1.
    expect(code('0109506000134352' + '21A')).toBe('ok');
    expect(code('0109506000134353' + '21A')).toBe('check-digit');
    expect(code('00106141411234567897')).toBe('ok');
    expect(code('00106141411234567898')).toBe('check-digit');
    expect(code('4149506000000008')).toBe('ok');
    expect(code('4149506000000007')).toBe('check-digit');
    expect(code('800309506000012346SN7')).toBe('ok'); // GRAI: "0" + 13 digits with check + serial
    expect(code('800309506000012347SN7')).toBe('check-digit');
    expect(code('800319506000012346')).toBe('bad-value'); // the leading digit must be 0
    expect(code('8006095060001343520102' + '\x1d' + '21A')).toBe('ok');
    expect(code('8006095060001343530102' + '\x1d' + '21A')).toBe('check-digit');
  });

  it('checks dates and times: day 00, leap years, months, hours and minutes', () => {
    const unit = '0109506000134352' + '21A\x1d';
    expect(code(`${unit}17280200`)).toBe('ok'); // day 00: month end unknown
    expect(code(`${unit}17280229`)).toBe('ok'); // 2028 is a leap year
    expect(code(`${unit}17270229`)).toBe('bad-date');
    expect(code(`${unit}17271301`)).toBe('bad-date');
    expect(code(`${unit}17270001`)).toBe('bad-date');
    expect(code(`${unit}17270431`)).toBe('bad-date');
    // (7003) EXPIRY TIME is YYMMDD (no day 00) then HHMI.
    expect(code(`${unit}70032704301159`)).toBe('ok');
    expect(code(`${unit}70032704002359`)).toBe('bad-date');
    expect(code(`${unit}70032704302400`)).toBe('bad-time');
    expect(code(`${unit}70032704302360`)).toBe('bad-time');
    // (8008) PROD TIME: YYMMDD HH, then optional MI and SS.
    expect(code(`${unit}800827043011`)).toBe('ok');
    expect(code(`${unit}80082704301159`)).toBe('ok');
    expect(code(`${unit}8008270430115959`)).toBe('ok');
    expect(code(`${unit}8008270430115960`)).toBe('bad-time');
    expect(code(`${unit}800827043011595`)).toBe('too-short'); // ends inside the optional SS
  });

  it('checks character sets 82, 39 and 64', () => {
    const unit = '0109506000134352';
    expect(code(`${unit}21!"%&'()*+,-./:;<=>?_`)).toBe('ok');
    expect(code(`${unit}21azAZ09`)).toBe('ok');
    expect(code(`${unit}21A B`)).toBe('bad-character');
    expect(code(`${unit}21A~B`)).toBe('bad-character');
    expect(code(`${unit}21Aé`)).toBe('bad-character');
    // (8010) CPID is character set 39: digits, upper-case letters, # - /.
    expect(code('80109506000#-/AB\x1d8011123')).toBe('ok');
    expect(code('80109506000ab\x1d8011123')).toBe('bad-character');
    // (8030) DIGSIG is character set 64 (base64url), "=" only as padding at the end.
    expect(code(`00106141411234567897` + '8030AbC-_9==')).toBe('ok');
    expect(code(`00106141411234567897` + '8030Ab=C')).toBe('bad-character');
    expect(code(`00106141411234567897` + '8030Ab+C')).toBe('bad-character');
    expect(code(`${unit}21A\x1d30` + '12A4')).toBe('not-numeric');
  });

  it('checks lengths, fixed and variable, and multi-part values', () => {
    const unit = '0109506000134352';
    expect(code(`${unit}21${'A'.repeat(20)}`)).toBe('ok');
    expect(code(`${unit}21${'A'.repeat(21)}`)).toBe('too-long');
    expect(code('01095060001343')).toBe('too-short');
    // (8001) DIMENSIONS: N4 width, N5 length, N3 diameter (none zero), N1 winding (0, 1, 9), N1.
    expect(code(`${unit}8001123412345123` + '10\x1d21A')).toBe('ok');
    expect(code(`${unit}8001000012345123` + '10\x1d21A')).toBe('bad-value');
    expect(code(`${unit}8001123412345123` + '50\x1d21A')).toBe('bad-value');
    // (423) COUNTRY - INITIAL PROCESS: one to five ISO 3166 numeric codes.
    expect(code(`${unit}21A\x1d423276040`)).toBe('ok');
    expect(code(`${unit}21A\x1d4232760`)).toBe('too-short');
    expect(code(`${unit}21A\x1d423999`)).toBe('bad-value');
    // (4330) MAX TEMP F: N6 then an optional "-".
    expect(code('00106141411234567897' + '4330001234-')).toBe('ok');
    expect(code('00106141411234567897' + '4330001234+')).toBe('bad-value');
  });

  it('takes two identical elements once and rejects two different ones', () => {
    expect(elements('0109506000134352' + '21A\x1d' + '0109506000134352' + '21A')).toEqual([
      ['01', '09506000134352'],
      ['21', 'A'],
    ]);
    expect(code('0109506000134352' + '21A\x1d' + '21B')).toBe('duplicate-ai');
  });
});

describe('association rules (req= and ex= of the dictionary)', () => {
  it('requires the AIs an AI needs', () => {
    expect(code('21ABC')).toBe('ai-missing');
    expect(message('21ABC')).toBe('AI (21) SERIAL needs (01), (03) or (8006) with it');
    expect(code('10ABC')).toBe('ai-missing');
    expect(code('0209506000134352')).toBe('ai-missing'); // (02) needs (37)
    expect(code('254A')).toBe('ai-missing');
    expect(code('4149506000000008' + '254A')).toBe('ok');
    // (250) needs (01) or (8006), and also (21).
    expect(code('0109506000134352' + '250X')).toBe('ai-missing');
    expect(code('0109506000134352' + '250X\x1d21A')).toBe('ok');
  });

  it('rejects AIs that are never used together, including pattern rules like 310n', () => {
    expect(code('0109506000134352' + '0209506000134352')).toBe('ai-conflict');
    expect(message('0109506000134352' + '0209506000134352')).toBe(
      'AI (02) CONTENT and AI (01) GTIN are never used together',
    );
    expect(code('0109506000134352' + '3101000123' + '3102000123')).toBe('ai-conflict');
    expect(code('0109506000134352' + '3101000123' + '3201000123')).toBe('ok');
    expect(code('0109506000134352' + '21A\x1d' + '235B')).toBe('ai-conflict');
  });
});
