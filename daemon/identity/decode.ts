/**
 * The decoder's entry points: a framed read (`decodeRead`, the daemon's hot path) or a line a
 * technician typed (`decodeText`, for `readpoint decode`). See identity.ts for the contract.
 */
import { hasValidCheckDigit } from './check-digit.js';
import { digitalLink, unitLink } from './digital-link.js';
import { type Element, isoDate, parseElementString } from './element-string.js';
import { decodeEpc } from './epc.js';
import type { DecodeInput, DecodeResult, ReaderFormat, UnitIdentity } from './identity.js';
import { matchPlainSerial } from './plain-serial.js';

const DEFAULT_FORMAT: ReaderFormat = { data: 'aim', plainSerial: [] };

/** AIM symbology identifiers whose data is a GS1 element string. */
const GS1_AIM = new Set([']C1', ']d2', ']Q3', ']e0', ']J1']);
/** AIM ids of EAN/UPC and ITF: digits carrying a GTIN without a serial number. */
const GTIN_ONLY_AIM = new Set([']E0', ']E4', ']I1']);
const AIM = /^\][A-Za-z][0-9A-Za-z]/;

const reject = (code: string, message: string): DecodeResult => ({ ok: false, reject: { code, message } });

export function decodeRead(input: DecodeInput, format: ReaderFormat = DEFAULT_FORMAT): DecodeResult {
  if (input.kind === 'epc') return decodeEpc(input.data);
  const bad = badByte(input.data);
  if (bad) return bad;
  if (format.data === 'epc') return decodeEpcHex(input.data.toString('latin1'));
  return decodeBarcode(input.data.toString('latin1'), format);
}

/** Decodes a line as typed: `\x1d` (any `\xNN`) and `\\` escapes; bare EPC hex is an EPC. */
export function decodeText(line: string, format: Partial<ReaderFormat> = {}): DecodeResult {
  const full: ReaderFormat = { ...DEFAULT_FORMAT, ...format };
  const bytes = Buffer.from(
    line.replace(/\\x([0-9A-Fa-f]{2})|\\\\/g, (_m, hex?: string) =>
      hex ? String.fromCharCode(Number.parseInt(hex, 16)) : '\\',
    ),
    'latin1',
  );
  if (full.data === 'aim' && format.data === undefined && /^([0-9A-Fa-f]{4}){6,}$/.test(line)) {
    return decodeEpcHex(line);
  }
  return decodeRead({ kind: 'barcode', data: bytes }, full);
}

function decodeEpcHex(text: string): DecodeResult {
  const hex = text.trim();
  if (!/^([0-9A-Fa-f]{2})+$/.test(hex)) return reject('epc-hex', `not EPC hex: "${hex.slice(0, 64)}"`);
  return decodeEpc(Buffer.from(hex, 'hex'));
}

/** Control bytes other than GS (and DEL / non-ASCII in GS1 data) are rejected with their position. */
function badByte(data: Buffer): DecodeResult | undefined {
  if (data.length === 0) return reject('empty', 'the read is empty');
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if ((b < 0x20 && b !== 0x1d) || b === 0x7f) {
      return reject('non-printable', `control byte 0x${b.toString(16).padStart(2, '0')} at position ${i}`);
    }
  }
  return undefined;
}

function decodeBarcode(text: string, format: ReaderFormat): DecodeResult {
  const aim = AIM.test(text) ? text.slice(0, 3) : undefined;
  const data = aim ? text.slice(3) : text;
  if (aim && GS1_AIM.has(aim)) return fromElements(data, aim);
  if (aim && GTIN_ONLY_AIM.has(aim)) return gtinOnly(data, aim);
  if (!aim && format.data === 'gs1') return fromElements(data, undefined);
  if (/[^\x20-\x7e\u001d]/.test(data) && !isUtf8(Buffer.from(data, 'latin1'))) {
    return reject('not-text', 'the read is neither GS1 data nor UTF-8 text');
  }
  const textValue = Buffer.from(data, 'latin1').toString('utf8');
  const matched = matchPlainSerial(textValue, format.plainSerial, aim);
  if (matched) return matched;
  if (!aim && format.data === 'aim') {
    return reject(
      'no-aim-id',
      `no AIM symbology identifier and no plainSerial pattern matched: "${preview(textValue)}"`,
    );
  }
  return reject(
    'unrecognised',
    `${aim ? `${aim} data` : 'text'} matched no plainSerial pattern: "${preview(textValue)}"`,
  );
}

const preview = (s: string) => (s.length > 48 ? `${s.slice(0, 48)}...` : s).replaceAll('\u001d', '<GS>');

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function gtinOnly(digits: string, aim: string): DecodeResult {
  const padded =
    digits.length === 12 || digits.length === 13 || digits.length === 8 ? digits.padStart(14, '0') : digits;
  if (!/^\d{14}$/.test(padded))
    return reject('bad-length', `${aim} data must be 8, 12, 13 or 14 digits, got "${preview(digits)}"`);
  if (!hasValidCheckDigit(padded)) return reject('check-digit', `GTIN ${padded} has a wrong check digit`);
  return reject(
    'not-serialized',
    `${aim} carries GTIN ${padded} but no serial number: not a serialized unit`,
  );
}

function fromElements(data: string, aim: string | undefined): DecodeResult {
  const parsed = parseElementString(data);
  if (!parsed.ok) return parsed;
  const { elements } = parsed;
  const value = (ai: string) => elements.find((e) => e.ai === ai)?.value;
  const common = (e: Element[]): Partial<UnitIdentity> => {
    const lot = value('10');
    const expiry = value('17');
    return {
      ...(aim ? { aim } : {}),
      ...(lot ? { lot } : {}),
      ...(expiry ? { expiry: isoDate(expiry) } : {}),
      ais: e,
    };
  };
  const gtin = value('01');
  const serial = value('21');
  if (gtin && serial) {
    return ok({
      source: 'gs1-element-string',
      uri: unitLink('01', gtin, '21', serial),
      digitalLink: digitalLink(elements, '01'),
      gtin,
      serial,
      ...common(elements),
    });
  }
  const sscc = value('00');
  if (sscc)
    return ok({
      source: 'gs1-element-string',
      uri: unitLink('00', sscc),
      digitalLink: digitalLink(elements, '00'),
      sscc,
      ...common(elements),
    });
  const giai = value('8004');
  if (giai)
    return ok({
      source: 'gs1-element-string',
      uri: unitLink('8004', giai),
      digitalLink: digitalLink(elements, '8004'),
      serial: giai,
      ...common(elements),
    });
  const grai = value('8003');
  if (grai && grai.length > 14) {
    return ok({
      source: 'gs1-element-string',
      uri: unitLink('8003', grai),
      digitalLink: digitalLink(elements, '8003'),
      serial: grai.slice(14),
      ...common(elements),
    });
  }
  if (gtin)
    return reject('not-serialized', `GTIN ${gtin} without a serial number (21): not a serialized unit`);
  return reject(
    'no-unit-key',
    `the data carries no unit identity (SSCC, GTIN + serial, GIAI or serialized GRAI): ${elements.map((e) => `(${e.ai})`).join('')}`,
  );
}

const ok = (identity: UnitIdentity): DecodeResult => ({ ok: true, identity });
