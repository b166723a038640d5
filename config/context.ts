/**
 * A read point's transaction context (`readPoints[].context`): the shipment, receipt or order a
 * dock door is working on, which its events then carry. Set upstream, by the CLI or by a context
 * scanner reading a transaction barcode.
 */
import { Type as T } from '@sinclair/typebox';
import { Pattern, Segment, Strict } from './reader-base.js';

const Gln = (description: string) =>
  T.String({ ...Pattern('^[0-9]{13}$', 'not a GLN: 13 digits'), description });

const TxType = (fallback: string, description: string) =>
  T.String({
    ...Pattern(
      '^(bol|cert|desadv|inv|pedigree|po|poc|prodorder|recadv|rma|testprd|testres|upevt|[A-Za-z][A-Za-z0-9+.-]*:[^\\s]+)$',
      'not a CBV business transaction type or URI: use a CBV type (bol, cert, desadv, inv, pedigree, po, poc, ' +
        'prodorder, recadv, rma, testprd, testres, upevt) or your own URI',
    ),
    default: fallback,
    description,
  });

export const ReadPointContext = Strict(
  {
    scanners: T.Array(Segment('A reader id.'), {
      default: [],
      maxItems: 32,
      uniqueItems: true,
      description:
        "Context scanners: readers whose transaction barcodes set this read point's context (GS1 AI 400 " +
        'order number, 401 GINC, 402 GSIN, 00 SSCC; an ASN by asnPattern). Their other barcodes are read ' +
        'as usual. A scanned transaction replaces the context.',
    }),
    orderParty: T.Optional(
      Gln(
        'GLN of the party whose order numbers (AI 400) the scanners read; the order becomes ' +
          'urn:epcglobal:cbv:bt:<GLN>:<order>. Without it, AI 400 barcodes are not taken.',
      ),
    ),
    asnPattern: T.Optional(
      T.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Regular expression over the whole barcode text (anchored) of an ASN (despatch advice) number, ' +
          'e.g. "ASN[0-9]{8}"; the ASN becomes urn:epcglobal:cbv:bt:<asnParty>:<text>.',
      }),
    ),
    asnParty: T.Optional(Gln('GLN of the party that issues the ASN numbers; needed with asnPattern.')),
    clearCode: T.Optional(
      T.String({
        minLength: 1,
        maxLength: 64,
        description:
          "Text of a barcode that clears this read point's context when a context scanner reads it.",
      }),
    ),
    expiryS: T.Optional(
      T.Integer({
        minimum: 1,
        maximum: 2678400,
        description:
          'A scanned context ends this many seconds after it was scanned (default: when it is cleared or ' +
          'replaced). Contexts set upstream or by the CLI give their own expiry.',
      }),
    ),
    types: Strict(
      {
        order: TxType('po', 'Business transaction type of a scanned order number (AI 400).'),
        ginc: TxType('bol', 'Business transaction type of a scanned GINC (AI 401).'),
        gsin: TxType('desadv', 'Business transaction type of a scanned GSIN (AI 402).'),
        sscc: TxType('desadv', 'Business transaction type of a scanned SSCC (AI 00).'),
        asn: TxType('desadv', 'Business transaction type of a scanned ASN number.'),
      },
      'CBV business transaction types of scanned transaction barcodes.',
      {},
    ),
  },
  "This read point keeps a transaction context: while one is active, its events carry the context's " +
    'bizTransactionList (and sourceList / destinationList), and each change is published on ' +
    'context-changes/<readPoint>.',
);
