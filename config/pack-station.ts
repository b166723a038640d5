/**
 * A pack station's settings (a read point in `pack` mode) and the checks across them that the
 * schema alone cannot make.
 */
import { Type as T } from '@sinclair/typebox';
import { Pattern, Strict } from './reader-base.js';

/** A code the packer scans as an instruction: printed text, no control characters. */
const Code = (description: string) =>
  T.String({
    minLength: 1,
    maxLength: 128,
    ...Pattern('^[\\x20-\\x7e]+$', 'not a printable code: use letters, digits, spaces and ASCII punctuation'),
    description,
  });

export const PackSettings = Strict(
  {
    closeCode: Code(
      'The barcode that closes the open case (its exact text; a leading AIM symbology identifier such as ]C0 ' +
        'is ignored). It makes no event.',
    ),
    removeCode: T.Optional(
      Code(
        'The barcode that takes the next unit scanned out: out of the open case, or out of a case closed ' +
          'recently (an AggregationEvent DELETE). It makes no event.',
      ),
    ),
    closeAfterS: T.Integer({
      minimum: 1,
      maximum: 86400,
      default: 300,
      description: 'An open case with no scan at the station for this many seconds closes by itself.',
    }),
    maxChildren: T.Integer({
      minimum: 1,
      maximum: 10000,
      default: 1000,
      description:
        'Units a case holds at most; a unit scanned into a full case is not packed (logged and counted).',
    }),
    keepClosed: T.Integer({
      minimum: 0,
      maximum: 100,
      default: 10,
      description: 'Closed cases of the station a unit can still be removed from (the latest ones).',
    }),
  },
  'The pack station of a read point in pack mode: scan a case or pallet SSCC, then its units; the close ' +
    'code, the next SSCC or closeAfterS closes the case with an EPCIS AggregationEvent.',
);

export const PackMode = T.Literal('pack', {
  description:
    'pack: a pack station (see pack). Units seen here still make their events; the station also packs them.',
});
