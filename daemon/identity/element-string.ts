/**
 * GS1 element strings: the data of GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar and DotCode.
 * Splits (AI, value) pairs by the separator rule, checks each value against its AI's dictionary
 * entry (character set, length, check digits, dates, code lists) and the association rules.
 *
 * Separators, as GS1's reference parser treats them: a GS after a predefined-length value is
 * needless but accepted, so is one at the very end; two in a row (an empty element), one right at
 * the start of the data and `^` are rejected. Runs on the daemon's hot path: no regexes, one pass.
 */
import { type AiDefinition, type AiPattern, aiAt, CSET_FLAG, layoutKey, matches } from './ai-dictionary.js';
import type { AiValue, DecodeReject, RejectCode } from './identity.js';
import { thisYear } from './year.js';

export const GS = '\u001d';
const GS_CODE = 0x1d;

export type ParseResult =
  | {
      readonly ok: true;
      readonly elements: AiValue[];
      /** The dictionary entry of each element, in the same order. */
      readonly defs: AiDefinition[];
    }
  | { readonly ok: false; readonly reject: DecodeReject };

const fail = (code: RejectCode, message: string): { ok: false; reject: DecodeReject } => ({
  ok: false,
  reject: { code, message },
});

/** Character set flags per ASCII code: N digits, X set 82, Y set 39, Z set 64 (base64url). */
const { N, X, Y, Z } = CSET_FLAG;
const CSET = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) CSET[c] = N | X | Y | Z;
for (let c = 0x41; c <= 0x5a; c++) CSET[c] = X | Y | Z;
for (let c = 0x61; c <= 0x7a; c++) CSET[c] = X | Z;
for (const ch of '!"%&\'()*+,./:;<=>?') CSET[ch.charCodeAt(0)]! |= X;
CSET[0x2d] = X | Y | Z; // -
CSET[0x2f] = X | Y; // /
CSET[0x5f] = X | Z; // _
CSET[0x23] = Y; // #
const SET_NAME = {
  N: 'digits',
  X: 'GS1 character set 82',
  Y: 'GS1 character set 39',
  Z: 'GS1 character set 64',
};

/** `AI (17) USE BY or EXPIRY` */
export const aiName = (def: AiDefinition) => `AI (${def.ai})${def.title ? ` ${def.title}` : ''}`;

const shown = (s: string) =>
  JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s).replaceAll('\\u001d', '<GS>');

/** Parses and checks a whole element string (the data after the AIM id). */
export function parseElementString(data: string, year = thisYear()): ParseResult {
  const length = data.length;
  if (length === 0) return fail('empty', 'there is no data after the symbology identifier');
  if (data.charCodeAt(0) === GS_CODE)
    return fail('gs-at-start', 'a GS separator stands at the start of the data');
  const parsed = parseElements(data, year);
  if (parsed.ok) return parsed;
  // A ^ fails every rule (no AI digit, no character set holds it): looked for only on failure,
  // it is the reason given, wherever it stands.
  const caret = data.indexOf('^');
  if (caret >= 0) return fail('bad-character', `"^" at position ${caret} is not allowed in GS1 data`);
  return parsed;
}

/**
 * The elements of the parse under way and their entries, reused by every parse (parsing is
 * synchronous): a result gets copies of exactly its length, not lists grown by push with room
 * for 17 (the pairs stay in the identity until its event is written).
 */
const ELEMENTS: AiValue[] = [];
const DEFS: AiDefinition[] = [];

function parseElements(data: string, year: number): ParseResult {
  const length = data.length;
  const elements = ELEMENTS;
  const defs = DEFS;
  // Emptied by pops, which keep the lists' room (`length = 0` would drop it).
  while (elements.length > 0) elements.pop();
  while (defs.length > 0) defs.pop();
  let pos = 0;
  let needlessGs = false;
  while (pos < length) {
    if (data.charCodeAt(pos) === GS_CODE) {
      if (!needlessGs) return fail('empty-element', `two GS separators in a row at position ${pos}`);
      needlessGs = false;
      pos++;
      continue;
    }
    const def = aiAt(data, pos);
    if (typeof def === 'number') {
      return fail(
        'unknown-ai',
        `unknown Application Identifier ${shown(data.slice(pos, pos + (def || 2)))} at position ${pos}`,
      );
    }
    pos += def.ai.length;
    let value: string;
    if (def.predefined) {
      value = data.slice(pos, pos + def.maxLength);
      pos += def.maxLength;
      needlessGs = true;
      if (value.length < def.maxLength) return cutShort(def, value);
    } else {
      const end = data.indexOf(GS, pos);
      value = end < 0 ? data.slice(pos) : data.slice(pos, end);
      pos = end < 0 ? length : end + 1;
      needlessGs = false;
      if (value.length === 0) return fail('empty-element', `${aiName(def)} has no value`);
    }
    const bad = checkValue(def, value, year);
    if (bad) {
      // A GS inside a predefined-length value fails its character set: the value was cut short.
      if (def.predefined && value.includes(GS)) return cutShort(def, value);
      return { ok: false, reject: bad };
    }
    if (!addElement(elements, defs, def, value)) {
      return fail('duplicate-ai', `${aiName(def)} appears twice with different values`);
    }
  }
  const association = checkAssociations(defs);
  return association
    ? { ok: false, reject: association }
    : { ok: true, elements: elements.slice(), defs: defs.slice() };
}

