/**
 * Content checks ("linters") the GS1 Barcode Syntax Dictionary names on AI components, e.g.
 * `N14,csum` or `N6,yymmd0`. Each takes the component's value, already known to have the right
 * character set and length, and returns undefined when it is valid. Written from the GS1 General
 * Specifications and the behaviour of GS1's reference Barcode Syntax Tests.
 *
 * csum, dates and times run on the daemon's hot path: plain loops over char codes, no allocation.
 */
import { ISO3166_ALPHA2, ISO3166_NUMERIC, ISO4217_NUMERIC, PACKAGE_TYPES } from './ai-code-lists.js';

/** Why a component failed its linter; the caller adds the AI and its title to the message. */
export interface LintFailure {
  readonly code: 'check-digit' | 'bad-date' | 'bad-time' | 'bad-value';
  readonly message: string;
}

/** `thisYear` (4 digits) resolves two-digit years by GS1's sliding century window. */
export type Linter = (value: string, thisYear: number) => LintFailure | undefined;

const bad = (message: string): LintFailure => ({ code: 'bad-value', message });
const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const num2 = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/** GS1 mod-10 check digit of `digits` without its last character (weights 3,1,3,... from the right). */
function mod10(digits: string, end: number): number {
  let sum = 0;
  for (let i = end - 1, w = 3; i >= 0; i--, w = 4 - w) sum += digit(digits, i) * w;
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit of `digits` is the GS1 check digit of the others. */
export function validCheckDigit(digits: string): boolean {
  const n = digits.length;
  return n > 1 && mod10(digits, n - 1) === digit(digits, n - 1);
}

/** The four-digit year of a GS1 YY (GenSpecs 7.12): within 49 years ahead, else the century before. */
export function fullYear(yy: number, thisYear: number): number {
  const century = thisYear - (thisYear % 100);
  const diff = yy - (thisYear % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff > -50) return century + yy;
  return century + 100 + yy;
}

const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number) => (month === 2 && leap(year) ? 29 : DAYS[month - 1]!);

function date(year: number, month: number, day: number, dayZero: boolean): LintFailure | undefined {
  if (month < 1 || month > 12) return { code: 'bad-date', message: `month ${pad(month)} does not exist` };
  if (day === 0 && dayZero) return undefined;
  if (day < 1 || day > daysIn(year, month)) {
    return { code: 'bad-date', message: `day ${pad(day)} does not exist in ${year}-${pad(month)}` };
  }
  return undefined;
}

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const time = (what: string, value: number, max: number): LintFailure | undefined =>
  value > max
    ? { code: 'bad-time', message: `${what} ${pad(value)} is out of range (00 to ${max})` }
    : undefined;

const CSET82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const CSET32 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83];

/** The two GS1 check characters of an alphanumeric key (GenSpecs 7.9.5), or undefined if too long. */
export function checkCharacters(data: string): string | undefined {
  if (data.length > PRIMES.length) return undefined;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += CSET82.indexOf(data[i]!) * PRIMES[data.length - 1 - i]!;
  sum %= 1021;
  return CSET32[sum >> 5]! + CSET32[sum & 31]!;
}

/** IBAN (ISO 13616): country, two check digits, up to 30 alphanumerics; mod 97 of the rearranged text is 1. */
function iban(value: string): LintFailure | undefined {
  if (!/^[A-Z]{2}[0-9]{2}[0-9A-Z]{1,30}$/.test(value))
    return bad('not an IBAN (country, check digits, account)');
  if (!ISO3166_ALPHA2.has(value.slice(0, 2)))
    return bad(`country ${value.slice(0, 2)} is not an ISO 3166 code`);
  const rearranged = value.slice(4) + value.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const v = ch <= '9' ? ch.charCodeAt(0) - 48 : ch.charCodeAt(0) - 55;
    rest = (v > 9 ? rest * 100 + v : rest * 10 + v) % 97;
  }
  return rest === 1 ? undefined : { code: 'check-digit', message: 'the IBAN check digits do not match' };
}

