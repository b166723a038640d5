/**
 * The decoder's entry points: a framed read (`decodeRead`, the daemon's hot path) or a line a
 * technician typed (`decodeText`, for `readpoint decode`). See identity.ts for the contract.
 *
 * A barcode read goes by its AIM symbology identifier:
 * - `]C1 ]d2 ]Q3 ]e0 ]J1` (GS1-128, GS1 DataMatrix, GS1 QR, DataBar, DotCode): a GS1 element string;
 * - `]d1 ]Q1` (DataMatrix, QR): a GS1 Digital Link URI when it is an http(s) URI, else text;
 * - `]E0 ]E4 ]I1` (EAN-13 / UPC-A, EAN-8, ITF-14): a GTIN, checked, but not one unit;
 * - any other (`]C0` Code 128, `]A0` Code 39, ...): opaque text for the reader's plainSerial patterns.
 * Without an AIM id, the reader's `format.data` says what the data is; nothing is guessed.
 */
import { hasValidCheckDigit } from './check-digit.js';
import { isHttpUri, parseDigitalLink } from './digital-link.js';
import { parseElementString } from './element-string.js';
import { decodeEpc } from './epc.js';
import { EPC_BITS } from './epc-tables.js';
import { unitFromAis } from './gs1-unit.js';
import { type DecodeInput, type DecodeResult, type ReaderFormat, rejected } from './identity.js';
import { matchPlainSerial } from './plain-serial.js';
import { characterName, escapeUnsafe, hasUnsafe, unsafeInRead } from './unsafe-text.js';
import { thisYear } from './year.js';

/** A reader format; options left out take their defaults. */
export type DecodeFormat = Pick<ReaderFormat, 'data' | 'plainSerial'> & Partial<ReaderFormat>;

const DEFAULT_FORMAT: DecodeFormat = { data: 'aim', plainSerial: [] };

enum Carrier {
  ElementString,
  MaybeLink,
  Gtin,
  Text,
}

/** The carrier of each AIM id readpoint reads specially; any other AIM id is text. */
const AIM_CARRIER: readonly (readonly [string, Carrier])[] = [
  [']C1', Carrier.ElementString],
  [']d2', Carrier.ElementString],
  [']Q3', Carrier.ElementString],
  [']e0', Carrier.ElementString],
  [']J1', Carrier.ElementString],
  [']d1', Carrier.MaybeLink],
  [']Q1', Carrier.MaybeLink],
  [']E0', Carrier.Gtin],
  [']E4', Carrier.Gtin],
  [']I1', Carrier.Gtin],
];

/** AIM_CARRIER's entries by their two characters after `]` (7 bits each). */
const AIM_BY_CODE: (readonly [string, Carrier] | undefined)[] = new Array(1 << 14).fill(undefined);
for (const entry of AIM_CARRIER) AIM_BY_CODE[(entry[0].charCodeAt(1) << 7) | entry[0].charCodeAt(2)] = entry;

/** The known AIM id that starts `bytes` (checked by hasAim): one shared string, no slicing. */
const knownAim = (bytes: Buffer): readonly [string, Carrier] | undefined =>
  AIM_BY_CODE[((bytes[1]! & 0x7f) << 7) | (bytes[2]! & 0x7f)];

const GS = 0x1d;

/**
 * The longest read decoded, in bytes: the most any reader is set to take (`maxReadLength`). A
 * longer one is refused before any parsing, so no pattern ever runs over megabytes.
 */
export const MAX_READ_BYTES = 65536;

/** The longest typed line: a read of MAX_READ_BYTES written out as `\xNN` escapes. */
export const MAX_TYPED_LENGTH = 4 * MAX_READ_BYTES;

const overlong = (length: number, max: number, what: string) =>
  rejected('overlong', `the ${what} is ${length} bytes, longer than the ${max} a read may be`);

export function decodeRead(input: DecodeInput, format: DecodeFormat = DEFAULT_FORMAT): DecodeResult {
  const result = decodeAny(input, format);
  // A reject's message may quote the read (a value, a preview): what it quotes is shown escaped.
  if (result.ok || !hasUnsafe(result.reject.message)) return result;
  return rejected(result.reject.code, escapeUnsafe(result.reject.message));
}

function decodeAny(input: DecodeInput, format: DecodeFormat): DecodeResult {
  if (input.data.length > MAX_READ_BYTES) return overlong(input.data.length, MAX_READ_BYTES, 'read');
  if (input.kind === 'epc') return epcResult(decodeEpc(input.data, input.pc), format);
  if (input.data.length === 0) return rejected('empty', 'the read is empty');
  if (format.data === 'epc')
    return badByte(input.data) ?? decodeEpcHex(input.data.toString('latin1'), format);
  // A control byte, or a character that displays as other text, is the reason for any reject of
  // a read that holds one. GS1 data, GTINs and URIs never decode with one (no character set holds
  // them), so only a reject and plain text (whose patterns may match anything) look for them: a
  // read that decodes is scanned once.
  const result = decodeBarcode(input.data, format);
  return result.ok ? result : (badByte(input.data) ?? unsafeCharacter(input.data) ?? result);
}

