/**
 * GS1 Digital Link URIs: parsed into (AI, value) pairs as the standard describes, and written in
 * canonical form (https://id.gs1.org, primary key, its qualifiers in order in the path, data
 * attributes in the query in AI order, values %-encoded).
 *
 * Parsing: any http(s) host and path prefix; the primary key is the first path segment that is a
 * GS1 key AI followed by its value and only its own qualifiers, in the order its dictionary entry
 * gives. Query parameters whose name is all digits are AIs (unknown ones and AIs that may not be
 * data attributes are rejected); others (`linkType`, tracking parameters) are ignored. An AI given
 * twice, anywhere, is rejected. The fragment is ignored.
 */
import { type AiDefinition, aiDefinition, aiDefinitionAt } from './ai-dictionary.js';
import { aiName, checkAssociations, checkValue, type ParseResult } from './element-string.js';
import type { AiValue, RejectCode } from './identity.js';
import { thisYear } from './year.js';

const ORIGIN = 'https://id.gs1.org';

const fail = (code: RejectCode, message: string): ParseResult => ({ ok: false, reject: { code, message } });

/** Percent-encodes all but the URI unreserved characters (A-Z a-z 0-9 - . _ ~). */
export function encodeSegment(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length && plain; i++) {
    const c = value.charCodeAt(i);
    plain =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e;
  }
  if (plain) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const valueIn = (elements: readonly AiValue[], ai: string): string | undefined => {
  for (const e of elements) if (e.ai === ai) return e.value;
  return undefined;
};

/** The key's qualifier sequence that covers most of the qualifiers present (the first on a tie). */
function bestSequence(primary: AiDefinition, elements: readonly AiValue[]): readonly string[] {
  const sequences = primary.dlKey;
  if (!sequences || sequences.length === 0) return NONE;
  let best = sequences[0]!;
  let bestCount = -1;
  for (const sequence of sequences) {
    let count = 0;
    for (const q of sequence) if (valueIn(elements, q) !== undefined) count++;
    if (count > bestCount) {
      best = sequence;
      bestCount = count;
    }
  }
  return best;
}
const NONE: readonly string[] = [];

/** The canonical URI: primary key, its qualifiers in order in the path, attributes in the query. */
export function digitalLink(elements: readonly AiValue[], primary: AiDefinition): string {
  const sequence = bestSequence(primary, elements);
  let uri = `${ORIGIN}/${primary.ai}/${encodeSegment(valueIn(elements, primary.ai) ?? '')}`;
  for (const q of sequence) {
    const v = valueIn(elements, q);
    if (v !== undefined) uri += `/${q}/${encodeSegment(v)}`;
  }
  // Attributes in AI order (a label has a handful: insertion sort by the AI's rank).
  const attributes: AiValue[] = [];
  const ranks: number[] = [];
  for (const e of elements) {
    if (e.ai === primary.ai || sequence.includes(e.ai)) continue;
    const def = aiDefinition(e.ai);
    if (!def?.dlAttribute) continue;
    let i = attributes.length;
    while (i > 0 && ranks[i - 1]! > def.rank) {
      attributes[i] = attributes[i - 1]!;
      ranks[i] = ranks[i - 1]!;
      i--;
    }
    attributes[i] = e;
    ranks[i] = def.rank;
  }
  for (let i = 0; i < attributes.length; i++) {
    const e = attributes[i]!;
    uri += `${i === 0 ? '?' : '&'}${e.ai}=${encodeSegment(e.value)}`;
  }
  return uri;
}

/** The URI naming one unit in `epcList`: its key and, when given, the serial qualifier. */
export function unitLink(primary: string, key: string, qualifier?: string, serial?: string): string {
  const base = `${ORIGIN}/${primary}/${encodeSegment(key)}`;
  return qualifier && serial !== undefined ? `${base}/${qualifier}/${encodeSegment(serial)}` : base;
}

/** True when the URI starts `https://id.gs1.org/` (compared by character: faster than startsWith). */
function startsWithOrigin(uri: string): boolean {
  if (uri.length <= ORIGIN.length || uri.charCodeAt(ORIGIN.length) !== 0x2f) return false;
  for (let i = 0; i < ORIGIN.length; i++) if (uri.charCodeAt(i) !== ORIGIN.charCodeAt(i)) return false;
  return true;
}

