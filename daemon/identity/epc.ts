/**
 * EPC binary (GS1 Tag Data Standard 2.x, §14) -> unit identity: SGTIN-96/198, SSCC-96,
 * SGLN-96/195, GRAI-96/170, GIAI-96/202 and GID-96. Other EPC schemes are rejected by name; a
 * header that is not an EPC header (a factory-programmed `E2...`, all zeros) or a PC word whose
 * toggle bit says the memory holds an ISO UII gives a raw identity (`urn:epc:raw:...`), flagged
 * `nonGs1`, which decode.ts publishes or rejects as the reader is set.
 *
 * Exact: every field is checked as the TDS decoding procedure checks it, and a tag that fails is
 * rejected, never guessed at:
 * - partition 7 -> `epc-partition`; a field whose value needs more digits than its partition
 *   allows (a 0-digit field must be 0), an SSCC-96 whose 24 reserved bits are not zero, a 7-bit
 *   string longer than its scheme allows -> `epc-field-overflow`;
 * - 7-bit strings (TDS §14.4.2) end at the first all-zero character; every character before it
 *   must be in GS1 character set 82, every bit after it zero, and the string not empty, else
 *   `epc-bad-character`;
 * - fewer bits than the scheme needs (the data, or the EPC length in the PC word) -> `epc-truncated`;
 *   bits beyond the scheme's length are padding and ignored.
 *
 * Fast: this runs once per tag read. Fields are read with Number arithmetic (exact to 2^53; BigInt
 * only for GIAI-96 asset references over 46 bits), without regexes, and the only allocations are
 * the result's own strings and objects.
 */
import { gs1CheckDigit } from './check-digit.js';
import { encodeSegment } from './digital-link.js';
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
  HEX2,
  OTHER_EPC_SCHEMES,
  type Partition,
  POW2,
  POW10,
  SGLN_TABLE,
  SGTIN_TABLE,
  SSCC_TABLE,
  urnEscape,
} from './epc-tables.js';
import { type DecodeResult, rejected, type UnitIdentity } from './identity.js';

/** Company prefix and item reference bits/digits per SGTIN partition 0-6 (TDS Table 14-2). */
export const SGTIN_PARTITIONS: readonly {
  cpBits: number;
  cpDigits: number;
  irBits: number;
  irDigits: number;
}[] = SGTIN_TABLE.map((p) => ({
  cpBits: p.cpBits,
  cpDigits: p.cpDigits,
  irBits: p.refBits,
  irDigits: p.refDigits,
}));

const DL = 'https://id.gs1.org/';

/**
 * Decodes the EPC bits of a tag (the EPC memory bank from bit 20h, as readers report it). `pc` is
 * the tag's PC word when the reader gives it: its top 5 bits are the EPC length in 16-bit words
 * (data beyond it is ignored) and its toggle bit (0x0100) set means the memory holds an ISO UII
 * with the AFI in its low byte, not an EPC. Never throws.
 */
export function decodeEpc(bytes: Buffer, pc?: number): DecodeResult {
  let avail = bytes.length * 8;
  if (pc !== undefined) {
    const words = (pc >>> 11) & 0x1f;
    if (words * 16 < avail) avail = words * 16;
    if (avail === 0) return rejected('empty', `the PC word 0x${hex16(pc)} gives an EPC of ${words} words`);
    if ((pc & 0x100) !== 0) return raw(bytes, avail, pc & 0xff);
  }
  if (avail === 0) return rejected('empty', 'the tag has no EPC data');
  switch (bytes[0]) {
    case HEADER_SGTIN96:
      return avail < 96 ? truncated('SGTIN-96', 96, bytes, avail, pc) : sgtin96(bytes);
    case HEADER_SGTIN198:
      return avail < 198 ? truncated('SGTIN-198', 198, bytes, avail, pc) : sgtin198(bytes);
    case HEADER_SSCC96:
      return avail < 96 ? truncated('SSCC-96', 96, bytes, avail, pc) : sscc96(bytes);
    case HEADER_SGLN96:
      return avail < 96 ? truncated('SGLN-96', 96, bytes, avail, pc) : sgln(bytes, false);
    case HEADER_SGLN195:
      return avail < 195 ? truncated('SGLN-195', 195, bytes, avail, pc) : sgln(bytes, true);
    case HEADER_GRAI96:
      return avail < 96 ? truncated('GRAI-96', 96, bytes, avail, pc) : grai(bytes, false);
    case HEADER_GRAI170:
      return avail < 170 ? truncated('GRAI-170', 170, bytes, avail, pc) : grai(bytes, true);
    case HEADER_GIAI96:
      return avail < 96 ? truncated('GIAI-96', 96, bytes, avail, pc) : giai(bytes, false);
    case HEADER_GIAI202:
      return avail < 202 ? truncated('GIAI-202', 202, bytes, avail, pc) : giai(bytes, true);
    case HEADER_GID96:
      return avail < 96 ? truncated('GID-96', 96, bytes, avail, pc) : gid96(bytes);
  }
  const other = OTHER_EPC_SCHEMES.get(bytes[0]!);
  if (other !== undefined) {
    return rejected(
      'epc-scheme-unsupported',
      `EPC header 0x${HEX2[bytes[0]!]} is ${other}, an EPC scheme readpoint does not decode: ${hexOf(bytes, avail >> 3)}`,
    );
  }
  return raw(bytes, avail, -1);
}

