/**
 * Which GS1 key in a set of (AI, value) pairs names one physical unit, and the normalized identity
 * built from it. The same for element strings and Digital Link URIs, so both give one shape.
 *
 * Keys, first match wins: GTIN + serial (01)(21); GTIN + third-party serial (01)(235); SSCC (00); ITIP + serial (8006)(21); GRAI with
 * its serial part (8003); GIAI (8004); GDTI with serial (253); GSRN (8018) and GSRN provider
 * (8017); GCN with serial (255); CPID + serial (8010)(8011); GLN with optional extension (414)(254).
 * A class-level key alone (a GTIN, a GRAI without serial) is `not-serialized`: never an identity.
 */
import { type AiDefinition, aiCode } from './ai-dictionary.js';
import { fullYear } from './ai-linters.js';
import { digitalLink, unitLink } from './digital-link.js';
import type { AiValue, DecodeResult, IdentityScheme, IdentitySource, UnitIdentity } from './identity.js';
import { rejected } from './identity.js';
import { thisYear } from './year.js';

/** The key found, with the identity's fields it fills (one object: no nested one per read). */
interface Found
  extends Partial<
    Record<'gtin' | 'serial' | 'sscc' | 'gln' | 'glnExtension' | 'grai' | 'giai' | 'key', string>
  > {
  readonly scheme: IdentityScheme;
  /** The code of the key's AI. */
  readonly primary: number;
  readonly uri: string;
}

/** The codes of the AIs that name units (and lot and expiry): compared as numbers, not strings. */
const GTIN = aiCode('01');
const SERIAL = aiCode('21');
const TPX = aiCode('235');
const LOT = aiCode('10');
const EXPIRY = aiCode('17');
const SSCC = aiCode('00');
const ITIP = aiCode('8006');
const GRAI = aiCode('8003');
const GIAI = aiCode('8004');
const GDTI = aiCode('253');
const GSRN = aiCode('8018');
const GSRNP = aiCode('8017');
const GCN = aiCode('255');
const CPID = aiCode('8010');
const CP_SERIAL = aiCode('8011');
const GLN = aiCode('414');
const GLN_EXTENSION = aiCode('254');

/** The value of the AI with `code` among the read's elements (`defs` their entries). */
function aiValue(
  elements: readonly AiValue[],
  defs: readonly AiDefinition[],
  code: number,
): string | undefined {
  for (let i = 0; i < defs.length; i++) if (defs[i]!.code === code) return elements[i]!.value;
  return undefined;
}

