/**
 * Content checks ("linters") that GS1's Barcode Syntax Dictionary names on AI components, e.g.
 * `N14,csum,gcppos2` or `N6,yymmd0`. Each takes one component's value (its character set and
 * length already checked by the caller) and returns undefined when the value is valid.
 *
 * What each check accepts follows GS1's reference linters (gs1/gs1-syntax-engine,
 * src/c-lib/syntax/lint_*.c, read at commit 50657dbd of 2026-06-23, for Syntax Dictionary release
 * 2026-01-27) and the GS1 General Specifications (GenSpecs) sections named below; the code is our
 * own. Where we differ from the reference it is said at the check.
 *
 * The checks are robust to any input (any length, any characters): they report, never throw.
 * csum and the date checks sit on the daemon's hot path: plain loops over char codes, nothing
 * allocated unless the value fails.
 */
import { ISO3166_ALPHA2, ISO3166_NUMERIC, ISO4217_NUMERIC, PACKAGE_TYPES } from './ai-code-lists.js';

/** Why a component failed its linter; the caller adds the AI and its title to the message. */
export interface LintFailure {
  readonly code: 'check-digit' | 'bad-date' | 'bad-time' | 'bad-value';
  readonly message: string;
}

/**
 * A linter checks one component's value (already known to have the right charset and length).
 * Returns undefined when valid. `thisYear` is the current year (4 digits), used by yymmdd-style
 * linters for GS1's century sliding window.
 */
export type Linter = (value: string, thisYear: number) => LintFailure | undefined;

const fail = (code: LintFailure['code'], message: string): LintFailure => ({ code, message });
const bad = (message: string): LintFailure => fail('bad-value', message);

/** A character quoted for a message (`"x"`, control characters escaped). */
const quoted = (s: string) => JSON.stringify(s);
const notDigit = (v: string, i: number) => `${quoted(v[i]!)} at position ${i} is not a digit`;
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const chars = (n: number) => (n === 1 ? '1 character' : `${n} characters`);

/** Position of the first character of v[from, to) that is not a digit 0-9, or -1. */
function firstNonDigit(v: string, from = 0, to = v.length): number {
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return i;
  }
  return -1;
}

/** The number of the two digits at v[i], or -1 unless both are digits (or are missing). */
function two(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

// ---------------------------------------------------------------------------------------------
// Check digits

/** The mod-10 check of a GS1 numeric key (GenSpecs 7.9.1): weights 3,1,3,... from the right. */
function csum(v: string): LintFailure | undefined {
  const n = v.length;
  if (n === 0) return bad('no check digit');
  let sum = 0;
  for (let i = n - 2, w = 3; i >= 0; i--, w = 4 - w) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return bad(notDigit(v, i));
    sum += d * w;
  }
  const last = v.charCodeAt(n - 1) - 48;
  if (last < 0 || last > 9) return bad(notDigit(v, n - 1));
  const want = (10 - (sum % 10)) % 10;
  return last === want ? undefined : fail('check-digit', `check digit ${last} should be ${want}`);
}

/** GS1 mod-10 check digit validity (the last digit checks the others). */
export function validCheckDigit(digits: string): boolean {
  return csum(digits) === undefined;
}

/** GS1 character set 82 in value order: a character's check-pair value is its position here. */
const CSET82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
/** The 32 check characters, in value order. */
const CSET32 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
/** CSET 82 value by ASCII code, -1 for characters outside the set. */
const CSET82_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CSET82.length; i++) CSET82_VALUE[CSET82.charCodeAt(i)] = i;
const cset82Value = (c: number) => (c < 128 ? CSET82_VALUE[c]! : -1);

/**
 * Weights of the check character pair: the first primes, rightmost data character first. 97 of
 * them cover the longest AI value (99 characters with the pair), as in the reference.
 */
const PRIMES: number[] = [];
for (let n = 2; PRIMES.length < 97; n++) if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);

/**
 * The two GS1 check characters of `data` (GenSpecs 7.9.5, as used by the GMN): undefined when
 * data is longer than 97 characters or holds a character outside character set 82.
 */
export function checkCharacters(data: string): string | undefined {
  const n = data.length;
  if (n > PRIMES.length) return undefined;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const value = cset82Value(data.charCodeAt(i));
    if (value < 0) return undefined;
    sum += value * PRIMES[n - 1 - i]!;
  }
  sum %= 1021;
  return CSET32[sum >> 5]! + CSET32[sum & 31]!;
}