// ---------------------------------------------------------------------------------------------
// Bits

/** `n` bits (1-46) from bit `off` of `b`, big-endian, as an unsigned integer. */
function rd(b: Buffer, off: number, n: number): number {
  let i = off >> 3;
  let v = b[i]! & (0xff >> (off & 7));
  let have = 8 - (off & 7);
  while (have < n) {
    v = v * 256 + b[++i]!;
    have += 8;
  }
  return have === n ? v : Math.floor(v / POW2[have - n]!);
}

/** `n` bits (any count) from bit `off`, as a BigInt. */
function rdBig(b: Buffer, off: number, n: number): bigint {
  let v = 0n;
  for (let done = 0; done < n; ) {
    const k = Math.min(n - done, 32);
    v = (v << BigInt(k)) | BigInt(rd(b, off + done, k));
    done += k;
  }
  return v;
}

/** True when the `n` bits from bit `off` are all zero. */
function zeroBits(b: Buffer, off: number, n: number): boolean {
  for (let done = 0; done < n; ) {
    const k = Math.min(n - done, 32);
    if (rd(b, off + done, k) !== 0) return false;
    done += k;
  }
  return true;
}

/** The digits of upper-case hex, by value. */
const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');
/** Where hexOf writes its digits: one string is made of them, not one per byte. */
let hexScratch = Buffer.allocUnsafe(64);

/** Upper-case hex of the first `count` bytes of `b`, zero-padded when `b` is shorter. */
function hexOf(b: Buffer, count: number): string {
  if (count * 2 > hexScratch.length) hexScratch = Buffer.allocUnsafe(count * 2);
  const out = hexScratch;
  const n = Math.min(count, b.length);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = b[i]!;
    out[j++] = HEX_DIGITS[v >> 4]!;
    out[j++] = HEX_DIGITS[v & 15]!;
  }
  for (let i = n; i < count; i++) {
    out[j++] = 0x30;
    out[j++] = 0x30;
  }
  return out.toString('latin1', 0, j);
}

/** The EPC as the reader reports it: the scheme's bits rounded up to whole 16-bit words. */
const epcHex = (b: Buffer, bits: number) => hexOf(b, ((bits + 15) >> 4) * 2);

const hex16 = (pc: number) => HEX2[(pc >>> 8) & 0xff]! + HEX2[pc & 0xff]!;

/** A number as exactly `digits` decimal digits ('' for 0 digits; the caller checked it fits). */
const digitsOf = (v: number, digits: number): string => (digits === 0 ? '' : String(v).padStart(digits, '0'));

// ---------------------------------------------------------------------------------------------
// Rejects

function truncated(
  scheme: string,
  need: number,
  b: Buffer,
  avail: number,
  pc: number | undefined,
): DecodeResult {
  const limit =
    pc !== undefined && avail < b.length * 8 ? ` (PC word 0x${hex16(pc)}: ${avail >> 4} words)` : '';
  return rejected(
    'epc-truncated',
    `${scheme} needs ${need} bits, got ${avail}${limit}: ${hexOf(b, Math.ceil(avail / 8))}`,
  );
}

const badPartition = (scheme: string, b: Buffer, bits: number) =>
  rejected('epc-partition', `${scheme} partition 7 is undefined: ${epcHex(b, bits)}`);

function overflow(
  scheme: string,
  field: string,
  value: number | bigint,
  digits: number,
  p: number,
  b: Buffer,
  bits: number,
) {
  return rejected(
    'epc-field-overflow',
    `${scheme} ${field} ${value} does not fit the ${digits} digits partition ${p} gives it: ${epcHex(b, bits)}`,
  );
}