export const LINTERS: Readonly<Record<string, Linter>> = {
  csum: (v) => {
    const want = mod10(v, v.length - 1);
    return want === digit(v, v.length - 1)
      ? undefined
      : { code: 'check-digit', message: `check digit ${v[v.length - 1]} should be ${want}` };
  },
  csumalpha: (v) => {
    const want = checkCharacters(v.slice(0, -2));
    if (v.length < 3) return bad('too short for its two check characters');
    return want === v.slice(-2)
      ? undefined
      : { code: 'check-digit', message: `check characters ${v.slice(-2)} should be ${want ?? '(too long)'}` };
  },
  // No GS1 Company Prefix register here: a prefix is at least 4 digits (as the reference does offline).
  gcppos1: (v) => gcp(v, 0),
  gcppos2: (v) => gcp(v, 1),
  yymmd0: (v, y) => date(fullYear(num2(v, 0), y), num2(v, 2), num2(v, 4), true),
  yymmdd: (v, y) => date(fullYear(num2(v, 0), y), num2(v, 2), num2(v, 4), false),
  yyyymmdd: (v) => date(num2(v, 0) * 100 + num2(v, 2), num2(v, 4), num2(v, 6), false),
  hhmi: (v) => time('hour', num2(v, 0), 23) ?? time('minute', num2(v, 2), 59),
  hh: (v) => time('hour', num2(v, 0), 23),
  mi: (v) => time('minute', num2(v, 0), 59),
  ss: (v) => time('second', num2(v, 0), 59),
  nonzero: (v) => (/^0+$/.test(v) ? bad('must not be zero') : undefined),
  zero: (v) => (v === '0' ? undefined : bad(`must be 0, got ${v}`)),
  winding: (v) =>
    v === '0' || v === '1' || v === '9' ? undefined : bad(`winding direction ${v} is not 0, 1 or 9`),
  yesno: (v) => (v === '0' || v === '1' ? undefined : bad(`${v} is not 0 (no) or 1 (yes)`)),
  hyphen: (v) => (v === '-' ? undefined : bad(`"${v}" is not a hyphen`)),
  iso5218: (v) =>
    '0129'.includes(v) && v.length === 1 ? undefined : bad(`sex code ${v} is not 0, 1, 2 or 9`),
  mediatype: (v) => {
    const n = Number(v);
    return (n >= 1 && n <= 10) || (n >= 80 && n <= 99)
      ? undefined
      : bad(`media type ${v} is not 01-10 or 80-99`);
  },
  pieceoftotal: (v) => {
    const piece = Number(v.slice(0, v.length / 2));
    const total = Number(v.slice(v.length / 2));
    if (piece === 0 || total === 0) return bad('piece and total must not be zero');
    return piece <= total ? undefined : bad(`piece ${piece} is more than the total ${total}`);
  },
  latitude: (v) => (Number(v) <= 1_800_000_000 ? undefined : bad(`latitude ${v} is beyond 1800000000`)),
  longitude: (v) => (Number(v) <= 3_600_000_000 ? undefined : bad(`longitude ${v} is beyond 3600000000`)),
  iso3166: (v) => (ISO3166_NUMERIC.has(v) ? undefined : bad(`country code ${v} is not an ISO 3166 code`)),
  iso3166999: (v) =>
    v === '999' || ISO3166_NUMERIC.has(v)
      ? undefined
      : bad(`country code ${v} is not an ISO 3166 code or 999`),
  iso3166alpha2: (v) =>
    ISO3166_ALPHA2.has(v) ? undefined : bad(`country code ${v} is not an ISO 3166 code`),
  iso4217: (v) => (ISO4217_NUMERIC.has(v) ? undefined : bad(`currency code ${v} is not an ISO 4217 code`)),
  packagetype: (v) => (PACKAGE_TYPES.has(v) ? undefined : bad(`${v} is not a GS1 package type code`)),
  iban,
  pcenc: (v) => (/%(?![0-9A-Fa-f]{2})/.test(v) ? bad('a "%" is not followed by two hex digits') : undefined),
  nozeroprefix: (v) => (v.length > 1 && v[0] === '0' ? bad('must not start with 0') : undefined),
  hasnondigit: (v) => (/^[0-9]*$/.test(v) ? bad('must contain a character that is not a digit') : undefined),
  importeridx: (v) =>
    /^[-0-9A-Z_a-z]$/.test(v) ? undefined : bad(`importer index "${v}" is not 0-9, A-Z, a-z, - or _`),
  posinseqslash: (v) => {
    const m = /^([1-9])\/([1-9])$/.exec(v);
    if (!m) return bad(`"${v}" is not a position in a sequence, like 1/2`);
    return m[1]! <= m[2]! ? undefined : bad(`position ${m[1]} is past the end of ${m[2]}`);
  },
  // North American coupon data: checked for its character set and length only (see README).
  couponcode: () => undefined,
  couponposoffer: () => undefined,
};

function gcp(value: string, from: number): LintFailure | undefined {
  if (value.length - from < 4) return bad('too short to hold a GS1 Company Prefix');
  for (let i = from; i < from + 4; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return bad('does not start with a GS1 Company Prefix (4 or more digits)');
  }
  return undefined;
}
