/**
 * Which GS1 key in a set of (AI, value) pairs names one physical unit, and the normalized identity
 * built from it. The same for element strings and Digital Link URIs, so both give one shape.
 *
 * Keys, first match wins: GTIN + serial (01)(21); SSCC (00); ITIP + serial (8006)(21); GRAI with
 * its serial part (8003); GIAI (8004); GDTI with serial (253); GSRN (8018) and GSRN provider
 * (8017); GCN with serial (255); CPID + serial (8010)(8011); GLN with optional extension (414)(254).
 * A class-level key alone (a GTIN, a GRAI without serial) is `not-serialized`: never an identity.
 */
import { type AiDefinition, aiDefinition } from './ai-dictionary.js';
import { fullYear } from './ai-linters.js';
import { digitalLink, unitLink } from './digital-link.js';
import type { AiValue, DecodeResult, IdentityScheme, IdentitySource, UnitIdentity } from './identity.js';
import { rejected } from './identity.js';
import { thisYear } from './year.js';

interface Found {
  readonly scheme: IdentityScheme;
  readonly primary: string;
  readonly uri: string;
  readonly fields: Partial<
    Record<'gtin' | 'serial' | 'sscc' | 'gln' | 'glnExtension' | 'grai' | 'giai' | 'key', string>
  >;
}

const aiValue = (elements: readonly AiValue[], ai: string): string | undefined => {
  for (const e of elements) if (e.ai === ai) return e.value;
  return undefined;
};

function findKey(elements: readonly AiValue[]): Found | string {
  const v = (ai: string) => aiValue(elements, ai);
  const gtin = v('01');
  const serial = v('21');
  if (gtin !== undefined && serial !== undefined) {
    return {
      scheme: 'sgtin',
      primary: '01',
      uri: unitLink('01', gtin, '21', serial),
      fields: { gtin, serial },
    };
  }
  const sscc = v('00');
  if (sscc !== undefined)
    return { scheme: 'sscc', primary: '00', uri: unitLink('00', sscc), fields: { sscc } };
  const itip = v('8006');
  if (itip !== undefined && serial !== undefined) {
    return {
      scheme: 'itip',
      primary: '8006',
      uri: unitLink('8006', itip, '21', serial),
      fields: { key: itip, gtin: itip.slice(0, 14), serial },
    };
  }
  const grai = v('8003');
  if (grai !== undefined && grai.length > 14) {
    return {
      scheme: 'grai',
      primary: '8003',
      uri: unitLink('8003', grai),
      fields: { grai: grai.slice(0, 14), serial: grai.slice(14) },
    };
  }
  const giai = v('8004');
  if (giai !== undefined)
    return { scheme: 'giai', primary: '8004', uri: unitLink('8004', giai), fields: { giai } };
  const gdti = v('253');
  if (gdti !== undefined && gdti.length > 13) {
    return {
      scheme: 'gdti',
      primary: '253',
      uri: unitLink('253', gdti),
      fields: { key: gdti.slice(0, 13), serial: gdti.slice(13) },
    };
  }
  for (const [ai, scheme] of [
    ['8018', 'gsrn'],
    ['8017', 'gsrnp'],
  ] as const) {
    const gsrn = v(ai);
    if (gsrn !== undefined) return { scheme, primary: ai, uri: unitLink(ai, gsrn), fields: { key: gsrn } };
  }
  const gcn = v('255');
  if (gcn !== undefined && gcn.length > 13) {
    return {
      scheme: 'sgcn',
      primary: '255',
      uri: unitLink('255', gcn),
      fields: { key: gcn.slice(0, 13), serial: gcn.slice(13) },
    };
  }
  const cpid = v('8010');
  const cpSerial = v('8011');
  if (cpid !== undefined && cpSerial !== undefined) {
    return {
      scheme: 'cpi',
      primary: '8010',
      uri: unitLink('8010', cpid, '8011', cpSerial),
      fields: { key: cpid, serial: cpSerial },
    };
  }
  const gln = v('414');
  if (gln !== undefined) {
    const ext = v('254');
    return {
      scheme: 'sgln',
      primary: '414',
      uri: unitLink('414', gln, '254', ext),
      fields: ext === undefined ? { gln } : { gln, glnExtension: ext },
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
  source: IdentitySource,
  aim: string | undefined,
  year = thisYear(),
  canonicalLink?: string,
): DecodeResult {
  const found = findKey(elements);
  if (typeof found === 'string') {
    if (found !== '') return rejected('not-serialized', found);
    return rejected(
      'no-unit-key',
      `the data carries no key of one unit (GTIN + serial, SSCC, GRAI, GIAI, GSRN, ...): ${elements.map((e) => `(${e.ai})`).join('')}`,
    );
  }
  const f = found.fields;
  const expiry = aiValue(elements, '17');
  // One fixed shape for every identity (fields left undefined are absent in JSON): V8 keeps
  // such objects fast on the hot path.
  const identity: UnitIdentity = {
    source,
    scheme: found.scheme,
    uri: found.uri,
    digitalLink: canonicalLink ?? digitalLink(elements, aiDefinition(found.primary) as AiDefinition),
    aim,
    gtin: f.gtin,
    serial: f.serial,
    sscc: f.sscc,
    gln: f.gln,
    glnExtension: f.glnExtension,
    grai: f.grai,
    giai: f.giai,
    key: f.key,
    lot: aiValue(elements, '10'),
    expiry: expiry === undefined ? undefined : isoDate(expiry, year),
    ais: elements,
  };
  return { ok: true, identity };
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
