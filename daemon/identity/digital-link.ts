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
import { type AiDefinition, aiDefinitionAt, layoutKey } from './ai-dictionary.js';
import { aiName, checkAssociations, checkValue, type ParseResult } from './element-string.js';
import type { AiValue, RejectCode } from './identity.js';
import { thisYear } from './year.js';

const ORIGIN = 'https://id.gs1.org';

const fail = (code: RejectCode, message: string): ParseResult => ({ ok: false, reject: { code, message } });

/** The URI unreserved characters (A-Z a-z 0-9 - . _ ~) by ASCII code: written as they are. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) UNRESERVED[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) UNRESERVED[c] = 1;
for (const ch of '-._~') UNRESERVED[ch.charCodeAt(0)] = 1;

/** Percent-encodes all but the URI unreserved characters (A-Z a-z 0-9 - . _ ~). */
export function encodeSegment(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || UNRESERVED[c] === 0) return percentEncoded(value);
  }
  return value;
}

const percentEncoded = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A value of `def` as a path segment or query value. */
const segment = (def: AiDefinition, value: string) => (def.numeric ? value : encodeSegment(value));

/** Where `code` is among `defs`, or -1. */
function indexOfCode(defs: readonly AiDefinition[], code: number): number {
  for (let i = 0; i < defs.length; i++) if (defs[i]!.code === code) return i;
  return -1;
}

/**
 * The key's qualifier sequence whose last qualifier (the serial: 21 or 235 of a GTIN) is present,
 * else the one that covers most of the qualifiers present (the first on a tie): the URI must name
 * the unit, even when that leaves out a lot the other sequence would have held.
 */
function bestSequence(primary: AiDefinition, defs: readonly AiDefinition[]): readonly number[] {
  const sequences = primary.dlKeyCodes;
  if (!sequences || sequences.length === 0) return NONE;
  let best = sequences[0]!;
  let bestCount = -1;
  for (const sequence of sequences) {
    let count = indexOfCode(defs, sequence[sequence.length - 1]!) >= 0 ? defs.length : 0;
    for (const q of sequence) if (indexOfCode(defs, q) >= 0) count++;
    if (count > bestCount) {
      best = sequence;
      bestCount = count;
    }
  }
  return best;
}
const NONE: readonly number[] = [];

/**
 * The canonical URI: primary key, its qualifiers in order in the path, attributes in the query.
 * `defs` holds the dictionary entry of each element; `primary` is one of them.
 */
export function digitalLink(
  elements: readonly AiValue[],
  defs: readonly AiDefinition[],
  primary: AiDefinition,
): string {
  const plan = planFor(defs, primary);
  const k = plan.key;
  let uri = `${ORIGIN}/${primary.ai}/${k < 0 ? '' : segment(primary, elements[k]!.value)}`;
  for (const i of plan.path) uri += `/${defs[i]!.ai}/${segment(defs[i]!, elements[i]!.value)}`;
  const query = plan.query;
  for (let n = 0; n < query.length; n++) {
    const i = query[n]!;
    uri += `${n === 0 ? '?' : '&'}${defs[i]!.ai}=${segment(defs[i]!, elements[i]!.value)}`;
  }
  return uri;
}

/**
 * Where each element of a layout goes in the canonical URI, by index: the key, the qualifiers
 * of the path in order, the data attributes of the query in AI order.
 */
interface LinkPlan {
  readonly key: number;
  readonly path: readonly number[];
  readonly query: readonly number[];
}

/** Plans by layout and key: a label's layout repeats on every read of it. */
const plans = new Map<number, LinkPlan>();
const MAX_PLANS = 4096;

function planFor(defs: readonly AiDefinition[], primary: AiDefinition): LinkPlan {
  const key = defs.indexOf(primary);
  const layout = layoutKey(defs);
  // Three bits for the key's index (under MAX_LAYOUT): still an exact integer.
  const id = layout < 0 || key < 0 ? -1 : layout * 8 + key;
  const known = id < 0 ? undefined : plans.get(id);
  if (known) return known;
  const sequence = bestSequence(primary, defs);
  const path: number[] = [];
  for (const q of sequence) {
    const i = indexOfCode(defs, q);
    if (i >= 0) path.push(i);
  }
  const query = defs
    .map((def, i) => ({ def, i }))
    // A qualifier of the key is never a query parameter, even one of the sequence not taken.
    .filter(({ def }) => def !== primary && def.dlAttribute && !isQualifier(primary, def))
    .sort((a, b) => a.def.rank - b.def.rank)
    .map(({ i }) => i);
  const plan = { key, path, query };
  if (id >= 0) {
    if (plans.size >= MAX_PLANS) plans.clear();
    plans.set(id, plan);
  }
  return plan;
}

