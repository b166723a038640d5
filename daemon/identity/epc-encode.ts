/**
 * EPC binary encoding (GS1 Tag Data Standard 2.x, §14.3) of every scheme epc.ts decodes: the
 * simulator's tags and the decoder's round-trip tests. Input is the tag URI's fields (unescaped)
 * with the filter and the binary scheme, or a tag URI itself (`encodeTagUri`). The company
 * prefix's length selects the partition. Output is the EPC bits rounded up to whole 16-bit words
 * (as a reader reports them), the padding bits zero.
 *
 * Not on the hot path: invalid fields throw a TypeError naming the field (a value that needs more
 * digits or bits than the scheme has, an integer serial with leading zeros, a character outside
 * GS1 character set 82, ...).
 */
import {
  CSET82,
  GIAI96_TABLE,
  GIAI202_TABLE,
  GRAI_TABLE,
  HEADER_GIAI96,
  HEADER_GIAI202,
  HEADER_GID96,
  HEADER_GRAI96,
  HEADER_GRAI170,
  HEADER_SGLN96,
  HEADER_SGLN195,
  HEADER_SGTIN96,
  HEADER_SGTIN198,
  HEADER_SSCC96,
  type Partition,
  POW2,
  SGLN_TABLE,
  SGTIN_TABLE,
  SSCC_TABLE,
} from './epc-tables.js';

export { gs1CheckDigit as gtinCheckDigit } from './check-digit.js';

/** The binary schemes `encodeEpc` writes. */
export type EpcBinaryScheme =
  | 'sgtin-96'
  | 'sgtin-198'
  | 'sscc-96'
  | 'sgln-96'
  | 'sgln-195'
  | 'grai-96'
  | 'grai-170'
  | 'giai-96'
  | 'giai-202'
  | 'gid-96';

/**
 * The fields of an EPC tag URI, unescaped (`32a/b`, not `32a%2Fb`). Numeric fields are decimal
 * strings: the partitioned ones exactly as many digits as the partition gives (zero-padded; a
 * 0-digit location reference or asset type is ''), the integer serials/extensions/references of
 * the 96-bit schemes without leading zeros.
 */
export type EpcFields =
  | {
      readonly scheme: 'sgtin-96' | 'sgtin-198';
      readonly filter: number;
      /** 6-12 digits; its length selects the partition. */
      readonly companyPrefix: string;
      /** Indicator digit + item reference: 13 - companyPrefix.length digits. */
      readonly itemReference: string;
      readonly serial: string;
    }
  | {
      readonly scheme: 'sscc-96';
      readonly filter: number;
      readonly companyPrefix: string;
      /** Extension digit + serial reference: 17 - companyPrefix.length digits. */
      readonly serialReference: string;
    }
  | {
      readonly scheme: 'sgln-96' | 'sgln-195';
      readonly filter: number;
      readonly companyPrefix: string;
      /** 12 - companyPrefix.length digits ('' for a 12-digit prefix). */
      readonly locationReference: string;
      /** GLN extension; '0' is the GLN without extension. */
      readonly extension: string;
    }
  | {
      readonly scheme: 'grai-96' | 'grai-170';
      readonly filter: number;
      readonly companyPrefix: string;
      /** 12 - companyPrefix.length digits ('' for a 12-digit prefix). */
      readonly assetType: string;
      readonly serial: string;
    }
  | {
      readonly scheme: 'giai-96' | 'giai-202';
      readonly filter: number;
      readonly companyPrefix: string;
      readonly assetReference: string;
    }
  | {
      readonly scheme: 'gid-96';
      readonly manager: string;
      readonly objectClass: string;
      readonly serial: string;
    };

const fail = (message: string): never => {
  throw new TypeError(`encodeEpc: ${message}`);
};

