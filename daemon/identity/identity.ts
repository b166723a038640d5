/**
 * The identity seam: one raw read -> one normalized unit identity, or a reject with a reason.
 *
 * Contract (checked by test/daemon/identity/*.test.ts):
 * - Pure and synchronous: no I/O, no global state; the clock is read only for the century of a
 *   two-digit year (GS1's sliding window). The same input and format always
 *   give the same result, and no input of any bytes ever throws.
 * - Never invents an identity: a wrong check digit, an unknown AI, a truncated EPC, a date that
 *   does not exist are rejects with a stable machine-readable `code` and a human `message`.
 * - The identity has the same shape whatever its source (barcode element string, EPC binary,
 *   plain-serial pattern), in events and in `readpoint decode` output alike.
 */

import type { FormatConfig } from '../../config/schema.js';
import type { ReadKind } from '../../drivers/driver.js';

export type ReaderFormat = FormatConfig;

/** Where an identity came from. */
export type IdentitySource = 'gs1-element-string' | 'epc' | 'plain-serial';

export interface UnitIdentity {
  readonly source: IdentitySource;
  /**
   * The URI that names this unit in `epcList`: an EPC pure-identity URI for tags
   * (`urn:epc:id:sgtin:0614141.812345.6789`), the canonical GS1 Digital Link URI for barcodes
   * (`https://id.gs1.org/01/09506000134352/21/ABC123`; the company prefix length needed for an
   * EPC URN is not in the barcode), or the plain-serial pattern's URI.
   */
  readonly uri: string;
  /** Canonical GS1 Digital Link URI, when the unit has a GS1 key. */
  readonly digitalLink?: string;
  /** AIM symbology identifier the read carried, e.g. `]d2`. */
  readonly aim?: string;
  readonly gtin?: string;
  readonly sscc?: string;
  readonly serial?: string;
  readonly lot?: string;
  /** Expiry date (AI 17) as YYYY-MM-DD; a day of 00 means the last day of the month. */
  readonly expiry?: string;
  /** Every (AI, value) pair of an element string, in the order read. */
  readonly ais?: ReadonlyArray<{ readonly ai: string; readonly value: string }>;
  /** EPC details, for tags. */
  readonly epc?: {
    readonly hex: string;
    readonly scheme: string;
    readonly tagUri: string;
    readonly filter: number;
  };
}

export interface DecodeReject {
  /** Stable machine-readable code, e.g. `check-digit`, `unknown-ai`, `epc-truncated`. */
  readonly code: string;
  readonly message: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly identity: UnitIdentity }
  | { readonly ok: false; readonly reject: DecodeReject };

/** Input to the decoder: what a driver framed. */
export interface DecodeInput {
  readonly kind: ReadKind;
  readonly data: Buffer;
}
