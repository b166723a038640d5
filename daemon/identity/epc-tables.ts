/**
 * Facts of the GS1 EPC Tag Data Standard (TDS 2.x) shared by the EPC decoder (epc.ts) and encoder
 * (epc-encode.ts): the partition tables, the binary headers, GS1 character set 82 and the
 * %-escaping of the EPC URIs (TDS §5 grammar). Digital Link segments use digital-link.ts.
 */

/** One row of a partition table: company prefix bits/digits and the second field's bits/digits. */
export interface Partition {
  readonly cpBits: number;
  readonly cpDigits: number;
  /** Bits of the field after the company prefix (item ref, serial ref, location ref, ...). */
  readonly refBits: number;
  /** Its digits (numeric fields) or its maximum characters (GIAI-202's 7-bit asset reference). */
  readonly refDigits: number;
}

const CP_BITS = [40, 37, 34, 30, 27, 24, 20] as const;

const rows = (refBits: readonly number[], digits: number): readonly Partition[] =>
  CP_BITS.map((cpBits, p) => ({
    cpBits,
    cpDigits: 12 - p,
    refBits: refBits[p]!,
    refDigits: digits - (12 - p),
  }));

/** TDS Table 14-2: SGTIN (indicator + item reference: 13 - prefix digits). */
export const SGTIN_TABLE = rows([4, 7, 10, 14, 17, 20, 24], 13);
/** TDS Table 14-5: SSCC (extension digit + serial reference: 17 - prefix digits). */
export const SSCC_TABLE = rows([18, 21, 24, 28, 31, 34, 38], 17);
/** TDS Table 14-8: SGLN (location reference: 12 - prefix digits; 0 digits in partition 0). */
export const SGLN_TABLE = rows([1, 4, 7, 11, 14, 17, 21], 12);
/** TDS Table 14-11: GRAI (asset type: 12 - prefix digits; 0 digits in partition 0). */
export const GRAI_TABLE = rows([4, 7, 10, 14, 17, 20, 24], 12);
/** TDS Table 14-14: GIAI-96 (integer asset reference: up to 25 - prefix digits). */
export const GIAI96_TABLE = rows([42, 45, 48, 52, 55, 58, 62], 25);
/** TDS Table 14-15: GIAI-202 (7-bit asset reference: up to 30 - prefix characters). */
export const GIAI202_TABLE = rows([148, 151, 154, 158, 161, 164, 168], 30);

/** EPC binary schemes readpoint decodes, by header byte. */
export const HEADER_SGTIN96 = 0x30;
export const HEADER_SSCC96 = 0x31;
export const HEADER_SGLN96 = 0x32;
export const HEADER_GRAI96 = 0x33;
export const HEADER_GIAI96 = 0x34;
export const HEADER_GID96 = 0x35;
export const HEADER_SGTIN198 = 0x36;
export const HEADER_GRAI170 = 0x37;
export const HEADER_GIAI202 = 0x38;
export const HEADER_SGLN195 = 0x39;

/** The bits of each scheme readpoint decodes, by header byte. */
export const EPC_BITS: ReadonlyMap<number, number> = new Map([
  [HEADER_SGTIN96, 96],
  [HEADER_SSCC96, 96],
  [HEADER_SGLN96, 96],
  [HEADER_GRAI96, 96],
  [HEADER_GIAI96, 96],
  [HEADER_GID96, 96],
  [HEADER_SGTIN198, 198],
  [HEADER_GRAI170, 170],
  [HEADER_GIAI202, 202],
  [HEADER_SGLN195, 195],
]);

/** Other headers the TDS assigns (TDS 2.x Table 14-1): decoded no further than their name. */
export const OTHER_EPC_SCHEMES: ReadonlyMap<number, string> = new Map([
  [0x2c, 'GDTI-96'],
  [0x2d, 'GSRN-96'],
  [0x2e, 'GSRNP-96'],
  [0x2f, 'USDOD-96'],
  [0x3a, 'GDTI-113'],
  [0x3b, 'ADI-var'],
  [0x3c, 'CPI-96'],
  [0x3d, 'CPI-var'],
  [0x3e, 'GDTI-174'],
  [0x3f, 'SGCN-96'],
  [0x40, 'ITIP-110'],
  [0x41, 'ITIP-212'],
  [0xe6, 'CPI++'],
  [0xe7, 'GSRN++'],
  [0xe8, 'GSRNP++'],
  [0xe9, 'SGLN++'],
  [0xea, 'GDTI++'],
  [0xeb, 'GRAI++'],
  [0xec, 'SGCN++'],
  [0xed, 'ITIP++'],
  [0xee, 'GIAI++'],
  [0xef, 'SSCC++'],
  [0xf0, 'CPI+'],
  [0xf1, 'GRAI+'],
  [0xf2, 'SGLN+'],
  [0xf3, 'ITIP+'],
  [0xf4, 'GSRN+'],
  [0xf5, 'GSRNP+'],
  [0xf6, 'GDTI+'],
  [0xf7, 'SGTIN+'],
  [0xf8, 'SGCN+'],
  [0xf9, 'SSCC+'],
  [0xfa, 'GIAI+'],
  [0xfb, 'DSGTIN+'],
  [0xfc, 'DSGTIN++'],
  [0xfd, 'SGTIN++'],
]);

/** 1 for the 82 characters of GS1 character set 82 (TDS Table A-1), by 7-bit code. */
export const CSET82 = new Uint8Array(128);
for (let c = 0x21; c <= 0x7a; c++) {
  CSET82[c] =
    (c >= 0x21 && c <= 0x22) ||
    (c >= 0x25 && c <= 0x3f) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x5f ||
    c >= 0x61
      ? 1
      : 0;
}

/** Upper-case two-digit hex of each byte value. */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).toUpperCase().padStart(2, '0'),
);

/** 2^n for n = 0..64, as exact doubles. */
export const POW2: readonly number[] = Array.from({ length: 65 }, (_, n) => 2 ** n);
/** 10^n for n = 0..15, exact. */
export const POW10: readonly number[] = Array.from({ length: 16 }, (_, n) => 10 ** n);

/** Characters a URN component escapes (TDS §5: `" % & / < > ?`), by code; 0 = written as is. */
const URN_ESCAPES = new Uint8Array(128);
for (const c of '"%&/<>?') URN_ESCAPES[c.charCodeAt(0)] = 1;

/** A GS1 character set 82 value as an EPC URI component: `" % & / < > ?` become %XX. */
export function urnEscape(s: string): string {
  let i = 0;
  while (i < s.length && URN_ESCAPES[s.charCodeAt(i)] !== 1) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += URN_ESCAPES[c] === 1 ? `%${HEX2[c]}` : s[i];
  }
  return out;
}