/**
 * The URI naming one unit in `epcList`: its key and, when given, the serial qualifier. `digits`:
 * the key is all digits (checked already), so it needs no %-encoding.
 */
export function unitLink(
  primary: string,
  key: string,
  qualifier?: string,
  serial?: string,
  digits = false,
): string {
  const base = `${ORIGIN}/${primary}/${digits ? key : encodeSegment(key)}`;
  return qualifier && serial !== undefined ? `${base}/${qualifier}/${encodeSegment(serial)}` : base;
}

/** ORIGIN's characters: comparing codes from a typed array is the fastest way to test a prefix. */
const ORIGIN_CODES = Uint8Array.from(ORIGIN, (c) => c.charCodeAt(0));

function startsWithOrigin(uri: string): boolean {
  for (let i = 0; i < ORIGIN_CODES.length; i++) if (uri.charCodeAt(i) !== ORIGIN_CODES[i]) return false;
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
  // One pass over the characters: those that must be escaped are rejected; the fragment, the
  // query and the path's slashes are found; and `plain` notes whether every value is written with
  // unreserved characters only (no %-escape, no & or = in a value, nothing after a #): then each
  // value is its own decoded and canonical form.
  let plain = true;
  let hash = -1;
  let queryAt = -1;
  let equalsInParam = false;
  const slashAt = SLASHES;
  let slashes = 0;
  // In the query: where each & is, and the first = of each parameter (-1 for none).
  const ampAt = AMPERSANDS;
  const eqAt = EQUALS;
  let params = 0;
  for (let i = start, length = uri.length; i < length; i++) {
    const c = uri.charCodeAt(i);
    const kind = c < 128 ? URI_CHAR[c]! : ESCAPE;
    if (kind === UNRESERVED_CHAR) continue;
    if (kind === ESCAPE) {
      return fail('dl-syntax', `character ${JSON.stringify(uri[i])} at position ${i} must be %-encoded`);
    }
    if (kind === OTHER) {
      plain = false;
      if (c === 0x23 && hash < 0) hash = i;
    } else if (hash >= 0) {
      // a delimiter in the fragment: not part of the Digital Link
    } else if (c === 0x2f) {
      if (queryAt < 0) slashAt[slashes++] = i;
      else plain = false; // / in the query is data
    } else if (c === 0x3f) {
      if (queryAt < 0) {
        queryAt = i;
        eqAt[0] = -1;
      } else plain = false; // ? in the query is data
    } else if (c === 0x26) {
      if (queryAt < 0) plain = false;
      else {
        ampAt[params++] = i;
        eqAt[params] = -1;
      }
      equalsInParam = false;
    } else if (c === 0x3d) {
      if (queryAt < 0 || equalsInParam) plain = false;
      else eqAt[params] = i;
      equalsInParam = true;
    }
  }
  const end = hash < 0 ? uri.length : hash;
  const pathEnd = queryAt < 0 ? end : queryAt;
  const hostEnd = slashes > 0 ? slashAt[0]! : pathEnd;
  if (hostEnd === start) return fail('dl-syntax', 'the URI has no host');
  // Whether the URI is its own canonical form: so far, https://id.gs1.org/ starts it.
  let canonical = hostEnd === ORIGIN.length && slashes > 0 && startsWithOrigin(uri);
  // The path's segments after the host, as [from, to) positions: no substrings for AI names.
  const from = SEGMENT_FROM;
  const to = SEGMENT_TO;
  let count = slashes;
  for (let k = 0; k < count; k++) {
    from[k] = slashAt[k]! + 1;
    to[k] = k + 1 < count ? slashAt[k + 1]! : pathEnd;
  }
  if (count > 0 && from[count - 1] === to[count - 1]) {
    count--; // a trailing slash
    canonical = false;
  }
  if (hash >= 0) canonical = false;
  // The scratch lists, emptied by pops (which keep their room); a result gets exact copies.
  const elements = ELEMENTS;
  const defs = DEFS;
  while (elements.length > 0) elements.pop();
  while (defs.length > 0) defs.pop();
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
    const bad = addValue(elements, defs, def, raw, year, plain);
    if (bad) return bad;
    if (canonical && !plain && !writtenCanonically(elements, raw)) canonical = false;
  }
  const order = qualifierOrder(primary, defs);
  if (order) return order;
  // The query is canonical when it holds only AIs, each with a value, in AI order.
  if (queryAt >= 0 && (queryAt + 1 >= end || uri.charCodeAt(end - 1) === 0x26)) canonical = false;
  let lastRank = -1;
  for (let k = 0; queryAt >= 0 && k <= params; k++) {
    const at = k === 0 ? queryAt + 1 : ampAt[k - 1]! + 1;
    if (at >= end) break;
    const stop = k < params ? ampAt[k]! : end;
    const eq = eqAt[k]! < 0 ? stop : eqAt[k]!;
    if (eq > at && allDigits(uri, at, eq)) {
      const def = aiDefinitionAt(uri, at, eq);
      if (!def) {
        const name = uri.slice(at, eq);
        return fail('unknown-ai', `unknown Application Identifier (${name}) in the query`);
      }
      if (!def.dlAttribute || isQualifier(primary, def)) {
        return fail(
          'dl-syntax',
          `${aiName(def)} may not be a query parameter of a Digital Link with key (${primary.ai})`,
        );
      }
      const raw = eq < stop ? uri.slice(eq + 1, stop) : '';
      const bad = addValue(elements, defs, def, raw, year, plain);
      if (bad) return bad;
      if (def.rank <= lastRank || (canonical && !plain && !writtenCanonically(elements, raw)))
        canonical = false;
      lastRank = def.rank;
    } else canonical = false; // not an AI: linkType, context, tracking parameters are ignored
  }
  const association = checkAssociations(defs);
  if (association) return { ok: false, reject: association };
  return canonical
    ? { ok: true, elements: elements.slice(), defs: defs.slice(), primary, canonical: uri }
    : { ok: true, elements: elements.slice(), defs: defs.slice(), primary };
}

