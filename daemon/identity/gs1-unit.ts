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

/** The key found, with the identity's fields it fills. */
interface Found {
  scheme: IdentityScheme;
  /** The code of the key's AI. */
  primary: number;
  uri: string;
  gtin: string | undefined;
  serial: string | undefined;
  sscc: string | undefined;
  gln: string | undefined;
  glnExtension: string | undefined;
  grai: string | undefined;
  giai: string | undefined;
  key: string | undefined;
}

/**
 * The key of the read being decoded: one object filled again for each read, not one made per
 * read (decoding is synchronous, and the identity copies what it needs before the next read).
 */
const current: Found = {
  scheme: 'sgtin',
  primary: 0,
  uri: '',
  gtin: undefined,
  serial: undefined,
  sscc: undefined,
  gln: undefined,
  glnExtension: undefined,
  grai: undefined,
  giai: undefined,
  key: undefined,
};

/** `current`, cleared and given its scheme, key AI and URI; the caller sets the fields it fills. */
function found(scheme: IdentityScheme, primary: number, uri: string): Found {
  const f = current;
  f.scheme = scheme;
  f.primary = primary;
  f.uri = uri;
  f.gtin = f.serial = f.sscc = f.gln = f.glnExtension = f.grai = f.giai = f.key = undefined;
  return f;
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
    const f = found('sgtin', GTIN, unitLink('01', gtin, '21', serial, true));
    f.gtin = gtin;
    f.serial = serial;
    return f;
  }
  if (gtin !== undefined) {
    // A third-party serial qualifies a GTIN instead of (21): EPC TDS has no scheme for it, so
    // its canonical Digital Link URI names the unit.
    const tpx = aiValue(elements, defs, TPX);
    if (tpx !== undefined) {
      const f = found('tpx', GTIN, unitLink('01', gtin, '235', tpx, true));
      f.gtin = gtin;
      f.serial = tpx;
      return f;
    }
  }
  const sscc = aiValue(elements, defs, SSCC);
  if (sscc !== undefined) {
    const f = found('sscc', SSCC, unitLink('00', sscc, undefined, undefined, true));
    f.sscc = sscc;
    return f;
  }
  const itip = aiValue(elements, defs, ITIP);
  if (itip !== undefined && serial !== undefined) {
    const f = found('itip', ITIP, unitLink('8006', itip, '21', serial, true));
    f.key = itip;
    f.gtin = itip.slice(0, 14);
    f.serial = serial;
    return f;
  }
  const grai = aiValue(elements, defs, GRAI);
  if (grai !== undefined && grai.length > 14) {
    const f = found('grai', GRAI, unitLink('8003', grai));
    f.grai = grai.slice(0, 14);
    f.serial = grai.slice(14);
    return f;
  }
  const giai = aiValue(elements, defs, GIAI);
  if (giai !== undefined) {
    const f = found('giai', GIAI, unitLink('8004', giai));
    f.giai = giai;
    return f;
  }
  const gdti = aiValue(elements, defs, GDTI);
  if (gdti !== undefined && gdti.length > 13) {
    const f = found('gdti', GDTI, unitLink('253', gdti));
    f.key = gdti.slice(0, 13);
    f.serial = gdti.slice(13);
    return f;
  }
  const gsrn = aiValue(elements, defs, GSRN);
  if (gsrn !== undefined) {
    const f = found('gsrn', GSRN, unitLink('8018', gsrn));
    f.key = gsrn;
    return f;
  }
  const gsrnp = aiValue(elements, defs, GSRNP);
  if (gsrnp !== undefined) {
    const f = found('gsrnp', GSRNP, unitLink('8017', gsrnp));
    f.key = gsrnp;
    return f;
  }
  const gcn = aiValue(elements, defs, GCN);
  if (gcn !== undefined && gcn.length > 13) {
    const f = found('sgcn', GCN, unitLink('255', gcn));
    f.key = gcn.slice(0, 13);
    f.serial = gcn.slice(13);
    return f;
  }
  const cpid = aiValue(elements, defs, CPID);
  const cpSerial = aiValue(elements, defs, CP_SERIAL);
  if (cpid !== undefined && cpSerial !== undefined) {
    const f = found('cpi', CPID, unitLink('8010', cpid, '8011', cpSerial));
    f.key = cpid;
    f.serial = cpSerial;
    return f;
  }
  const gln = aiValue(elements, defs, GLN);
  if (gln !== undefined) {
    const ext = aiValue(elements, defs, GLN_EXTENSION);
    const f = found('sgln', GLN, unitLink('414', gln, '254', ext));
    f.gln = gln;
    f.glnExtension = ext;
    return f;
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
  const f = findKey(elements, defs);
  if (typeof f === 'string') {
    if (f !== '') return rejected('not-serialized', f);
    return rejected(
      'no-unit-key',
      `the data carries no key of one unit (GTIN + serial, SSCC, GRAI, GIAI, GSRN, ...): ${elements.map((e) => `(${e.ai})`).join('')}`,
    );
  }
  const expiry = aiValue(elements, defs, EXPIRY);
  // One fixed shape for every identity (fields left undefined are absent in JSON): V8 keeps
  // such objects fast on the hot path.
  const identity: UnitIdentity = {
    source,
    scheme: f.scheme,
    uri: f.uri,
    digitalLink: canonicalLink ?? digitalLink(elements, defs, primaryOf(defs, f.primary)),
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