/**
 * Decodes a line as typed: `\x1d` (any `\xNN`) and `\\` escapes. With the `aim` format (the
 * default), bare EPC hex is read as a tag's EPC: whole 16-bit words of at least 96 bits (as
 * readers report it), or the bits of the scheme its header names rounded up to whole hex digits
 * or bytes (SGTIN-198: 50 digits). A line of decimal digits only may also be a numeric serial:
 * when it is no valid EPC, the reader's patterns get it.
 */
export function decodeText(line: string, format: Partial<ReaderFormat> = {}): DecodeResult {
  const full: DecodeFormat = { ...DEFAULT_FORMAT, ...format };
  if (line.length > MAX_TYPED_LENGTH) return overlong(line.length, MAX_TYPED_LENGTH, 'line');
  const bytes = typedBytes(line);
  if (bytes.length > MAX_READ_BYTES) return overlong(bytes.length, MAX_READ_BYTES, 'read');
  if (full.data !== 'aim' || !looksLikeEpcHex(line))
    return decodeRead({ kind: 'barcode', data: bytes }, full);
  // A tag's EPC as a technician copies it: read as a tag read unless the format says otherwise.
  const tag = decodeEpcHex(line, full);
  if (tag.ok || !/^[0-9]+$/.test(line)) return tag;
  const text = decodeRead({ kind: 'barcode', data: bytes }, full);
  return text.ok ? text : tag;
}

function looksLikeEpcHex(line: string): boolean {
  if (line.length < 24 || !/^[0-9A-Fa-f]+$/.test(line)) return false;
  if (line.length % 4 === 0) return true;
  const bits = EPC_BITS.get(Number.parseInt(line.slice(0, 2), 16));
  return (
    bits !== undefined && (line.length === Math.ceil(bits / 4) || line.length === Math.ceil(bits / 8) * 2)
  );
}

/** The bytes a typed line stands for (one char per byte): `\xNN` is that byte, `\\` a backslash. */
export function typedBytes(line: string): Buffer {
  return Buffer.from(
    line.replace(/\\x([0-9A-Fa-f]{2})|\\\\/g, (_m, hex?: string) =>
      hex ? String.fromCharCode(Number.parseInt(hex, 16)) : '\\',
    ),
    'latin1',
  );
}

function epcResult(result: DecodeResult, format: DecodeFormat): DecodeResult {
  if (result.ok && result.identity.epc?.nonGs1 && format.nonGs1Epc !== 'event') {
    return rejected(
      'epc-not-gs1',
      `EPC ${result.identity.epc.hex} is not a GS1 EPC (header 0x${result.identity.epc.hex.slice(0, 2)}); ` +
        'set the reader\'s format.nonGs1Epc to "event" to publish such tags by their raw URI',
    );
  }
  return result;
}

function decodeEpcHex(text: string, format: DecodeFormat): DecodeResult {
  const hex = text.trim();
  if (!/^[0-9A-Fa-f]+$/.test(hex))
    return rejected('epc-hex', `not EPC hex: ${JSON.stringify(hex.slice(0, 64))}`);
  if (hex.length % 2 === 0) return epcResult(decodeEpc(Buffer.from(hex, 'hex')), format);
  // An odd digit count is a scheme's bits rounded up to hex digits: the last nibble's spare bits
  // are padding, but only when the digits hold every bit of the scheme.
  const bits = EPC_BITS.get(Number.parseInt(hex.slice(0, 2), 16));
  if (bits === undefined || hex.length * 4 < bits) {
    return rejected(
      'epc-hex',
      `${hex.length} hex digits are neither whole bytes nor ${bits ? `the ${bits} bits of the EPC's scheme` : "an EPC scheme's bits"}: ${JSON.stringify(hex.slice(0, 64))}`,
    );
  }
  return epcResult(decodeEpc(Buffer.from(`${hex}0`, 'hex')), format);
}

/** Control bytes other than GS, and DEL, are rejected with their position. */
function badByte(data: Buffer): DecodeResult | undefined {
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if ((b < 0x20 && b !== GS) || b === 0x7f) {
      return rejected('non-printable', `control byte 0x${b.toString(16).padStart(2, '0')} at position ${i}`);
    }
  }
  return undefined;
}

/**
 * A character that displays as other text (unsafe-text.ts): in the read's UTF-8 text, or, in a
 * read that is not UTF-8, a byte that is one in Latin-1 (a C1 control). Position in bytes.
 */
function unsafeCharacter(data: Buffer, offset = 0): DecodeResult | undefined {
  const utf8 = isUtf8(data);
  const text = data.toString(utf8 ? 'utf8' : 'latin1');
  const found = unsafeInRead(text);
  if (!found) return undefined;
  const position = offset + (utf8 ? Buffer.byteLength(text.slice(0, found.index)) : found.index);
  return rejected(
    'non-printable',
    `character ${characterName(found.codePoint)} at position ${position}: it would display as other text`,
  );
}

