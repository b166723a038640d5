/**
 * What a read point's active transaction context adds to its events: the EPCIS 2.0
 * `bizTransactionList`, `sourceList` and `destinationList` (JSON-LD binding). Types are the CBV
 * words (`po`, `desadv`, `owning_party`, ...) or a URI of one's own; identifiers are URIs.
 */

/** One business transaction, e.g. `{ type: 'desadv', bizTransaction: 'urn:epcglobal:cbv:bt:...' }`. */
export interface BizTransaction {
  readonly type?: string;
  readonly bizTransaction: string;
}

export interface EventSource {
  readonly type: string;
  readonly source: string;
}

export interface EventDestination {
  readonly type: string;
  readonly destination: string;
}

/**
 * The lists an event carries while a context is active at its read point; a list left out (or
 * empty) is not written. One value is shared by every event of the context, so treat it as
 * immutable.
 */
export interface BusinessContext {
  readonly bizTransactionList?: readonly BizTransaction[];
  readonly sourceList?: readonly EventSource[];
  readonly destinationList?: readonly EventDestination[];
}

/** The event fields of `context`, in the order the event writes them (epcis.ts). */
export function businessFields(context: BusinessContext): {
  bizTransactionList?: BizTransaction[];
  sourceList?: EventSource[];
  destinationList?: EventDestination[];
} {
  const out: ReturnType<typeof businessFields> = {};
  if (context.bizTransactionList?.length)
    out.bizTransactionList = context.bizTransactionList.map((t) =>
      t.type === undefined
        ? { bizTransaction: t.bizTransaction }
        : { type: t.type, bizTransaction: t.bizTransaction },
    );
  if (context.sourceList?.length)
    out.sourceList = context.sourceList.map((s) => ({ type: s.type, source: s.source }));
  if (context.destinationList?.length)
    out.destinationList = context.destinationList.map((d) => ({ type: d.type, destination: d.destination }));
  return out;
}

/** Each context's fields as JSON text (`,"bizTransactionList":[...]...`), written once per context. */
const texts = new WeakMap<BusinessContext, string>();

/** `,"bizTransactionList":...` of `context` as JSON.stringify writes it inside the event. */
export function businessText(context: BusinessContext): string {
  let text = texts.get(context);
  if (text === undefined) {
    const fields = JSON.stringify(businessFields(context));
    text = fields === '{}' ? '' : `,${fields.slice(1, -1)}`;
    texts.set(context, text);
  }
  return text;
}