/** Writes bits into a zeroed buffer, most significant first. */
class BitWriter {
  readonly buf: Buffer;
  private pos = 0;
  constructor(bits: number) {
    this.buf = Buffer.alloc(((bits + 15) >> 4) * 2);
  }
  /** `value` (non-negative integer, Number or BigInt) as `n` bits. */
  int(value: number | bigint, n: number): this {
    // A whole Number of up to 53 bits (the simulator's fields, read after read): bit by bit from
    // its two 32-bit halves, with no string. Anything else goes the general way below.
    if (typeof value === 'number' && n >= 1 && n <= 53 && Number.isInteger(value) && value >= 0) {
      if (value >= POW2[n]!) fail(`value ${value} does not fit ${n} bits`);
      const hi = Math.floor(value / 4294967296);
      const lo = value >>> 0;
      for (let i = n - 1; i >= 0; i--, this.pos++) {
        if (((i >= 32 ? hi >>> (i - 32) : lo >>> i) & 1) !== 0)
          this.buf[this.pos >> 3]! |= 0x80 >> (this.pos & 7);
      }
      return this;
    }
    const bin = value.toString(2);
    if (bin.length > n) fail(`value ${value} does not fit ${n} bits`);
    this.pos += n - bin.length;
    for (let i = 0; i < bin.length; i++, this.pos++) {
      if (bin.charCodeAt(i) === 0x31) this.buf[this.pos >> 3]! |= 0x80 >> (this.pos & 7);
    }
    return this;
  }
  /** `text` as 7-bit characters, then zero bits to `n` bits (TDS §14.3.2). */
  string7(text: string, n: number): this {
    const start = this.pos;
    for (let i = 0; i < text.length; i++) this.int(text.charCodeAt(i), 7);
    this.pos = start + n;
    return this;
  }
}

const isDigits = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x30 || s.charCodeAt(i) > 0x39) return false;
  return true;
};

function filterOf(filter: number): number {
  if (!Number.isInteger(filter) || filter < 0 || filter > 7) fail(`filter ${filter} is not 0-7`);
  return filter;
}

/** The partition row for a company prefix and the second field, both checked. */
function partitionOf(table: readonly Partition[], companyPrefix: string, ref: string, refName: string) {
  const p = 12 - companyPrefix.length;
  const row = table[p];
  if (!row || !isDigits(companyPrefix))
    fail(`company prefix ${JSON.stringify(companyPrefix)} is not 6-12 digits`);
  const r = row as Partition;
  if (ref.length !== r.refDigits || !isDigits(ref)) {
    fail(
      `${refName} ${JSON.stringify(ref)} is not ${r.refDigits} digits (company prefix of ${companyPrefix.length})`,
    );
  }
  return { p, row: r };
}

/**
 * A decimal integer without leading zeros below 2^bits: a Number when it has at most 53 bits
 * (exact), else a BigInt.
 */
function integer(text: string, bits: number, name: string): number | bigint {
  if (text.length === 0 || !isDigits(text) || (text.length > 1 && text[0] === '0')) {
    fail(`${name} ${JSON.stringify(text)} is not an integer without leading zeros`);
  }
  if (bits <= 53) {
    // Rounding keeps the order, so a text of 2^bits or more still compares as at least 2^bits.
    const n = Number(text);
    if (n >= POW2[bits]!) fail(`${name} ${text} does not fit ${bits} bits`);
    return n;
  }
  const v = BigInt(text);
  if (v >= 1n << BigInt(bits)) fail(`${name} ${text} does not fit ${bits} bits`);
  return v;
}

/** 1 to `max` characters of GS1 character set 82. */
function cset82(text: string, max: number, name: string): string {
  if (text.length === 0 || text.length > max)
    fail(`${name} ${JSON.stringify(text)} is not 1-${max} characters`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || CSET82[c] !== 1)
      fail(`${name} ${JSON.stringify(text)} has a character outside GS1 character set 82`);
  }
  return text;
}