function findKey(elements: readonly AiValue[], defs: readonly AiDefinition[]): Found | string {
  const gtin = aiValue(elements, defs, GTIN);
  const serial = aiValue(elements, defs, SERIAL);
  if (gtin !== undefined && serial !== undefined) {
    return {
      scheme: 'sgtin',
      primary: GTIN,
      uri: unitLink('01', gtin, '21', serial, true),
      gtin,
      serial,
    };
  }
  if (gtin !== undefined) {
    // A third-party serial qualifies a GTIN instead of (21): EPC TDS has no scheme for it, so
    // its canonical Digital Link URI names the unit.
    const tpx = aiValue(elements, defs, TPX);
    if (tpx !== undefined) {
      return {
        scheme: 'tpx',
        primary: GTIN,
        uri: unitLink('01', gtin, '235', tpx, true),
        gtin,
        serial: tpx,
      };
    }
  }
  const sscc = aiValue(elements, defs, SSCC);
  if (sscc !== undefined)
    return {
      scheme: 'sscc',
      primary: SSCC,
      uri: unitLink('00', sscc, undefined, undefined, true),
      sscc,
    };
  const itip = aiValue(elements, defs, ITIP);
  if (itip !== undefined && serial !== undefined) {
    return {
      scheme: 'itip',
      primary: ITIP,
      uri: unitLink('8006', itip, '21', serial, true),
      key: itip,
      gtin: itip.slice(0, 14),
      serial,
    };
  }
  const grai = aiValue(elements, defs, GRAI);
  if (grai !== undefined && grai.length > 14) {
    return {
      scheme: 'grai',
      primary: GRAI,
      uri: unitLink('8003', grai),
      grai: grai.slice(0, 14),
      serial: grai.slice(14),
    };
  }
  const giai = aiValue(elements, defs, GIAI);
  if (giai !== undefined) return { scheme: 'giai', primary: GIAI, uri: unitLink('8004', giai), giai };
  const gdti = aiValue(elements, defs, GDTI);
  if (gdti !== undefined && gdti.length > 13) {
    return {
      scheme: 'gdti',
      primary: GDTI,
      uri: unitLink('253', gdti),
      key: gdti.slice(0, 13),
      serial: gdti.slice(13),
    };
  }
  const gsrn = aiValue(elements, defs, GSRN);
  if (gsrn !== undefined) return { scheme: 'gsrn', primary: GSRN, uri: unitLink('8018', gsrn), key: gsrn };
  const gsrnp = aiValue(elements, defs, GSRNP);
  if (gsrnp !== undefined)
    return { scheme: 'gsrnp', primary: GSRNP, uri: unitLink('8017', gsrnp), key: gsrnp };
  const gcn = aiValue(elements, defs, GCN);
  if (gcn !== undefined && gcn.length > 13) {
    return {
      scheme: 'sgcn',
      primary: GCN,
      uri: unitLink('255', gcn),
      key: gcn.slice(0, 13),
      serial: gcn.slice(13),
    };
  }
  const cpid = aiValue(elements, defs, CPID);
  const cpSerial = aiValue(elements, defs, CP_SERIAL);
  if (cpid !== undefined && cpSerial !== undefined) {
    return {
      scheme: 'cpi',
      primary: CPID,
      uri: unitLink('8010', cpid, '8011', cpSerial),
      key: cpid,
      serial: cpSerial,
    };
  }
  const gln = aiValue(elements, defs, GLN);
  if (gln !== undefined) {
    const ext = aiValue(elements, defs, GLN_EXTENSION);
    return {
      scheme: 'sgln',
      primary: GLN,
      uri: unitLink('414', gln, '254', ext),
      gln,
      glnExtension: ext,
    };
  }
  if (gtin !== undefined) return `GTIN ${gtin} without a serial number (21): a product, not one unit`;
  if (itip !== undefined) return `ITIP ${itip} without a serial number (21): a product piece, not one unit`;
  if (grai !== undefined) return `GRAI ${grai} without its serial part: an asset type, not one asset`;
  if (gdti !== undefined) return `GDTI ${gdti} without its serial part: a document type, not one document`;
  if (gcn !== undefined) return `GCN ${gcn} without its serial part: a coupon, not one coupon instance`;
  if (cpid !== undefined) return `CPID ${cpid} without its serial (8011): a component type, not one part`;
  return '';
}

/**
 * The identity named by checked (AI, value) pairs, or a reject saying why there is none.
 * `canonicalLink` is the Digital Link the pairs came from when it already is canonical.
 */
export function unitFromAis(
  elements: AiValue[],
  defs: readonly AiDefinition[],
  source: IdentitySource,
  aim: string | undefined,
  year = thisYear(),
  canonicalLink?: string,
): DecodeResult {
  const found = findKey(elements, defs);
  if (typeof found === 'string') {
    if (found !== '') return rejected('not-serialized', found);
    return rejected(
      'no-unit-key',
      `the data carries no key of one unit (GTIN + serial, SSCC, GRAI, GIAI, GSRN, ...): ${elements.map((e) => `(${e.ai})`).join('')}`,
    );
  }
  const f = found;
  const expiry = aiValue(elements, defs, EXPIRY);
  // One fixed shape for every identity (fields left undefined are absent in JSON): V8 keeps
  // such objects fast on the hot path.
  const identity: UnitIdentity = {
    source,
    scheme: found.scheme,
    uri: found.uri,
    digitalLink: canonicalLink ?? digitalLink(elements, defs, primaryOf(defs, found.primary)),
    aim,
    gtin: f.gtin,
    serial: f.serial,
    sscc: f.sscc,
    gln: f.gln,
    glnExtension: f.glnExtension,
    grai: f.grai,
    giai: f.giai,
    key: f.key,
    lot: aiValue(elements, defs, LOT),
    expiry: expiry === undefined ? undefined : isoDate(expiry, year),
    ais: elements,
  };
  return { ok: true, identity };
}

/** The entry of the key AI, which is one of `defs`. */
function primaryOf(defs: readonly AiDefinition[], code: number): AiDefinition {
  for (const def of defs) if (def.code === code) return def;
  throw new Error(`the key's AI (code ${code}) is not among the read's AIs`);
}

/** YYMMDD (already checked) -> YYYY-MM-DD; day 00 means the last day of the month. */
export function isoDate(yymmdd: string, year = thisYear()): string {
  const two = (i: number) => (yymmdd.charCodeAt(i) - 48) * 10 + yymmdd.charCodeAt(i + 1) - 48;
  const y = fullYear(two(0), year);
  const month = two(2);
  const day = two(4) || new Date(Date.UTC(y, month, 0)).getUTCDate();
  return `${y}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}`;
}

/** "00" to "99": dates are written without building strings for their parts. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