function csumalpha(v: string): LintFailure | undefined {
  const n = v.length;
  if (n < 2) return bad('too short to hold its two check characters');
  if (n - 2 > PRIMES.length) return bad(`too long for a check character pair (at most ${PRIMES.length + 2})`);
  for (let i = 0; i < n - 2; i++) {
    if (cset82Value(v.charCodeAt(i)) < 0) {
      return bad(`${quoted(v[i]!)} at position ${i} is not in GS1 character set 82`);
    }
  }
  const want = checkCharacters(v.slice(0, n - 2))!;
  const got = v.slice(n - 2);
  return got === want ? undefined : fail('check-digit', `check characters ${got} should be ${want}`);
}

/**
 * IBAN (ISO 13616) as the reference checks it: an ISO 3166 alpha-2 country, 11 to 34 characters
 * of 0-9 and A-Z, and mod 97 of the text moved round by four characters is 1. Like the reference,
 * no per-country length table.
 */
function iban(v: string): LintFailure | undefined {
  const n = v.length;
  if (n < 4) return bad(`too short for an IBAN (${chars(n)})`);
  const country = v.slice(0, 2);
  if (!ISO3166_ALPHA2.has(country)) return bad(`country code ${country} is not an ISO 3166 code`);
  if (n > 34) return bad(`too long for an IBAN (${chars(n)}, at most 34)`);
  if (n <= 10) return bad(`too short for an IBAN (${chars(n)})`);
  const rest = ibanMod97(v, false);
  if (rest < 0)
    return bad(`${quoted(v[-rest - 1]!)} at position ${-rest - 1} cannot be in an IBAN (0-9, A-Z)`);
  if (rest === 1) return undefined;
  return fail('check-digit', `check digits ${v.slice(2, 4)} should be ${pad2(98 - ibanMod97(v, true))}`);
}

/**
 * Mod 97 of the IBAN read from its fifth character round to its fourth, letters as 10-35; with
 * `zeroCheck`, its check digits read as 00. -(position + 1) of a character outside 0-9, A-Z.
 */
function ibanMod97(v: string, zeroCheck: boolean): number {
  const n = v.length;
  let rest = 0;
  for (let k = 4; k < n + 4; k++) {
    const i = k < n ? k : k - n;
    const c = zeroCheck && (i === 2 || i === 3) ? 48 : v.charCodeAt(i);
    if (c >= 48 && c <= 57) rest = (rest * 10 + c - 48) % 97;
    else if (c >= 65 && c <= 90) rest = (rest * 100 + c - 55) % 97;
    else return -(i + 1);
  }
  return rest;
}

// ---------------------------------------------------------------------------------------------
// GS1 Company Prefix position

/** The shortest GS1 Company Prefix (GenSpecs 1.4.3). */
const GCP_MIN_LENGTH = 4;

/**
 * The value holds, from `from`, what could be a GS1 Company Prefix: at least four characters, the
 * first four digits. Without a register of allocated prefixes that is all the reference checks
 * too (it offers a hook for a lookup service; no GS1 prefix range is rejected).
 */