const hasAim = (bytes: Buffer) => {
  if (bytes.length < 3 || bytes[0] !== 0x5d) return false; // ]
  const c1 = bytes[1]!;
  const c2 = bytes[2]!;
  const letter = (c1 >= 0x41 && c1 <= 0x5a) || (c1 >= 0x61 && c1 <= 0x7a);
  const modifier = (c2 >= 0x30 && c2 <= 0x39) || (c2 >= 0x41 && c2 <= 0x5a) || (c2 >= 0x61 && c2 <= 0x7a);
  return letter && modifier;
};

function decodeBarcode(bytes: Buffer, format: DecodeFormat): DecodeResult {
  const withAim = hasAim(bytes);
  const known = withAim ? knownAim(bytes) : undefined;
  const aim = known ? known[0] : withAim ? bytes.toString('latin1', 0, 3) : undefined;
  // The data after the AIM id as its own flat string (a slice of a longer string reads slower).
  const data = bytes.toString('latin1', withAim ? 3 : 0);
  let carrier: Carrier;
  if (aim) carrier = known ? known[1] : Carrier.Text;
  else if (format.data === 'gs1') carrier = Carrier.ElementString;
  else if (format.data === 'digital-link') return fromLink(data, undefined);
  else if (format.data === 'text') carrier = Carrier.MaybeLink;
  else return plainText(bytes, data, format, undefined);
  switch (carrier) {
    case Carrier.ElementString:
      return fromElements(data, aim, format);
    case Carrier.Gtin:
      return gtinOnly(data, aim!);
    case Carrier.MaybeLink:
      if (isHttpUri(data)) {
        const link = fromLink(data, aim);
        // A URI that names no GS1 key is a plain URI: its text may still match a pattern.
        if (link.ok || link.reject.code !== 'dl-path') return link;
      }
      return plainText(bytes, data, format, aim);
    default:
      return plainText(bytes, data, format, aim);
  }
}

function fromElements(data: string, aim: string | undefined, format: DecodeFormat): DecodeResult {
  const body = format.stripLeadingGs && data.charCodeAt(0) === GS ? data.slice(1) : data;
  const year = thisYear();
  const parsed = parseElementString(body, year);
  if (!parsed.ok) return parsed;
  return unitFromAis(parsed.elements, parsed.defs, 'gs1-element-string', aim, year);
}

function fromLink(uri: string, aim: string | undefined): DecodeResult {
  const year = thisYear();
  const parsed = parseDigitalLink(uri, year);
  if (!parsed.ok) return parsed;
  return unitFromAis(parsed.elements, parsed.defs, 'gs1-digital-link', aim, year, parsed.canonical);
}

/** `data` (the read after its AIM id) as text for the plainSerial patterns. */
function plainText(read: Buffer, data: string, format: DecodeFormat, aim: string | undefined): DecodeResult {
  const bad = badByte(read);
  if (bad) return bad;
  const bytes = Buffer.from(data, 'latin1');
  if (!isUtf8(bytes)) return rejected('not-text', 'the read is neither GS1 data nor UTF-8 text');
  const unsafe = unsafeCharacter(bytes, read.length - bytes.length);
  if (unsafe) return unsafe;
  const text = bytes.toString('utf8');
  const matched = matchPlainSerial(text, format.plainSerial, aim);
  if (matched) return matched;
  if (!aim && format.data === 'aim') {
    return rejected(
      'no-aim-id',
      `no AIM symbology identifier and no plainSerial pattern matched: ${preview(text)} ` +
        "(turn on AIM ids in the scanner, or set the reader's format.data)",
    );
  }
  return rejected(
    'unrecognised',
    `${aim ? `${aim} data` : 'text'} matched no plainSerial pattern: ${preview(text)}`,
  );
}

const preview = (s: string) =>
  JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}...` : s).replaceAll('\\u001d', '<GS>');

function isUtf8(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return utf8.check(bytes);
  return true;
}

const utf8 = {
  decoder: new TextDecoder('utf-8', { fatal: true }),
  check(bytes: Buffer): boolean {
    try {
      this.decoder.decode(bytes);
      return true;
    } catch {
      return false;
    }
  },
};

/** EAN-13 / UPC-A (12 digits, padded), EAN-8 and ITF-14: a GTIN checked, but a product, not a unit. */
function gtinOnly(digits: string, aim: string): DecodeResult {
  const lengths = aim === ']E4' ? [8] : aim === ']I1' ? [14] : [12, 13];
  if (!/^\d+$/.test(digits) || !lengths.includes(digits.length)) {
    return rejected(
      'bad-length',
      `${aim} data must be ${lengths.join(' or ')} digits, got ${preview(digits)}`,
    );
  }
  const gtin = digits.padStart(14, '0');
  if (!hasValidCheckDigit(gtin)) return rejected('check-digit', `GTIN ${gtin} has a wrong check digit`);
  return rejected(
    'not-serialized',
    `${aim} carries GTIN ${gtin} and no serial number: a product, not one unit`,
  );
}