/** A predefined-length value that ends (at a GS or the end of the data) before its length. */
function cutShort(def: AiDefinition, value: string): ParseResult {
  const gs = value.indexOf(GS);
  const got = gs >= 0 ? value.slice(0, gs) : value;
  return fail(
    'too-short',
    `${aiName(def)} takes ${def.maxLength} characters, got ${got.length}: ${shown(got)}`,
  );
}

/** Adds (ai, value) unless already there; false when the AI is there with another value. */
function addElement(elements: AiValue[], defs: AiDefinition[], def: AiDefinition, value: string): boolean {
  for (let i = 0; i < defs.length; i++) if (defs[i] === def) return elements[i]!.value === value;
  elements.push({ ai: def.ai, value });
  defs.push(def);
  return true;
}

/** Checks one value against its AI: length, then each component's character set and linters. */
export function checkValue(def: AiDefinition, value: string, year = thisYear()): DecodeReject | undefined {
  const length = value.length;
  if (length < def.minLength || length > def.maxLength) {
    const takes =
      def.minLength === def.maxLength ? `${def.maxLength}` : `${def.minLength} to ${def.maxLength}`;
    const hint = length > def.maxLength && !def.predefined ? ' (is a GS separator missing after it?)' : '';
    return {
      code: length > def.maxLength ? 'too-long' : 'too-short',
      message: `${aiName(def)} takes ${takes} characters, got ${length}: ${shown(value)}${hint}`,
    };
  }
  let pos = 0;
  const components = def.components;
  for (let k = 0; k < components.length; k++) {
    const c = components[k]!;
    if (pos >= length) {
      if (c.optional) break;
      return { code: 'too-short', message: `${aiName(def)} ends before its last part: ${shown(value)}` };
    }
    const take = c.min === c.max ? c.max : Math.min(c.max, length - pos);
    if (pos + take > length) {
      return {
        code: 'too-short',
        message: `${aiName(def)} ends inside a ${c.max}-character part: ${shown(value)}`,
      };
    }
    const flag = c.flag;
    for (let i = pos, stop = pos + take; i < stop; i++) {
      const ch = value.charCodeAt(i);
      if (ch < 128 && (CSET[ch]! & flag) !== 0) continue;
      if (c.cset === 'Z' && ch === 0x3d && padding(value, i, pos + take)) continue;
      return {
        code: c.cset === 'N' ? 'not-numeric' : 'bad-character',
        message: `${aiName(def)}: ${shown(value[i]!)} at position ${i} is not in ${SET_NAME[c.cset]}: ${shown(value)}`,
      };
    }
    if (c.check.length > 0) {
      const part = take === length ? value : value.slice(pos, pos + take);
      for (const lint of c.check) {
        const failure = lint(part, year);
        if (failure)
          return { code: failure.code, message: `${aiName(def)} ${shown(part)}: ${failure.message}` };
      }
    }
    pos += take;
  }
  if (pos < length)
    return { code: 'too-long', message: `${aiName(def)} has characters past its last part: ${shown(value)}` };
  return undefined;
}

/** `=` in base64url data is padding: one or two at the very end only. */
const padding = (value: string, i: number, end: number) =>
  end - i <= 2 && (i + 1 === end || value.charCodeAt(i + 1) === 0x3d);

const listed = (alternative: readonly AiPattern[]) => alternative.map((p) => `(${p.text})`).join('+');

/** True when some AI of `elements` matches `p`. */
function present(elements: readonly { readonly ai: string }[], p: AiPattern): boolean {
  for (const e of elements) if (matches(e.ai, p)) return true;
  return false;
}

/** True when one of the group's alternatives (AIs joined by +) is all present. */
function satisfied(
  elements: readonly { readonly ai: string }[],
  group: readonly (readonly AiPattern[])[],
): boolean {
  for (const alternative of group) {
    let all = true;
    for (const p of alternative) {
      if (!present(elements, p)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/**
 * GS1's required-with (`req`) and never-with (`ex`) rules over all AIs of one read, in the order
 * read. The verdict depends on that list of AIs alone, and a warehouse sees a handful of lists
 * (its labels' layouts), so verdicts for up to five AIs are remembered by the list.
 */
export function checkAssociations(defs: readonly AiDefinition[]): DecodeReject | undefined {
  const key = layoutKey(defs);
  if (key >= 0) {
    const known = verdicts.get(key);
    if (known !== undefined) return known ?? undefined;
  }
  const verdict = associationVerdict(defs);
  if (key >= 0) {
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(key, verdict ?? null);
  }
  return verdict;
}

/** Verdicts by layout: null when the rules hold. */
const verdicts = new Map<number, DecodeReject | null>();
const MAX_VERDICTS = 4096;

function associationVerdict(defs: readonly AiDefinition[]): DecodeReject | undefined {
  for (const def of defs) {
    for (const ex of def.excludes) {
      for (const other of defs) {
        if (other !== def && matches(other.ai, ex)) {
          return {
            code: 'ai-conflict',
            message: `${aiName(def)} and ${aiName(other)} are never used together`,
          };
        }
      }
    }
    for (const group of def.requires) {
      if (satisfied(defs, group)) continue;
      const options = group.map(listed);
      const needs =
        options.length === 1 ? options[0] : `${options.slice(0, -1).join(', ')} or ${options.at(-1)}`;
      return { code: 'ai-missing', message: `${aiName(def)} needs ${needs} with it` };
    }
  }
  return undefined;
}
