/**
 * One hold entry: what it holds (a unit, a GTIN + lot, a GTIN's serial range, every unit of a
 * GTIN, every GTIN of a company prefix) and why. Entries arrive as untrusted JSON (upstream lists,
 * the control socket, an import file); `parseHoldEntry` checks one and gives its match key, the
 * normalized name under which it is indexed and stored. A unit named by its barcode (Digital Link)
 * and the same unit named by its tag (EPC URN) get the same key, so a hold catches both.
 */
import { gs1CheckDigit, hasValidCheckDigit } from '../../identity/check-digit.js';

/** The lists entries come in: site-wide and this gateway's from upstream, and the local one. */
export const HOLD_LISTS = ['site', 'gateway', 'local'] as const;
export type HoldList = (typeof HOLD_LISTS)[number];

/** What an entry names: unit, lot (GTIN + lot), range (GTIN + serials), gtin, prefix (GS1 company prefix). */
export const HOLD_KINDS = ['unit', 'lot', 'range', 'gtin', 'prefix'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

/** An entry as stored and as alerts quote it: the match in its canonical form plus the why. */
export interface HoldEntry {
  readonly kind: HoldKind;
  /** The match key: `u|<gtin>|<serial>`, `s|<sscc>`, `x|<uri>`, `l|<gtin>|<lot>`, `r|<gtin>`, `g|<gtin>`, `p|<prefix>`. */
  readonly key: string;
  readonly unit?: string;
  readonly gtin?: string;
  readonly lot?: string;
  readonly serials?: { readonly from: string; readonly to: string };
  readonly epcPattern?: string;
  readonly reason?: string;
  readonly reference?: string;
  /** ISO 8601; past it, the entry no longer matches. */
  readonly expires?: string;
}

/** A serial range's bounds are exact JavaScript numbers. */
const MAX_SERIAL = Number.MAX_SAFE_INTEGER;
const FIELDS = new Set(['unit', 'gtin', 'lot', 'serials', 'epcPattern', 'reason', 'reference', 'expires']);
const TEXT = /^[\x20-\x7e\u00a0-\uffff]*$/;

/** Thrown for an entry that cannot be taken; the message names the field. */
export class HoldEntryError extends Error {}

function fail(message: string): never {
  throw new HoldEntryError(message);
}

function text(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !TEXT.test(value))
    fail(`${field} must be printable text of 1-${max} characters`);
  return value;
}

function gtin14(value: unknown): string {
  if (typeof value !== 'string' || !/^(\d{8}|\d{12,14})$/.test(value) || !hasValidCheckDigit(value))
    fail('gtin must be a GTIN of 8, 12, 13 or 14 digits with a valid check digit');
  return value.padStart(14, '0');
}

function serialNumber(value: unknown, field: string): number {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value) || Number(value) > MAX_SERIAL)
    fail(`${field} must be a serial of digits only, at most ${MAX_SERIAL}`);
  return Number(value);
}

/** The sgtin URN's GTIN: indicator digit, company prefix, item reference, check digit. */
function sgtinGtin(prefix: string, itemRef: string): string {
  const body = itemRef.slice(0, 1) + prefix + itemRef.slice(1);
  return body + gs1CheckDigit(body);
}

function decodeSerial(escaped: string, what: string): string {
  try {
    return decodeURIComponent(escaped);
  } catch {
    fail(`${what} has a bad %-escape`);
  }
}

