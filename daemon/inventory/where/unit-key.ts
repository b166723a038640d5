/**
 * The key a unit is known by in the where-is index, whatever names it: a barcode and an RFID tag
 * of the same serialized unit are one unit. A GS1 key read from a tag is keyed by its Digital Link
 * URI (key and serial, as a barcode of it names it in `epcList`); anything else by its event URI.
 */
import { decodeText } from '../../identity/decode.js';
import { isHttpUri } from '../../identity/digital-link.js';
import { decodeEpc } from '../../identity/epc.js';
import { encodeEpc, parseTagUri } from '../../identity/epc-encode.js';
import type { DecodeResult, UnitIdentity } from '../../identity/identity.js';

/** The longest question taken: a scan, a URI or EPC hex, as typed. */
export const MAX_QUERY_LENGTH = 1024;

export function unitKey(identity: UnitIdentity): string {
  return identity.source === 'epc' && identity.digitalLink !== undefined
    ? identity.digitalLink
    : identity.uri;
}

/** What a question names: the unit's key and the URI the events carry, or why it names none. */
export type QueryUnit =
  | { readonly ok: true; readonly key: string; readonly unit: string }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** The binary schemes tried for a pure-identity URN, smallest first (the filter is not part of the unit). */
const TAG_SCHEMES: Readonly<Record<string, readonly string[]>> = {
  sgtin: ['sgtin-96', 'sgtin-198'],
  sscc: ['sscc-96'],
  sgln: ['sgln-96', 'sgln-195'],
  grai: ['grai-96', 'grai-170'],
  giai: ['giai-96', 'giai-202'],
  gid: ['gid-96'],
};

/**
 * Reads a question as `readpoint decode` reads its argument (a scan with `\x1d` escapes, a
 * Digital Link URI, EPC hex), plus an EPC pure-identity URN (`urn:epc:id:sgtin:...`). Untrusted
 * input: never throws.
 */
export function queryUnit(input: string): QueryUnit {
  if (input.length === 0) return { ok: false, code: 'empty', message: 'the question names no unit' };
  if (input.length > MAX_QUERY_LENGTH)
    return {
      ok: false,
      code: 'overlong',
      message: `the unit is ${input.length} characters, longer than the ${MAX_QUERY_LENGTH} a question may be`,
    };
  if (input.startsWith('urn:epc:')) return urnUnit(input);
  if (isHttpUri(input)) return decoded(decodeText(input, { data: 'digital-link' }), input);
  const result = decodeText(input);
  // Typed without the scanner's AIM prefix: a GS1 element string as such.
  if (!result.ok && result.reject.code === 'no-aim-id') {
    const gs1 = decodeText(input, { data: 'gs1' });
    if (gs1.ok) return decoded(gs1, input);
  }
  return decoded(result, input);
}

function decoded(result: DecodeResult, input: string): QueryUnit {
  if (result.ok) return { ok: true, key: unitKey(result.identity), unit: result.identity.uri };
  // Another URI (a plain-serial pattern's) is taken as the URI the unit's events name it by.
  if (ANY_URI.test(input) && !/\s/.test(input)) return { ok: true, key: input, unit: input };
  return { ok: false, code: result.reject.code, message: result.reject.message };
}

const ANY_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^/]/;

function urnUnit(urn: string): QueryUnit {
  const m = /^urn:epc:id:([a-z]+):(.+)$/.exec(urn);
  const schemes = m ? TAG_SCHEMES[m[1]!] : undefined;
  // A raw (non-GS1) tag and schemes without a binary encoding here are keyed by the URN itself.
  if (!m || !schemes) return { ok: true, key: urn, unit: urn };
  let why = '';
  for (const scheme of schemes) {
    const tag = scheme === 'gid-96' ? `urn:epc:tag:${scheme}:${m[2]}` : `urn:epc:tag:${scheme}:0.${m[2]}`;
    try {
      const decoded = decodeEpc(encodeEpc(parseTagUri(tag)));
      if (decoded.ok) return { ok: true, key: unitKey(decoded.identity), unit: decoded.identity.uri };
      why = decoded.reject.message;
    } catch (err) {
      why = (err as Error).message;
    }
  }
  return { ok: false, code: 'bad-urn', message: `${urn} is not a valid EPC URI: ${why}` };
}