/** Where an http(s) URI's host starts (7 or 8), or -1 when the text is not one. */
function httpStart(text: string): number {
  const lower = (i: number) => text.charCodeAt(i) | 0x20;
  if (lower(0) !== 0x68 || lower(1) !== 0x74 || lower(2) !== 0x74 || lower(3) !== 0x70) return -1; // http
  const at = lower(4) === 0x73 ? 5 : 4; // s
  return text.charCodeAt(at) === 0x3a && text.charCodeAt(at + 1) === 0x2f && text.charCodeAt(at + 2) === 0x2f
    ? at + 3
    : -1;
}

/** True for text that is an http(s) URI with a host: the caller then reads it as a Digital Link. */
export function isHttpUri(text: string): boolean {
  const start = httpStart(text);
  if (start < 0 || start >= text.length) return false;
  const c = text.charCodeAt(start);
  return c !== 0x2f && c !== 0x3f && c !== 0x23 && c > 0x20;
}

/**
 * A parsed Digital Link: its AIs and primary key, and `canonical` when the URI already is in
 * canonical form (then it is its own canonical URI and nothing needs building).
 */
export type LinkParse = ParseResult & { primary?: AiDefinition; canonical?: string };

/** Parses a Digital Link URI into its AIs, checked like an element string's. */
export function parseDigitalLink(uri: string, year = thisYear()): LinkParse {
  const start = httpStart(uri);
  if (start < 0) return fail('dl-syntax', `not an http(s) URI: ${JSON.stringify(uri.slice(0, 60))}`);
  for (let i = start; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c >= 128 || MUST_ESCAPE[c]) {
      return fail('dl-syntax', `character ${JSON.stringify(uri[i])} at position ${i} must be %-encoded`);
    }
  }
  // Whether the URI is its own canonical form: so far, https://id.gs1.org/ starts it.
  let canonical = startsWithOrigin(uri);
  const hash = uri.indexOf('#', start);
  const end = hash < 0 ? uri.length : hash;
  let queryAt = uri.indexOf('?', start);
  if (queryAt > end) queryAt = -1;
  const pathEnd = queryAt < 0 ? end : queryAt;
  let hostEnd = uri.indexOf('/', start);
  if (hostEnd < 0 || hostEnd > pathEnd) hostEnd = pathEnd;
  if (hostEnd === start) return fail('dl-syntax', 'the URI has no host');
  // The path's segments after the host, as [from, to) positions: no substrings for AI names.
  const from = SEGMENT_FROM;
  const to = SEGMENT_TO;
  let count = 0;
  let at = hostEnd + 1;
  while (hostEnd < pathEnd) {
    let slash = uri.indexOf('/', at);
    if (slash < 0 || slash > pathEnd) slash = pathEnd;
    from[count] = at;
    to[count++] = slash;
    if (slash === pathEnd) break;
    at = slash + 1;
  }
  if (count > 0 && from[count - 1] === to[count - 1]) {
    count--; // a trailing slash
    canonical = false;
  }
  if (hash >= 0) canonical = false;
  const elements: AiValue[] = [];
  let primary: AiDefinition | undefined;
  let keyAt = -1;
  for (let k = 0; k + 1 < count; k++) {
    const def = aiDefinitionAt(uri, from[k]!, to[k]!);
    if (def?.dlKey && (count - k) % 2 === 0) {
      primary = def;
      keyAt = k;
      break;
    }
  }
  if (keyAt !== 0) canonical = false;
  if (!primary) {
    const path = JSON.stringify(uri.slice(hostEnd, pathEnd));
    return fail('dl-path', `the path names no GS1 primary key (/01/<GTIN>, /00/<SSCC>, ...): ${path}`);
  }
  for (let k = keyAt; k < count; k += 2) {
    const def = aiDefinitionAt(uri, from[k]!, to[k]!);
    if (!def) {
      const ai = uri.slice(from[k], to[k]);
      return fail('unknown-ai', `unknown Application Identifier (${ai}) in the path`);
    }
    const raw = uri.slice(from[k + 1], to[k + 1]);
    const bad = addValue(elements, def, raw, year);
    if (bad) return bad;
    if (canonical && !writtenCanonically(elements, raw)) canonical = false;
  }
  const order = qualifierOrder(primary, elements);
  if (order) return order;
  // The query is canonical when it holds only AIs, each with a value, in AI order.
  if (queryAt >= 0 && (queryAt + 1 >= end || uri.charCodeAt(end - 1) === 0x26)) canonical = false;
  let lastRank = -1;
  for (let at = queryAt + 1; queryAt >= 0 && at < end; ) {
    let stop = uri.indexOf('&', at);
    if (stop < 0 || stop > end) stop = end;
    let eq = uri.indexOf('=', at);
    if (eq < 0 || eq > stop) eq = stop;
    if (eq > at && allDigits(uri, at, eq)) {
      const def = aiDefinitionAt(uri, at, eq);
      if (!def) {
        const name = uri.slice(at, eq);
        return fail('unknown-ai', `unknown Application Identifier (${name}) in the query`);
      }
      if (!def.dlAttribute || isQualifier(primary, def.ai)) {
        return fail(
          'dl-syntax',
          `${aiName(def)} may not be a query parameter of a Digital Link with key (${primary.ai})`,
        );
      }
      const raw = eq < stop ? uri.slice(eq + 1, stop) : '';
      const bad = addValue(elements, def, raw, year);
      if (bad) return bad;
      if (def.rank <= lastRank || (canonical && !writtenCanonically(elements, raw))) canonical = false;
      lastRank = def.rank;
    } else canonical = false; // not an AI: linkType, context, tracking parameters are ignored
    at = stop + 1;
  }
  const association = checkAssociations(elements);
  if (association) return { ok: false, reject: association };
  return canonical ? { ok: true, elements, primary, canonical: uri } : { ok: true, elements, primary };
}

