/**
 * Transaction barcodes: what a context scanner reads that names a business transaction rather
 * than a unit. GS1 AI 400 (order number), 401 (GINC), 402 (GSIN) and 00 (SSCC) in a GS1 element
 * string, an ASN number matching the read point's pattern, or its clear code. Pure: bytes in,
 * a verdict out; anything else is left to be read as a unit.
 */

import { MAX_TRANSACTION_BARCODE } from '../../../config/context-check.js';
import type { FormatConfig } from '../../../config/schema.js';
import type { BizTransaction } from '../../event/business-context.js';
import { encodeSegment } from '../../identity/digital-link.js';
import { parseElementString } from '../../identity/element-string.js';

/** The read point's context settings that shape what its scanners' barcodes mean. */
export interface TransactionBarcodeRules {
  readonly orderParty?: string;
  readonly asnPattern?: string;
  readonly asnParty?: string;
  readonly clearCode?: string;
  readonly types: {
    readonly order: string;
    readonly ginc: string;
    readonly gsin: string;
    readonly sscc: string;
    readonly asn: string;
  };
}

export type TransactionScan =
  | { readonly kind: 'transaction'; readonly transaction: BizTransaction }
  | { readonly kind: 'clear' };

/** AIM ids of GS1 element strings (GS1-128, DataMatrix, QR, DataBar, DotCode). */
const ELEMENT_STRING_AIMS = new Set([']C1', ']d2', ']Q3', ']e0', ']J1']);

const businessTransactionUrn = (party: string, id: string) =>
  `urn:epcglobal:cbv:bt:${party}:${encodeSegment(id)}`;

export class TransactionBarcodes {
  private readonly asn: RegExp | undefined;

  constructor(
    private readonly rules: TransactionBarcodeRules,
    /** `format.data` of the scanner: whether its reads start with an AIM id. */
    private readonly data: FormatConfig['data'] = 'aim',
  ) {
    this.asn = rules.asnPattern !== undefined ? new RegExp(`^(?:${rules.asnPattern})$`) : undefined;
  }

  /** What `data` says, or undefined when it is no transaction barcode (then it is read as usual). */
  read(data: Buffer): TransactionScan | undefined {
    if (data.length === 0 || data.length > MAX_TRANSACTION_BARCODE) return undefined;
    const raw = data.toString('latin1');
    const aim = raw.length >= 3 && raw.charCodeAt(0) === 0x5d ? raw.slice(0, 3) : undefined;
    const text = aim === undefined ? raw : raw.slice(3);
    if (aim !== undefined ? ELEMENT_STRING_AIMS.has(aim) : this.data === 'gs1') {
      const found = this.fromElementString(text);
      if (found) return found;
    }
    if (this.rules.clearCode !== undefined && text === this.rules.clearCode) return { kind: 'clear' };
    if (this.asn !== undefined && this.rules.asnParty !== undefined && this.asn.test(text))
      return this.transaction(this.rules.types.asn, businessTransactionUrn(this.rules.asnParty, text));
    return undefined;
  }

  private fromElementString(text: string): TransactionScan | undefined {
    const parsed = parseElementString(text);
    if (!parsed.ok) return undefined;
    const value = (ai: string) => parsed.elements.find((e) => e.ai === ai)?.value;
    // A label that names a trade item (AI 01) is a unit, whatever else it carries.
    if (value('01') !== undefined) return undefined;
    const { types } = this.rules;
    const gsin = value('402');
    if (gsin !== undefined) return this.transaction(types.gsin, `https://id.gs1.org/402/${gsin}`);
    const ginc = value('401');
    if (ginc !== undefined)
      return this.transaction(types.ginc, `https://id.gs1.org/401/${encodeSegment(ginc)}`);
    const order = value('400');
    if (order !== undefined && this.rules.orderParty !== undefined)
      return this.transaction(types.order, businessTransactionUrn(this.rules.orderParty, order));
    const sscc = value('00');
    if (sscc !== undefined) return this.transaction(types.sscc, `https://id.gs1.org/00/${sscc}`);
    return undefined;
  }

  private transaction(type: string, bizTransaction: string): TransactionScan {
    return { kind: 'transaction', transaction: { type, bizTransaction } };
  }
}