/** The EPC binary of `f`, rounded up to whole 16-bit words. Throws TypeError on invalid fields. */
export function encodeEpc(f: EpcFields): Buffer {
  switch (f.scheme) {
    case 'sgtin-96':
    case 'sgtin-198': {
      const long = f.scheme === 'sgtin-198';
      const { p, row } = partitionOf(SGTIN_TABLE, f.companyPrefix, f.itemReference, 'item reference');
      const w = new BitWriter(long ? 198 : 96)
        .int(long ? HEADER_SGTIN198 : HEADER_SGTIN96, 8)
        .int(filterOf(f.filter), 3)
        .int(p, 3)
        .int(Number(f.companyPrefix), row.cpBits)
        .int(Number(f.itemReference), row.refBits);
      if (long) w.string7(cset82(f.serial, 20, 'serial'), 140);
      else w.int(integer(f.serial, 38, 'serial'), 38);
      return w.buf;
    }
    case 'sscc-96': {
      const { p, row } = partitionOf(SSCC_TABLE, f.companyPrefix, f.serialReference, 'serial reference');
      return new BitWriter(96)
        .int(HEADER_SSCC96, 8)
        .int(filterOf(f.filter), 3)
        .int(p, 3)
        .int(Number(f.companyPrefix), row.cpBits)
        .int(Number(f.serialReference), row.refBits)
        .int(0, 24).buf;
    }
    case 'sgln-96':
    case 'sgln-195': {
      const long = f.scheme === 'sgln-195';
      const { p, row } = partitionOf(SGLN_TABLE, f.companyPrefix, f.locationReference, 'location reference');
      const w = new BitWriter(long ? 195 : 96)
        .int(long ? HEADER_SGLN195 : HEADER_SGLN96, 8)
        .int(filterOf(f.filter), 3)
        .int(p, 3)
        .int(Number(f.companyPrefix), row.cpBits)
        .int(Number(f.locationReference), row.refBits);
      if (long) w.string7(cset82(f.extension, 20, 'extension'), 140);
      else w.int(integer(f.extension, 41, 'extension'), 41);
      return w.buf;
    }
    case 'grai-96':
    case 'grai-170': {
      const long = f.scheme === 'grai-170';
      const { p, row } = partitionOf(GRAI_TABLE, f.companyPrefix, f.assetType, 'asset type');
      const w = new BitWriter(long ? 170 : 96)
        .int(long ? HEADER_GRAI170 : HEADER_GRAI96, 8)
        .int(filterOf(f.filter), 3)
        .int(p, 3)
        .int(Number(f.companyPrefix), row.cpBits)
        .int(Number(f.assetType), row.refBits);
      if (long) w.string7(cset82(f.serial, 16, 'serial'), 112);
      else w.int(integer(f.serial, 38, 'serial'), 38);
      return w.buf;
    }
    case 'giai-96':
    case 'giai-202': {
      const long = f.scheme === 'giai-202';
      const table = long ? GIAI202_TABLE : GIAI96_TABLE;
      const p = 12 - f.companyPrefix.length;
      const row = table[p];
      if (!row || !isDigits(f.companyPrefix))
        fail(`company prefix ${JSON.stringify(f.companyPrefix)} is not 6-12 digits`);
      const r = row as Partition;
      const w = new BitWriter(long ? 202 : 96)
        .int(long ? HEADER_GIAI202 : HEADER_GIAI96, 8)
        .int(filterOf(f.filter), 3)
        .int(p, 3)
        .int(Number(f.companyPrefix), r.cpBits);
      if (long) w.string7(cset82(f.assetReference, r.refDigits, 'asset reference'), r.refBits);
      else {
        if (f.assetReference.length > r.refDigits)
          fail(`asset reference is longer than ${r.refDigits} digits`);
        w.int(integer(f.assetReference, r.refBits, 'asset reference'), r.refBits);
      }
      return w.buf;
    }
    case 'gid-96':
      return new BitWriter(96)
        .int(HEADER_GID96, 8)
        .int(integer(f.manager, 28, 'general manager number'), 28)
        .int(integer(f.objectClass, 24, 'object class'), 24)
        .int(integer(f.serial, 36, 'serial'), 36).buf;
  }
  return fail(`unknown scheme ${JSON.stringify((f as { scheme: unknown }).scheme)}`);
}