/**
 * Scratch space for path segment positions, reused by every parse (parsing is synchronous). They
 * grow to the longest path seen.
 */
const SEGMENT_FROM: number[] = [];
const SEGMENT_TO: number[] = [];

/** Characters a URI cannot carry unescaped (RFC 3986): space, controls, " < > \\ ^ ` { | }. */
const MUST_ESCAPE = new Uint8Array(128);
for (let c = 0; c <= 0x20; c++) MUST_ESCAPE[c] = 1;
for (const ch of '"<>\\^`{|}\x7f') MUST_ESCAPE[ch.charCodeAt(0)] = 1;

/** True when the last value added was written in the URI exactly as the canonical form writes it. */
const writtenCanonically = (elements: readonly AiValue[], raw: string) =>
  encodeSegment(elements[elements.length - 1]!.value) === raw;

function allDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** %-decodes and checks one value and adds it; a reject when anything is wrong. */
function addValue(
  elements: AiValue[],
  def: AiDefinition,
  raw: string,
  year: number,
): ParseResult | undefined {
  const value = percentDecoded(raw);
  if (value === undefined) return fail('dl-percent', `${aiName(def)}: the value has a broken %-escape`);
  if (value === '') return fail('empty-element', `${aiName(def)} has no value`);
  const bad = checkValue(def, value, year);
  if (bad) return { ok: false, reject: bad };
  if (!addOnce(elements, def, value)) return fail('duplicate-ai', `${aiName(def)} is given twice`);
  return undefined;
}

/** In a Digital Link an AI may appear once, even with the same value. */
function addOnce(elements: AiValue[], def: AiDefinition, value: string): boolean {
  if (valueIn(elements, def.ai) !== undefined) return false;
  elements.push({ ai: def.ai, value });
  return true;
}

const isQualifier = (primary: AiDefinition, ai: string) =>
  primary.dlKey?.some((seq) => seq.includes(ai)) ?? false;

/** The path's qualifiers must follow one of the key's sequences, in its order. */
function qualifierOrder(primary: AiDefinition, elements: readonly AiValue[]): ParseResult | undefined {
  if (elements.length <= 1) return undefined;
  for (const sequence of primary.dlKey ?? []) if (inOrderOf(sequence, elements)) return undefined;
  const qualifiers = elements.slice(1);
  const allowed = (primary.dlKey ?? [])
    .filter((s) => s.length > 0)
    .map((s) => s.map((q) => `/${q}`).join(''));
  const path = qualifiers.map((q) => `/${q.ai}`).join('');
  return fail(
    'dl-qualifier-order',
    allowed.length === 0
      ? `key (${primary.ai}) takes no qualifiers in the path, got ${path}`
      : `qualifiers ${path} after key (${primary.ai}) are not in the order ${allowed.join(' or ')}`,
  );
}

/** True when the qualifiers (the elements after the key) appear in `sequence`, in its order. */
function inOrderOf(sequence: readonly string[], elements: readonly AiValue[]): boolean {
  let at = 0;
  for (let i = 1; i < elements.length; i++) {
    const found = sequence.indexOf(elements[i]!.ai, at);
    if (found < 0) return false;
    at = found + 1;
  }
  return true;
}

function percentDecoded(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