function gcpAt(v: string, from: number): LintFailure | undefined {
  if (v.length - from < GCP_MIN_LENGTH) {
    return bad(`too short to hold a GS1 company prefix${from > 0 ? ` from position ${from}` : ''}`);
  }
  for (let i = from; i < from + GCP_MIN_LENGTH; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) {
      return bad(
        `${quoted(v[i]!)} at position ${i} cannot be in a GS1 company prefix (its first 4 are digits)`,
      );
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Dates and times

/**
 * Four-digit year of a GS1 two-digit year by the sliding window (GenSpecs 7.12): if YY - current
 * YY >= 51 -> previous century; if > -50 -> this century; else next century.
 */
export function fullYear(yy: number, thisYear: number): number {
  const century = thisYear - (thisYear % 100);
  const diff = yy - (thisYear % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff > -50) return century + yy;
  return century + 100 + yy;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
/** Days in month 1-12: 31 and 30 alternate, restarting at August; February by the leap rule. */
const daysInMonth = (year: number, month: number) =>
  month === 2 ? (isLeap(year) ? 29 : 28) : 30 + ((month + (month >> 3)) & 1);

const badDate = (message: string) => fail('bad-date', message);
const year4 = (y: number) => (y < 1000 ? String(y).padStart(4, '0') : `${y}`);

function checkDate(year: number, month: number, day: number, dayZero: boolean): LintFailure | undefined {
  if (month < 1 || month > 12) return badDate(`month ${pad2(month)} does not exist`);
  if (day === 0) return dayZero ? undefined : badDate('day 00 (day unknown) is not allowed here');
  if (day > daysInMonth(year, month)) {
    return badDate(`day ${pad2(day)} does not exist in ${year4(year)}-${pad2(month)}`);
  }
  return undefined;
}

/** YYMMDD with the year by the sliding window; `dayZero`: DD 00 stands for the month's last day. */
function yymmdd(v: string, thisYear: number, dayZero: boolean): LintFailure | undefined {
  if (v.length !== 6) return badDate(`a date needs 6 digits (YYMMDD), this has ${chars(v.length)}`);
  const yy = two(v, 0);
  const mm = two(v, 2);
  const dd = two(v, 4);
  if ((yy | mm | dd) < 0) return badDate(notDigit(v, firstNonDigit(v)));
  return checkDate(fullYear(yy, thisYear), mm, dd, dayZero);
}

function yyyymmdd(v: string, dayZero: boolean): LintFailure | undefined {
  if (v.length !== 8) return badDate(`a date needs 8 digits (YYYYMMDD), this has ${chars(v.length)}`);
  const cc = two(v, 0);
  const yy = two(v, 2);
  const mm = two(v, 4);
  const dd = two(v, 6);
  if ((cc | yy | mm | dd) < 0) return badDate(notDigit(v, firstNonDigit(v)));
  return checkDate(cc * 100 + yy, mm, dd, dayZero);
}

/** The two digits at v[at] as an hour (max 23), minute or second (max 59). */
function clockField(v: string, at: number, what: string, max: number): LintFailure | undefined {
  const n = two(v, at);
  if (n < 0) return fail('bad-time', notDigit(v, firstNonDigit(v, at, at + 2)));
  return n > max ? fail('bad-time', `${what} ${pad2(n)} does not exist (00 to ${max})`) : undefined;
}

function clock(v: string, digits: number, what: string): LintFailure | undefined {
  return v.length === digits
    ? undefined
    : fail('bad-time', `${what} needs ${digits} digits, this has ${chars(v.length)}`);
}

// ---------------------------------------------------------------------------------------------
// Numbers and small codes

/** `value` of 10 digits is at most `max`. */
function upTo(v: string, max: number, what: string): LintFailure | undefined {
  if (v.length !== 10) return bad(`${what} needs 10 digits, this has ${chars(v.length)}`);
  let n = 0;
  for (let i = 0; i < 10; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return bad(notDigit(v, i));
    n = n * 10 + d;
  }
  return n > max ? bad(`${what} ${v} is beyond ${max}`) : undefined;
}

/** PPTT: piece and total of equal width, neither zero, piece not past the total. */
function pieceoftotal(v: string): LintFailure | undefined {
  const nd = firstNonDigit(v);
  if (nd >= 0) return bad(notDigit(v, nd));
  const n = v.length;
  if (n === 0 || n % 2 !== 0) return bad(`piece and total need an even number of digits, this has ${n}`);
  const half = n / 2;
  let pieceZero = true;
  let totalZero = true;
  let order = 0;
  for (let i = 0; i < half; i++) {
    const p = v.charCodeAt(i);
    const t = v.charCodeAt(half + i);
    if (p !== 48) pieceZero = false;
    if (t !== 48) totalZero = false;
    if (order === 0 && p !== t) order = p < t ? -1 : 1;
  }
  if (pieceZero) return bad('the piece number must not be zero');
  if (totalZero) return bad('the total number of pieces must not be zero');
  if (order > 0) {
    return bad(`piece ${Number(v.slice(0, half))} is more than the total of ${Number(v.slice(half))}`);
  }
  return undefined;
}

/** `<pos>/<end>`: digits each side, no leading zero (so neither is zero), pos not past end. */
function posinseqslash(v: string): LintFailure | undefined {
  const n = v.length;
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === n - 1 || firstNonDigit(v, 0, slash) >= 0 || firstNonDigit(v, slash + 1) >= 0) {
    return bad(`${quoted(v)} is not a position in a sequence, like 1/3`);
  }
  const pos = v.slice(0, slash);
  const end = v.slice(slash + 1);
  if (pos.charCodeAt(0) === 48) return bad(`position ${pos} must not be zero or start with 0`);
  if (end.charCodeAt(0) === 48) return bad(`end ${end} must not be zero or start with 0`);
  if (pos.length > end.length || (pos.length === end.length && pos > end)) {
    return bad(`position ${pos} is past the end of the sequence, ${end}`);
  }
  return undefined;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Every % starts a percent-encoded byte: two hex digits follow it. */
function pcenc(v: string): LintFailure | undefined {
  for (let i = 0; i < v.length; i++) {
    if (v.charCodeAt(i) !== 37) continue;
    if (!isHex(v.charCodeAt(i + 1)) || !isHex(v.charCodeAt(i + 2))) {
      return bad(`"%" at position ${i} is not followed by two hex digits`);
    }
    i += 2;
  }
  return undefined;
}

/** One character that is 0-9, A-Z, a-z, - or _. */
function importeridx(v: string): LintFailure | undefined {
  const c = v.charCodeAt(0);
  const ok =
    v.length === 1 &&
    ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95);
  return ok ? undefined : bad(`importer index ${quoted(v)} is not one of 0-9, A-Z, a-z, - and _`);
}

/** The value is a single character of `allowed`. */
const oneOf = (v: string, allowed: string) => v.length === 1 && allowed.includes(v);

/** Data carrier media type (AI 7241): 01-10 assigned by ICCBBA, 80-99 for local use. */
function mediatype(v: string): LintFailure | undefined {
  const n = v.length === 2 ? two(v, 0) : -1;
  return (n >= 1 && n <= 10) || n >= 80
    ? undefined
    : bad(`media type ${quoted(v)} is not 01 to 10 or 80 to 99`);
}

// ---------------------------------------------------------------------------------------------
// North American coupon codes (AI 8110, 8112), after GS1 US's coupon application guideline as
// the reference reads it.

/** A cursor over an all-digit coupon value. */
class Coupon {
  pos = 0;
  constructor(readonly v: string) {}

  /** The digit at the cursor, or -1 at the end. */
  peek(): number {
    return this.pos < this.v.length ? this.v.charCodeAt(this.pos) - 48 : -1;
  }

  /** Reads one digit, which `allowed` (described by `text`) must accept. */
  digit(field: string, allowed: (d: number) => boolean, text: string): number | LintFailure {
    const d = this.peek();
    if (d < 0) return bad(`the ${field} is missing`);
    if (!allowed(d)) return bad(`${field} ${d} at position ${this.pos} is not ${text}`);
    this.pos++;
    return d;
  }

  /** Skips a field of `count` digits. */
  skip(count: number, field: string): LintFailure | undefined {
    const left = this.v.length - this.pos;
    if (left < count) return bad(`the ${field} is cut short: ${count} digits needed, ${left} left`);
    this.pos += count;
    return undefined;
  }

  /** A length indicator in `allowed`, then a field of `extra` plus that many digits. */
  sized(
    field: string,
    allowed: (d: number) => boolean,
    text: string,
    extra: number,
  ): LintFailure | undefined {
    const d = this.digit(`${field} length indicator`, allowed, text);
    return typeof d === 'number' ? this.skip(d + extra, field) : d;
  }

  /** A YYMMDD date (no day 00); its value as YYYYMMDD, or a failure. */
  date(field: string, thisYear: number): number | LintFailure {
    const at = this.pos;
    const short = this.skip(6, field);
    if (short) return short;
    const text = this.v.slice(at, at + 6);
    const wrong = yymmdd(text, thisYear, false);
    if (wrong) return bad(`${field} ${text}: ${wrong.message}`);
    return fullYear(two(text, 0), thisYear) * 10_000 + two(text, 2) * 100 + two(text, 4);
  }

  /** Nothing is left over. */
  end(): LintFailure | undefined {
    return this.pos === this.v.length ? undefined : bad(`unexpected data from position ${this.pos}`);
  }
}

const upToDigit = (max: number) => (d: number) => d <= max;
const range = (min: number, max: number) => (d: number) => d >= min && d <= max;
const anyDigit = () => true;
const requirementCode = (d: number) => d <= 4 || d === 9;
const gcpOrNone = (d: number) => d <= 6 || d === 9;

/** The one-digit fields of optional field 9, in order. */
const MISCELLANEOUS: readonly (readonly [string, (d: number) => boolean, string])[] = [
  ['save value code', (d) => d <= 2 || d === 5 || d === 6, '0, 1, 2, 5 or 6'],
  ['save value applies to item', upToDigit(2), '0 to 2'],
  ['store coupon flag', anyDigit, 'a digit'],
  ["don't multiply flag", upToDigit(1), '0 or 1'],
];

/** A purchase: requirement (length indicator 1-5), requirement code, family code. */
function purchase(c: Coupon, nth: string): LintFailure | undefined {
  const requirement = c.sized(`${nth} purchase requirement`, range(1, 5), '1 to 5', 0);
  if (requirement) return requirement;
  const code = c.digit(`${nth} purchase requirement code`, requirementCode, '0 to 4 or 9');
  if (typeof code !== 'number') return code;
  return c.skip(3, `${nth} purchase family code`);
}

/** A further purchase's company prefix: length indicator 0-6 (6-12 digits) or 9 (none). */
function purchaseGcp(c: Coupon, nth: string): LintFailure | undefined {
  const field = `${nth} purchase company prefix`;
  const d = c.digit(`${field} length indicator`, gcpOrNone, '0 to 6 or 9');
  if (typeof d !== 'number') return d;
  return d === 9 ? undefined : c.skip(d + 6, field);
}

/**
 * The coupon code of AI (8110): company prefix, offer code, save value, 1st purchase, then the
 * optional fields 1 (2nd purchase), 2 (3rd purchase), 3 (expiration date), 4 (start date),
 * 5 (serial number), 6 (retailer) and 9 (miscellaneous), each at most once and in that order.
 * The prefixes are all digits of 6 or more, so the gcppos1 check the reference applies to them
 * always holds. The expiration is compared with the start as window-resolved dates (the
 * reference compares the YYMMDD text, which errs across a century).
 */
function couponcode(v: string, thisYear: number): LintFailure | undefined {
  const nd = firstNonDigit(v);
  if (nd >= 0) return bad(notDigit(v, nd));
  const c = new Coupon(v);
  const head =
    c.sized('company prefix', upToDigit(6), '0 to 6', 6) ??
    c.skip(6, 'offer code') ??
    c.sized('save value', range(1, 5), '1 to 5', 0) ??
    purchase(c, '1st');
  if (head) return head;
  if (c.peek() === 1) {
    c.pos++;
    const rules = c.digit('additional purchase rules code', upToDigit(3), '0 to 3');
    if (typeof rules !== 'number') return rules;
    const second = purchase(c, '2nd') ?? purchaseGcp(c, '2nd');
    if (second) return second;
  }
  if (c.peek() === 2) {
    c.pos++;
    const third = purchase(c, '3rd') ?? purchaseGcp(c, '3rd');
    if (third) return third;
  }
  let expires = -1;
  if (c.peek() === 3) {
    c.pos++;
    const date = c.date('expiration date', thisYear);
    if (typeof date !== 'number') return date;
    expires = date;
  }
  if (c.peek() === 4) {
    c.pos++;
    const starts = c.date('start date', thisYear);
    if (typeof starts !== 'number') return starts;
    if (expires >= 0 && starts > expires) return bad('the expiration date is before the start date');
  }
  if (c.peek() === 5) {
    c.pos++;
    const serial = c.sized('serial number', anyDigit, 'a digit', 6);
    if (serial) return serial;
  }
  if (c.peek() === 6) {
    c.pos++;
    const retailer = c.sized('retailer company prefix or GLN', range(1, 7), '1 to 7', 6);
    if (retailer) return retailer;
  }
  if (c.peek() === 9) {
    c.pos++;
    for (const [field, allowed, text] of MISCELLANEOUS) {
      const d = c.digit(field, allowed, text);
      if (typeof d !== 'number') return d;
    }
  }
  return c.end();
}

/** The positive offer file coupon of AI (8112): format, funder, offer code, serial number. */
function couponposoffer(v: string): LintFailure | undefined {
  const nd = firstNonDigit(v);
  if (nd >= 0) return bad(notDigit(v, nd));
  const c = new Coupon(v);
  const format = c.digit('format code', upToDigit(1), '0 or 1');
  if (typeof format !== 'number') return format;
  return (
    c.sized('funder ID', upToDigit(6), '0 to 6', 6) ??
    c.skip(6, 'offer code') ??
    c.sized('serial number', anyDigit, 'a digit', 6) ??
    c.end()
  );
}

// ---------------------------------------------------------------------------------------------

/** Every linter by the name the Syntax Dictionary gives it (no inherited keys). */
export const LINTERS: Readonly<Record<string, Linter>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Linter>, {
    csum,
    csumalpha,
    iban,
    gcppos1: (v: string) => gcpAt(v, 0),
    gcppos2: (v: string) => gcpAt(v, 1),

    yymmd0: (v: string, thisYear: number) => yymmdd(v, thisYear, true),
    yymmdd: (v: string, thisYear: number) => yymmdd(v, thisYear, false),
    yyyymmd0: (v: string) => yyyymmdd(v, true),
    yyyymmdd: (v: string) => yyyymmdd(v, false),
    hhmi: (v: string) =>
      clock(v, 4, 'a time') ?? clockField(v, 0, 'hour', 23) ?? clockField(v, 2, 'minute', 59),
    hh: (v: string) => clock(v, 2, 'an hour') ?? clockField(v, 0, 'hour', 23),
    mi: (v: string) => clock(v, 2, 'a minute') ?? clockField(v, 0, 'minute', 59),
    ss: (v: string) => clock(v, 2, 'a second') ?? clockField(v, 0, 'second', 59),

    zero: (v: string) => (v.length > 0 && allZeros(v) ? undefined : bad(`${quoted(v)} is not zero`)),
    nonzero: (v: string) => {
      const nd = firstNonDigit(v);
      if (nd >= 0) return bad(notDigit(v, nd));
      return allZeros(v) ? bad('must not be zero') : undefined;
    },
    nozeroprefix: (v: string) => {
      if (v.charCodeAt(0) === 48) return bad('must not start with 0');
      const nd = firstNonDigit(v);
      return nd >= 0 ? bad(notDigit(v, nd)) : undefined;
    },
    hasnondigit: (v: string) =>
      firstNonDigit(v) >= 0 ? undefined : bad('has only digits; it needs at least one other character'),
    hyphen: (v: string) => (v.length > 0 && allHyphens(v) ? undefined : bad(`${quoted(v)} is not a hyphen`)),
    winding: (v: string) =>
      oneOf(v, '019') ? undefined : bad(`winding direction ${quoted(v)} is not 0, 1 or 9`),
    yesno: (v: string) => (oneOf(v, '01') ? undefined : bad(`${quoted(v)} is not 0 (no) or 1 (yes)`)),
    iso5218: (v: string) => (oneOf(v, '0129') ? undefined : bad(`sex code ${quoted(v)} is not 0, 1, 2 or 9`)),
    importeridx,
    mediatype,
    pieceoftotal,
    posinseqslash,
    pcenc,
    latitude: (v: string) => upTo(v, 1_800_000_000, 'latitude'),
    longitude: (v: string) => upTo(v, 3_600_000_000, 'longitude'),

    iso3166: (v: string) =>
      ISO3166_NUMERIC.has(v) ? undefined : bad(`country code ${v} is not an ISO 3166 code`),
    iso3166999: (v: string) =>
      v === '999' || ISO3166_NUMERIC.has(v)
        ? undefined
        : bad(`country code ${v} is not an ISO 3166 code or 999`),
    iso3166alpha2: (v: string) =>
      ISO3166_ALPHA2.has(v) ? undefined : bad(`country code ${v} is not an ISO 3166 code`),
    iso4217: (v: string) =>
      ISO4217_NUMERIC.has(v) ? undefined : bad(`currency code ${v} is not an ISO 4217 code`),
    packagetype: (v: string) =>
      PACKAGE_TYPES.has(v) ? undefined : bad(`package type ${v} is not a GS1 package type code`),

    couponcode,
    couponposoffer,
  }),
);

/** True when every character is 0 (so also for ""). */
function allZeros(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) !== 48) return false;
  return true;
}

function allHyphens(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) !== 45) return false;
  return true;
}