/**
 * Scratch space for path segment positions, reused by every parse (parsing is synchronous). They
 * grow to the longest path seen.
 */
const SLASHES: number[] = [];
/**
 * The elements of the parse under way and their entries, likewise: a result gets copies of
 * exactly its length, not lists grown by push with room for 17 (the pairs stay in the identity
 * until its event is written).
 */
const ELEMENTS: AiValue[] = [];
const DEFS: AiDefinition[] = [];
const AMPERSANDS: number[] = [];
const EQUALS: number[] = [];
const SEGMENT_FROM: number[] = [];
const SEGMENT_TO: number[] = [];

/**
 * What each ASCII character is to the parser: unreserved (A-Z a-z 0-9 - . _ ~), one that a URI
 * cannot carry unescaped (RFC 3986: space, controls, " < > \\ ^ ` { | } DEL), a delimiter between
 * values (/ ? & =), or any other (% # : and the rest of the reserved set).
 */
const UNRESERVED_CHAR = 0;
const ESCAPE = 1;
const DELIMITER = 2;
const OTHER = 3;
const URI_CHAR = new Uint8Array(128).fill(OTHER);
for (let c = 0; c < 128; c++) if (UNRESERVED[c]) URI_CHAR[c] = UNRESERVED_CHAR;
for (let c = 0; c <= 0x20; c++) URI_CHAR[c] = ESCAPE;
for (const ch of '"<>\\^`{|}\x7f') URI_CHAR[ch.charCodeAt(0)] = ESCAPE;
for (const ch of '/?&=') URI_CHAR[ch.charCodeAt(0)] = DELIMITER;

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

/**
 * %-decodes (unless `plain`: nothing to decode) and checks one value and adds it; a reject when
 * anything is wrong.
 */
function addValue(
  elements: AiValue[],
  defs: AiDefinition[],
  def: AiDefinition,
  raw: string,
  year: number,
  plain: boolean,
): ParseResult | undefined {
  const value = plain ? raw : percentDecoded(raw);
  if (value === undefined) return fail('dl-percent', `${aiName(def)}: the value has a broken %-escape`);
  if (value === '') return fail('empty-element', `${aiName(def)} has no value`);
  const bad = checkValue(def, value, year);
  if (bad) return { ok: false, reject: bad };
  // In a Digital Link an AI may appear once, even with the same value.
  if (defs.includes(def)) return fail('duplicate-ai', `${aiName(def)} is given twice`);
  elements.push({ ai: def.ai, value });
  defs.push(def);
  return undefined;
}

function isQualifier(primary: AiDefinition, def: AiDefinition): boolean {
  for (const sequence of primary.dlKeyCodes ?? NO_SEQUENCES) if (sequence.includes(def.code)) return true;
  return false;
}
const NO_SEQUENCES: readonly (readonly number[])[] = [];

/** The path's qualifiers must follow one of the key's sequences, in its order. */
function qualifierOrder(primary: AiDefinition, defs: readonly AiDefinition[]): ParseResult | undefined {
  if (defs.length <= 1) return undefined;
  for (const sequence of primary.dlKeyCodes ?? []) if (inOrderOf(sequence, defs)) return undefined;
  const qualifiers = defs.slice(1);
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

/** True when the qualifiers (the AIs after the key) appear in `sequence`, in its order. */
function inOrderOf(sequence: readonly number[], defs: readonly AiDefinition[]): boolean {
  let at = 0;
  for (let i = 1; i < defs.length; i++) {
    const found = sequence.indexOf(defs[i]!.code, at);
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