/** The match key of a unit URI (Digital Link, EPC pure identity URN, or any other URI). */
export function unitKey(uri: string): string {
  const sgtin = /^urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.(.{1,60})$/.exec(uri);
  if (sgtin && sgtin[1]!.length + sgtin[2]!.length === 13)
    return `u|${sgtinGtin(sgtin[1]!, sgtin[2]!)}|${decodeSerial(sgtin[3]!, 'unit')}`;
  const sscc = /^urn:epc:id:sscc:(\d{6,12})\.(\d{5,11})$/.exec(uri);
  if (sscc && sscc[1]!.length + sscc[2]!.length === 17) {
    const body = sscc[2]!.slice(0, 1) + sscc[1]! + sscc[2]!.slice(1);
    return `s|${body}${gs1CheckDigit(body)}`;
  }
  const link = /^https?:\/\/[^/?#]+(?:\/[^?#]*)?\/01\/(\d{14})\/21\/([^/?#]{1,60})(?:[/?#].*)?$/.exec(uri);
  if (link && hasValidCheckDigit(link[1]!)) return `u|${link[1]}|${decodeSerial(link[2]!, 'unit')}`;
  const linkSscc = /^https?:\/\/[^/?#]+(?:\/[^?#]*)?\/00\/(\d{18})(?:[/?#].*)?$/.exec(uri);
  if (linkSscc && hasValidCheckDigit(linkSscc[1]!)) return `s|${linkSscc[1]}`;
  return `x|${uri}`;
}

interface Match {
  kind: HoldKind;
  key: string;
  gtin?: string;
  serials?: { from: string; to: string };
}

/** `urn:epc:idpat:sgtin:CP.IR.SER`, `CP.IR.*`, `CP.IR.[lo-hi]` or `CP.*.*`. */
function patternMatch(pattern: string): Match {
  const m = /^urn:epc:idpat:sgtin:(\d{6,12})\.(\*|\d{1,7})\.(\*|\[\d{1,16}-\d{1,16}\]|[^*[\]]{1,60})$/.exec(
    pattern,
  );
  if (!m)
    fail(
      'epcPattern must be urn:epc:idpat:sgtin:<company prefix>.<item reference>.<serial | * | [lo-hi]> or <company prefix>.*.*',
    );
  const [, prefix, itemRef, serial] = m as unknown as [string, string, string, string];
  if (itemRef === '*') {
    if (serial !== '*') fail('epcPattern: with * for the item reference the serial must be * too');
    return { kind: 'prefix', key: `p|${prefix}` };
  }
  if (prefix.length + itemRef.length !== 13)
    fail('epcPattern: company prefix and item reference must have 13 digits together');
  const gtin = sgtinGtin(prefix, itemRef);
  if (serial === '*') return { kind: 'gtin', key: `g|${gtin}`, gtin };
  if (serial.startsWith('[')) {
    const [lo, hi] = serial.slice(1, -1).split('-') as [string, string];
    return rangeMatch(gtin, lo, hi);
  }
  return { kind: 'unit', key: `u|${gtin}|${decodeSerial(serial, 'epcPattern')}`, gtin };
}

function rangeMatch(gtin: string, from: unknown, to: unknown): Match {
  const lo = serialNumber(from, 'serials.from');
  const hi = serialNumber(to, 'serials.to');
  if (lo > hi) fail('serials.from must not be above serials.to');
  return { kind: 'range', key: `r|${gtin}`, gtin, serials: { from: String(lo), to: String(hi) } };
}

function matchOf(o: Record<string, unknown>): Match {
  const named = ['unit', 'gtin', 'epcPattern'].filter((f) => o[f] !== undefined);
  if (named.length !== 1)
    fail('an entry names exactly one of unit, gtin (with lot or serials) or epcPattern');
  if (o.unit !== undefined) {
    const uri = text(o.unit, 'unit', 300)!;
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) fail('unit must be a URI (Digital Link or EPC URN)');
    return { kind: 'unit', key: unitKey(uri) };
  }
  if (o.epcPattern !== undefined) return patternMatch(text(o.epcPattern, 'epcPattern', 120)!);
  const gtin = gtin14(o.gtin);
  if (o.lot !== undefined && o.serials !== undefined) fail('an entry gives lot or serials, not both');
  if (o.lot !== undefined) return { kind: 'lot', key: `l|${gtin}|${text(o.lot, 'lot', 20)}`, gtin };
  if (o.serials !== undefined) {
    const s = o.serials as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || Array.isArray(s))
      fail('serials must be {"from": "..", "to": ".."}');
    return rangeMatch(gtin, s.from, s.to);
  }
  return { kind: 'gtin', key: `g|${gtin}`, gtin };
}

/**
 * Each of `values` as a hold entry. A removal names only the match: its reason, reference or
 * expiry, if given, do not matter. An entry that is not one is reported through `fail` (its index
 * and what is wrong), whose error is thrown.
 */
export function parseHoldEntries(
  values: readonly unknown[],
  removal: boolean,
  fail: (index: number, message: string) => Error,
): HoldEntry[] {
  return values.map((v, i) => {
    try {
      if (removal && typeof v === 'object' && v !== null) {
        const { reason: _r, reference: _f, expires: _e, ...match } = v as Record<string, unknown>;
        return parseHoldEntry(match);
      }
      return parseHoldEntry(v);
    } catch (err) {
      throw err instanceof HoldEntryError ? fail(i, err.message) : err;
    }
  });
}

/** Checks one untrusted entry and gives it in canonical form; throws `HoldEntryError`. */
export function parseHoldEntry(value: unknown): HoldEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('an entry must be a JSON object');
  const o = value as Record<string, unknown>;
  for (const field of Object.keys(o))
    if (!FIELDS.has(field)) fail(`unknown field ${JSON.stringify(field.slice(0, 40))}`);
  const match = matchOf(o);
  const expires = text(o.expires, 'expires', 40);
  if (expires !== undefined && Number.isNaN(Date.parse(expires)))
    fail('expires must be an ISO 8601 date-time');
  const entry: Record<string, unknown> = { kind: match.kind, key: match.key };
  if (o.unit !== undefined) entry.unit = o.unit;
  if (o.gtin !== undefined) entry.gtin = match.gtin;
  if (o.lot !== undefined) entry.lot = o.lot;
  if (match.serials) entry.serials = match.serials;
  if (o.epcPattern !== undefined) entry.epcPattern = o.epcPattern;
  const reason = text(o.reason, 'reason', 200);
  const reference = text(o.reference, 'reference', 100);
  if (reason !== undefined) entry.reason = reason;
  if (reference !== undefined) entry.reference = reference;
  if (expires !== undefined) entry.expires = new Date(expires).toISOString();
  return entry as unknown as HoldEntry;
}

/** The stored name of an entry within its list: its match key, and a range's bounds. */
export function entryName(entry: Pick<HoldEntry, 'key' | 'serials'>): string {
  return entry.serials ? `${entry.key}|${entry.serials.from}-${entry.serials.to}` : entry.key;
}

/** A range entry's bounds, as numbers. */
export function rangeOf(entry: Pick<HoldEntry, 'serials'>): readonly [number, number] | undefined {
  return entry.serials ? [Number(entry.serials.from), Number(entry.serials.to)] : undefined;
}
