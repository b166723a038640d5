/**
 * The identity seam: one raw read -> one normalized unit identity, or a reject with a reason.
 *
 * Contract (checked by test/daemon/identity/*.test.ts):
 * - Pure and synchronous: no I/O, no global state; the clock is read only for the century of a
 *   two-digit year (GS1's sliding window). The same input and format always give the same
 *   result, and no input of any bytes ever throws.
 * - Never invents an identity: a wrong check digit, an unknown AI, a truncated EPC, a date that
 *   does not exist are rejects with a stable machine-readable `code` (one of `RejectCode`) and a
 *   human `message` that names the offending part.
 * - The identity has the same shape whatever its source (barcode element string, Digital Link
 *   URI, EPC binary, plain-serial pattern), in events and in `readpoint decode` output alike.
 *   Every GS1 identity carries its canonical Digital Link URI and its data as (AI, value) pairs.
 */

import type { FormatConfig } from '../../config/schema.js';
import type { ReadKind } from '../../drivers/driver.js';

export type ReaderFormat = FormatConfig;

/** Where an identity came from. */
export type IdentitySource = 'gs1-element-string' | 'gs1-digital-link' | 'epc' | 'plain-serial';

/**
 * What kind of key names the unit: the EPC scheme of its pure-identity URI (`sgtin` = GTIN +
 * serial, `sscc`, `sgln` = GLN + extension, `grai`, `giai`, `gdti`, `gsrn`, `gsrnp`, `sgcn`,
 * `cpi`, `itip`, `gid`), `tpx` for a GTIN + third-party serial (AI 235, which has no EPC
 * scheme: its Digital Link URI names it), `plain` for a plain-serial pattern, `raw` for a tag
 * whose EPC is not a GS1 EPC.
 */
export type IdentityScheme =
  | 'sgtin'
  | 'tpx'
  | 'sscc'
  | 'sgln'
  | 'grai'
  | 'giai'
  | 'gdti'
  | 'gsrn'
  | 'gsrnp'
  | 'sgcn'
  | 'cpi'
  | 'itip'
  | 'gid'
  | 'plain'
  | 'raw';

/** One GS1 Application Identifier and its value, as in an element string. */
export interface AiValue {
  readonly ai: string;
  readonly value: string;
}

export interface UnitIdentity {
  readonly source: IdentitySource;
  readonly scheme: IdentityScheme;
  /**
   * The URI that names this unit in `epcList`: the EPC pure-identity URI for tags
   * (`urn:epc:id:sgtin:0614141.812345.6789`), the canonical GS1 Digital Link URI of the key and
   * its serial for barcodes and Digital Link URIs (`https://id.gs1.org/01/09506000134352/21/ABC`;
   * a barcode does not say how long the company prefix is, which an EPC URN needs), the
   * plain-serial pattern's URI, or `urn:epc:raw:<bits>.x<HEX>` for a non-GS1 tag.
   */
  readonly uri: string;
  /** Canonical GS1 Digital Link URI (key, qualifiers in the path, attributes in the query). */
  readonly digitalLink?: string;
  /** AIM symbology identifier the read carried, e.g. `]d2`. */
  readonly aim?: string;
  /** GTIN-14 (sgtin; also the trade item of an itip as its first 14 digits). */
  readonly gtin?: string;
  /** Serial number or serial component of the key (sgtin 21, tpx 235, grai/gdti/sgcn/cpi serial part). */
  readonly serial?: string;
  readonly sscc?: string;
  /** GLN (sgln: 414) and its extension (254). */
  readonly gln?: string;
  readonly glnExtension?: string;
  /** GRAI without its serial: "0" + 13 digits (AI 8003's first 14 digits). */
  readonly grai?: string;
  readonly giai?: string;
  /** The key's value for the other schemes (gdti 253 without serial, gsrn 8018, ...). */
  readonly key?: string;
  readonly lot?: string;
  /** Expiry date (AI 17) as YYYY-MM-DD; a day of 00 means the last day of the month. */
  readonly expiry?: string;
  /** Every (AI, value) pair, in the order read (for tags: the AIs equivalent to the EPC). */
  readonly ais?: readonly AiValue[];
  /** EPC details, for tags. */
  readonly epc?: {
    /** The EPC bits as upper-case hex, without padding words beyond the scheme's length. */
    readonly hex: string;
    /** The binary scheme, e.g. `sgtin-96`; `raw` when not a GS1 EPC. */
    readonly scheme: string;
    /** Tag URI with filter, e.g. `urn:epc:tag:sgtin-96:3.0614141.812345.6789` (absent for raw). */
    readonly tagUri?: string;
    readonly filter?: number;
    /** True for an EPC that is not a GS1 EPC (e.g. a factory-programmed `E2...`), kept as hex. */
    readonly nonGs1?: true;
  };
}

/**
 * Stable reject codes (docs/identities.md lists them with their meaning). Element strings and Digital
 * Link URIs name the offending AI in the message; EPCs name the scheme and the field.
 */
export const REJECT_CODES = [
  // the whole read
  'empty',
  'overlong',
  'non-printable',
  'not-text',
  'no-aim-id',
  'unrecognised',
  'pattern-uri',
  'not-serialized',
  'no-unit-key',
  // element strings (and the values of Digital Link URIs)
  'gs-at-start',
  'empty-element',
  'unknown-ai',
  'too-short',
  'too-long',
  'not-numeric',
  'bad-character',
  'check-digit',
  'bad-date',
  'bad-time',
  'bad-value',
  'duplicate-ai',
  'ai-missing',
  'ai-conflict',
  'bad-length',
  // Digital Link URIs
  'dl-syntax',
  'dl-path',
  'dl-qualifier-order',
  'dl-percent',
  // EPC binary
  'epc-hex',
  'epc-truncated',
  'epc-partition',
  'epc-field-overflow',
  'epc-bad-character',
  'epc-scheme-unsupported',
  'epc-not-gs1',
] as const;

export type RejectCode = (typeof REJECT_CODES)[number];

export interface DecodeReject {
  readonly code: RejectCode;
  readonly message: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly identity: UnitIdentity }
  | { readonly ok: false; readonly reject: DecodeReject };

/** Input to the decoder: what a driver framed. */
export interface DecodeInput {
  readonly kind: ReadKind;
  readonly data: Buffer;
  /**
   * The tag's PC word when the reader reports it: its top 5 bits give the EPC length in 16-bit
   * words, so bits beyond that length are ignored and a shorter EPC than the scheme needs is
   * rejected as truncated.
   */
  readonly pc?: number;
}

export const rejected = (code: RejectCode, message: string): DecodeResult => ({
  ok: false,
  reject: { code, message },
});
