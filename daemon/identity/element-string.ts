/**
 * GS1 element strings: the data of GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar and DotCode.
 * Parses (AI, value) pairs with the separator rule, validates each value against its AI, and
 * checks the association rules that matter for a unit's identity.
 */
import { type AiSpec, aiAt } from './ai-table.js';
import { hasValidCheckDigit } from './check-digit.js';
import type { DecodeReject } from './identity.js';

export const GS = '\u001d';

export interface Element {
  readonly ai: string;
  readonly value: string;
}

export type ParseResult = { ok: true; elements: Element[] } | { ok: false; reject: DecodeReject };

const fail = (code: string, message: string): ParseResult => ({ ok: false, reject: { code, message } });

// GS1 character set 82.
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;
const DIGITS = /^[0-9]*$/;

export function parseElementString(data: string): ParseResult {
  if (data.length === 0) return fail('empty', 'the read has no data after its symbology identifier');
  if (data[0] === GS) return fail('gs-at-start', 'a GS separator stands right at the start of the data');
  const caret = data.indexOf('^');
  if (caret >= 0) return fail('bad-character', `"^" at position ${caret} is not allowed in GS1 data`);
  const elements: Element[] = [];
  let pos = 0;
  let needlessGsAllowed = false;
  while (pos < data.length) {
    if (data[pos] === GS) {
      if (!needlessGsAllowed) return fail('empty-element', `two GS separators in a row at position ${pos}`);
      needlessGsAllowed = false;
      pos++;
      continue;
    }
    const spec = aiAt(data, pos);
    if (!spec)
      return fail(
        'unknown-ai',
        `unknown Application Identifier at position ${pos}: "${data.slice(pos, pos + 4)}"`,
      );
    pos += spec.ai.length;
    let value: string;
    if (spec.predefined) {
      value = data.slice(pos, pos + spec.max);
      if (value.includes(GS) || value.length < spec.min) {
        return fail('too-short', `AI (${spec.ai}) needs ${spec.max} characters, got "${value.split(GS)[0]}"`);
      }
      pos += value.length;
      needlessGsAllowed = true;
    } else {
      const end = data.indexOf(GS, pos);
      value = data.slice(pos, end < 0 ? data.length : end);
      pos = end < 0 ? data.length : end + 1;
      needlessGsAllowed = false;
      if (value.length === 0) return fail('empty-element', `AI (${spec.ai}) has no value`);
    }
    const bad = checkValue(spec, value);
    if (bad) return { ok: false, reject: bad };
    const previous = elements.find((e) => e.ai === spec.ai);
    if (previous) {
      if (previous.value !== value)
        return fail('duplicate-ai', `AI (${spec.ai}) appears twice with different values`);
      continue;
    }
    elements.push({ ai: spec.ai, value });
  }
  const association = checkAssociations(elements);
  return association ? { ok: false, reject: association } : { ok: true, elements };
}

function checkValue(spec: AiSpec, value: string): DecodeReject | undefined {
  const { ai } = spec;
  if (value.length < spec.min || value.length > spec.max) {
    return {
      code: value.length > spec.max ? 'too-long' : 'too-short',
      message: `AI (${ai}) ${spec.title} takes ${spec.min === spec.max ? spec.min : `${spec.min} to ${spec.max}`} characters, got ${value.length}`,
    };
  }
  const checked = value.slice(0, spec.checkLength ?? value.length);
  if ((spec.charset === 'N' || spec.checkLength) && !DIGITS.test(spec.charset === 'N' ? value : checked)) {
    return { code: 'not-numeric', message: `AI (${ai}) ${spec.title} must be digits, got "${value}"` };
  }
  if (spec.charset === 'X' && !CSET82.test(value)) {
    return {
      code: 'bad-character',
      message: `AI (${ai}) ${spec.title} has a character outside GS1 character set 82: "${value}"`,
    };
  }
  if (spec.check && !hasValidCheckDigit(checked)) {
    return { code: 'check-digit', message: `AI (${ai}) ${spec.title} ${checked} has a wrong check digit` };
  }
  if (spec.date && !validDate(value)) {
    return { code: 'bad-date', message: `AI (${ai}) ${spec.title} ${value} is not a date (YYMMDD)` };
  }
  return undefined;
}

/** The four-digit year of a GS1 YY, by GS1's sliding century window around this year. */
export function fullYear(yy: number, thisYear = new Date().getUTCFullYear()): number {
  const century = Math.floor(thisYear / 100) * 100;
  const diff = yy - (thisYear % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff > -50) return century + yy;
  return century + 100 + yy;
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

function validDate(v: string): boolean {
  const month = Number(v.slice(2, 4));
  const day = Number(v.slice(4, 6));
  if (month < 1 || month > 12) return false;
  return day <= daysIn(fullYear(Number(v.slice(0, 2))), month);
}

/** YYMMDD -> YYYY-MM-DD; day 00 means the last day of the month. */
export function isoDate(v: string): string {
  const year = fullYear(Number(v.slice(0, 2)));
  const month = Number(v.slice(2, 4));
  const day = Number(v.slice(4, 6)) || daysIn(year, month);
  return `${year}-${v.slice(2, 4)}-${String(day).padStart(2, '0')}`;
}

function checkAssociations(elements: Element[]): DecodeReject | undefined {
  const has = (ai: string) => elements.some((e) => e.ai === ai);
  const rule = (code: string, message: string) => ({ code, message });
  if (has('01') && has('02')) return rule('ai-conflict', 'AIs (01) and (02) never appear together');
  if (has('21') && !has('01') && !has('8006'))
    return rule('ai-missing', 'AI (21) serial needs a GTIN (01) or ITIP (8006)');
  if (has('10') && !has('01') && !has('02') && !has('8006'))
    return rule('ai-missing', 'AI (10) lot needs a GTIN (01), (02) or (8006)');
  if (has('02') && !has('37')) return rule('ai-missing', 'AI (02) needs a count (37)');
  if (has('254') && !has('414')) return rule('ai-missing', 'AI (254) needs a GLN (414)');
  if (has('22') && !has('01')) return rule('ai-missing', 'AI (22) needs a GTIN (01)');
  return undefined;
}