/**
 * Company prefix (`cp`) and second field (`ref`) of a partitioned scheme, read from bit 14, or a
 * reject. Results go to module scratch variables: no allocation on the hot path.
 */
let cp = 0;
let ref = 0;
function partitioned(scheme: string, table: readonly Partition[], refName: string, b: Buffer, bits: number) {
  const p = (b[1]! >> 2) & 7;
  const row = table[p];
  if (row === undefined) return badPartition(scheme, b, bits);
  cp = rd(b, 14, row.cpBits);
  if (cp >= POW10[row.cpDigits]!) return overflow(scheme, 'company prefix', cp, row.cpDigits, p, b, bits);
  ref = rd(b, 14 + row.cpBits, row.refBits);
  if (ref >= POW10[row.refDigits]!) return overflow(scheme, refName, ref, row.refDigits, p, b, bits);
  return row;
}

/**
 * A 7-bit string of at most `max` characters in the `n` bits from bit `off` (TDS §14.4.2), or a
 * reject: characters up to the first all-zero one, each in GS1 character set 82, then only zero bits.
 */
function string7(
  scheme: string,
  field: string,
  b: Buffer,
  off: number,
  n: number,
  max: number,
  bits: number,
): string | DecodeResult {
  let s = '';
  let i = 0;
  for (; i * 7 + 7 <= n; i++) {
    const c = rd(b, off + i * 7, 7);
    if (c === 0) break;
    if (i === max) {
      return rejected(
        'epc-field-overflow',
        `${scheme} ${field} is longer than ${max} characters: ${epcHex(b, bits)}`,
      );
    }
    if (CSET82[c] !== 1) {
      return rejected(
        'epc-bad-character',
        `${scheme} ${field}: character 0x${HEX2[c]} at position ${i + 1} is not in GS1 character set 82: ${epcHex(b, bits)}`,
      );
    }
    s += String.fromCharCode(c);
  }
  if (i === 0) return rejected('epc-bad-character', `${scheme} ${field} is empty: ${epcHex(b, bits)}`);
  const end = i * 7 + 7 <= n ? i * 7 + 7 : i * 7;
  if (!zeroBits(b, off + end, n - end)) {
    return rejected(
      'epc-bad-character',
      `${scheme} ${field}: bits after its terminating zero character are not zero: ${epcHex(b, bits)}`,
    );
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Schemes

function sgtin96(b: Buffer): DecodeResult {
  const w0 = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const w1 = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0;
  const w2 = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0;
  const p = (w0 >>> 18) & 7;
  const row = SGTIN_TABLE[p];
  if (row === undefined) return badPartition('SGTIN-96', b, 96);
  // Company prefix + item reference: 44 bits from bit 14 (18 in w0, 26 in w1); serial: 38 bits.
  const both = (w0 & 0x3ffff) * 67108864 + (w1 >>> 6);
  const unit = POW2[row.refBits]!;
  const c = Math.floor(both / unit);
  const r = both - c * unit;
  if (c >= POW10[row.cpDigits]!) return overflow('SGTIN-96', 'company prefix', c, row.cpDigits, p, b, 96);
  if (r >= POW10[row.refDigits]!) return overflow('SGTIN-96', 'item reference', r, row.refDigits, p, b, 96);
  const serial = String((w1 & 0x3f) * 4294967296 + w2);
  return sgtinIdentity(
    'sgtin-96',
    (w0 >>> 21) & 7,
    digitsOf(c, row.cpDigits),
    digitsOf(r, row.refDigits),
    serial,
    serial,
    serial,
    epcHex(b, 96),
  );
}

function sgtin198(b: Buffer): DecodeResult {
  const row = partitioned('SGTIN-198', SGTIN_TABLE, 'item reference', b, 198);
  if (!('cpBits' in row)) return row;
  const cpText = digitsOf(cp, row.cpDigits);
  const irText = digitsOf(ref, row.refDigits);
  const serial = string7('SGTIN-198', 'serial', b, 58, 140, 20, 198);
  if (typeof serial !== 'string') return serial;
  return sgtinIdentity(
    'sgtin-198',
    (b[1]! >> 5) & 7,
    cpText,
    irText,
    serial,
    urnEscape(serial),
    encodeSegment(serial),
    epcHex(b, 198),
  );
}

function sgtinIdentity(
  tag: string,
  filter: number,
  cpText: string,
  irText: string,
  serial: string,
  serialUrn: string,
  serialDl: string,
  hex: string,
): DecodeResult {
  const gtin13 = irText[0] + cpText + irText.slice(1);
  const gtin = gtin13 + gs1CheckDigit(gtin13);
  const key = `${cpText}.${irText}.${serialUrn}`;
  return {
    ok: true,
    identity: {
      source: 'epc',
      scheme: 'sgtin',
      uri: `urn:epc:id:sgtin:${key}`,
      digitalLink: `${DL}01/${gtin}/21/${serialDl}`,
      gtin,
      serial,
      ais: [
        { ai: '01', value: gtin },
        { ai: '21', value: serial },
      ],
      epc: { hex, scheme: tag, tagUri: `urn:epc:tag:${tag}:${filter}.${key}`, filter },
    },
  };
}

function sscc96(b: Buffer): DecodeResult {
  const row = partitioned('SSCC-96', SSCC_TABLE, 'serial reference', b, 96);
  if (!('cpBits' in row)) return row;
  if (!zeroBits(b, 72, 24)) {
    return rejected('epc-field-overflow', `SSCC-96 reserved bits 72-95 are not zero: ${epcHex(b, 96)}`);
  }
  const cpText = digitsOf(cp, row.cpDigits);
  const srText = digitsOf(ref, row.refDigits);
  const sscc17 = srText[0] + cpText + srText.slice(1);
  const sscc = sscc17 + gs1CheckDigit(sscc17);
  const key = `${cpText}.${srText}`;
  const filter = (b[1]! >> 5) & 7;
  return ok({
    source: 'epc',
    scheme: 'sscc',
    uri: `urn:epc:id:sscc:${key}`,
    digitalLink: `${DL}00/${sscc}`,
    sscc,
    ais: [{ ai: '00', value: sscc }],
    epc: { hex: epcHex(b, 96), scheme: 'sscc-96', tagUri: `urn:epc:tag:sscc-96:${filter}.${key}`, filter },
  });
}

/**
 * SGLN: the extension is an integer (SGLN-96) or a 7-bit string (SGLN-195). An extension of `0`
 * is the SGLN of a GLN without extension (TDS §7.4: no AI 254), so no glnExtension and no /254.
 */
function sgln(b: Buffer, long: boolean): DecodeResult {
  const scheme = long ? 'SGLN-195' : 'SGLN-96';
  const bits = long ? 195 : 96;
  const row = partitioned(scheme, SGLN_TABLE, 'location reference', b, bits);
  if (!('cpBits' in row)) return row;
  const cpText = digitsOf(cp, row.cpDigits);
  const lrText = digitsOf(ref, row.refDigits);
  let ext: string;
  if (long) {
    const s = string7(scheme, 'extension', b, 55, 140, 20, bits);
    if (typeof s !== 'string') return s;
    ext = s;
  } else {
    ext = String(rd(b, 55, 41));
  }
  const gln12 = cpText + lrText;
  const gln = gln12 + gs1CheckDigit(gln12);
  const key = `${cpText}.${lrText}.${urnEscape(ext)}`;
  const filter = (b[1]! >> 5) & 7;
  const tag = long ? 'sgln-195' : 'sgln-96';
  const epc = { hex: epcHex(b, bits), scheme: tag, tagUri: `urn:epc:tag:${tag}:${filter}.${key}`, filter };
  const uri = `urn:epc:id:sgln:${key}`;
  if (ext === '0') {
    return ok({
      source: 'epc',
      scheme: 'sgln',
      uri,
      digitalLink: `${DL}414/${gln}`,
      gln,
      ais: [{ ai: '414', value: gln }],
      epc,
    });
  }
  return ok({
    source: 'epc',
    scheme: 'sgln',
    uri,
    digitalLink: `${DL}414/${gln}/254/${encodeSegment(ext)}`,
    gln,
    glnExtension: ext,
    ais: [
      { ai: '414', value: gln },
      { ai: '254', value: ext },
    ],
    epc,
  });
}

/** GRAI: serial an integer (GRAI-96) or a 7-bit string (GRAI-170); AI 8003 = "0" + 13 digits + serial. */
function grai(b: Buffer, long: boolean): DecodeResult {
  const scheme = long ? 'GRAI-170' : 'GRAI-96';
  const bits = long ? 170 : 96;
  const row = partitioned(scheme, GRAI_TABLE, 'asset type', b, bits);
  if (!('cpBits' in row)) return row;
  const cpText = digitsOf(cp, row.cpDigits);
  const atText = digitsOf(ref, row.refDigits);
  let serial: string;
  if (long) {
    const s = string7(scheme, 'serial', b, 58, 112, 16, bits);
    if (typeof s !== 'string') return s;
    serial = s;
  } else {
    serial = String(rd(b, 58, 38));
  }
  const grai12 = cpText + atText;
  const graiKey = `0${grai12}${gs1CheckDigit(grai12)}`;
  const value = graiKey + serial;
  const key = `${cpText}.${atText}.${urnEscape(serial)}`;
  const filter = (b[1]! >> 5) & 7;
  const tag = long ? 'grai-170' : 'grai-96';
  return ok({
    source: 'epc',
    scheme: 'grai',
    uri: `urn:epc:id:grai:${key}`,
    digitalLink: `${DL}8003/${graiKey}${encodeSegment(serial)}`,
    grai: graiKey,
    serial,
    ais: [{ ai: '8003', value }],
    epc: { hex: epcHex(b, bits), scheme: tag, tagUri: `urn:epc:tag:${tag}:${filter}.${key}`, filter },
  });
}

/** GIAI: asset reference an integer (GIAI-96) or a 7-bit string (GIAI-202); AI 8004 = prefix + reference. */
function giai(b: Buffer, long: boolean): DecodeResult {
  const scheme = long ? 'GIAI-202' : 'GIAI-96';
  const bits = long ? 202 : 96;
  const p = (b[1]! >> 2) & 7;
  const row = (long ? GIAI202_TABLE : GIAI96_TABLE)[p];
  if (row === undefined) return badPartition(scheme, b, bits);
  const c = rd(b, 14, row.cpBits);
  if (c >= POW10[row.cpDigits]!) return overflow(scheme, 'company prefix', c, row.cpDigits, p, b, bits);
  const cpText = String(c).padStart(row.cpDigits, '0');
  let asset: string;
  if (long) {
    const s = string7(scheme, 'asset reference', b, 14 + row.cpBits, row.refBits, row.refDigits, bits);
    if (typeof s !== 'string') return s;
    asset = s;
  } else if (row.refBits <= 46) {
    asset = String(rd(b, 14 + row.cpBits, row.refBits));
  } else {
    asset = String(rdBig(b, 14 + row.cpBits, row.refBits));
  }
  // An integer reference never needs more digits than its partition gives (2^bits < 10^digits).
  const giaiValue = cpText + asset;
  const key = `${cpText}.${urnEscape(asset)}`;
  const filter = (b[1]! >> 5) & 7;
  const tag = long ? 'giai-202' : 'giai-96';
  return ok({
    source: 'epc',
    scheme: 'giai',
    uri: `urn:epc:id:giai:${key}`,
    digitalLink: `${DL}8004/${cpText}${encodeSegment(asset)}`,
    giai: giaiValue,
    ais: [{ ai: '8004', value: giaiValue }],
    epc: { hex: epcHex(b, bits), scheme: tag, tagUri: `urn:epc:tag:${tag}:${filter}.${key}`, filter },
  });
}

/** GID-96: general manager (28 bits), object class (24), serial (36); no filter, no GS1 key. */
function gid96(b: Buffer): DecodeResult {
  const key = `${rd(b, 8, 28)}.${rd(b, 36, 24)}.${rd(b, 60, 36)}`;
  return ok({
    source: 'epc',
    scheme: 'gid',
    uri: `urn:epc:id:gid:${key}`,
    epc: { hex: epcHex(b, 96), scheme: 'gid-96', tagUri: `urn:epc:tag:gid-96:${key}` },
  });
}

/**
 * Not an EPC: the raw URI of TDS §12.3 with the length in bits and the bits in hex, and the AFI
 * when the PC word's toggle bit says the memory holds an ISO UII (`urn:epc:raw:96.xC1.x...`).
 */
function raw(b: Buffer, avail: number, afi: number): DecodeResult {
  const hex = hexOf(b, avail >> 3);
  const afiPart = afi < 0 ? '' : `x${HEX2[afi]}.`;
  return ok({
    source: 'epc',
    scheme: 'raw',
    uri: `urn:epc:raw:${avail}.${afiPart}x${hex}`,
    epc: { hex, scheme: 'raw', nonGs1: true },
  });
}

const ok = (identity: UnitIdentity): DecodeResult => ({ ok: true, identity });