/** %XX escapes of an EPC URI component, undone (each must name a GS1 character set 82 character). */
function unescapeUrn(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') {
      out += s[i];
      continue;
    }
    const c = Number.parseInt(s.slice(i + 1, i + 3), 16);
    if (!/^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3)) || CSET82[c] !== 1)
      fail(`bad escape in ${JSON.stringify(s)}`);
    out += String.fromCharCode(c);
    i += 2;
  }
  return out;
}

/** The fields of an EPC tag URI (`urn:epc:tag:sgtin-96:3.0614141.812345.6789`). Throws TypeError. */
export function parseTagUri(uri: string): EpcFields {
  const m = /^urn:epc:tag:([a-z]+-\d+):(.*)$/.exec(uri);
  if (!m) return fail(`not an EPC tag URI: ${JSON.stringify(uri)}`);
  const scheme = m[1] as EpcBinaryScheme;
  const parts = m[2]!.split('.');
  const rest = (from: number) => unescapeUrn(parts.slice(from).join('.'));
  if (scheme === 'gid-96') {
    if (parts.length !== 3) fail(`${JSON.stringify(uri)} is not manager.class.serial`);
    return { scheme, manager: parts[0]!, objectClass: parts[1]!, serial: parts[2]! };
  }
  if (parts[0]?.length !== 1) fail(`filter of ${JSON.stringify(uri)} is not one digit`);
  const filter = Number(parts[0]);
  switch (scheme) {
    case 'sgtin-96':
    case 'sgtin-198':
      return {
        scheme,
        filter,
        companyPrefix: parts[1] ?? '',
        itemReference: parts[2] ?? '',
        serial: rest(3),
      };
    case 'sscc-96':
      if (parts.length !== 3) fail(`${JSON.stringify(uri)} is not filter.prefix.serialref`);
      return { scheme, filter, companyPrefix: parts[1] ?? '', serialReference: parts[2] ?? '' };
    case 'sgln-96':
    case 'sgln-195':
      return {
        scheme,
        filter,
        companyPrefix: parts[1] ?? '',
        locationReference: parts[2] ?? '',
        extension: rest(3),
      };
    case 'grai-96':
    case 'grai-170':
      return { scheme, filter, companyPrefix: parts[1] ?? '', assetType: parts[2] ?? '', serial: rest(3) };
    case 'giai-96':
    case 'giai-202':
      return { scheme, filter, companyPrefix: parts[1] ?? '', assetReference: rest(2) };
  }
  return fail(`unknown EPC scheme ${JSON.stringify(scheme)}`);
}

/** The EPC binary of a tag URI: `encodeEpc(parseTagUri(uri))`. Throws TypeError. */
export const encodeTagUri = (uri: string): Buffer => encodeEpc(parseTagUri(uri));

export interface Sgtin96Fields {
  readonly filter: number;
  /** 6 to 12 digits; its length selects the partition. */
  readonly companyPrefix: string;
  /** Indicator digit + item reference: 13 - companyPrefix.length digits. */
  readonly itemReference: string;
  readonly serial: bigint | number;
}

/** SGTIN-96 from its fields (the simulator's tags). Throws on invalid fields. */
export function encodeSgtin96(f: Sgtin96Fields): Buffer {
  const serial =
    typeof f.serial === 'bigint'
      ? f.serial >= 0n
        ? f.serial.toString()
        : undefined
      : Number.isSafeInteger(f.serial) && f.serial >= 0
        ? String(f.serial)
        : undefined;
  if (serial === undefined) return fail(`serial ${f.serial} is not a non-negative integer`);
  return encodeEpc({
    scheme: 'sgtin-96',
    filter: f.filter,
    companyPrefix: f.companyPrefix,
    itemReference: f.itemReference,
    serial,
  });
}
