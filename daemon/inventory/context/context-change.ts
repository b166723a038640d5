/**
 * The active context of a read point, and the message that tells upstream it changed
 * (`<base>/context-changes/<readPoint>`, schema: daemon/contract/context-change.schema.json).
 *
 * A change is a plain message, not an EPCIS event: it concerns no object (EPCIS events say what
 * happened to objects; a TransactionEvent with no object would claim an association that never
 * happened). The objects are tied to the transaction by the events seen while it is active, each
 * carrying its bizTransactionList.
 */
import type { BusinessContext } from '../../event/business-context.js';

/** Who set or cleared a context; `expiry` when its time ran out. */
export type ContextSetter = 'scan' | 'upstream' | 'cli';

/** A read point's context while active: what events carry, and where it came from. */
export interface ActiveContext extends BusinessContext {
  readonly by: ContextSetter;
  /** Wall-clock ms it was set at. */
  readonly since: number;
  /** Wall-clock ms it ends at; absent: until changed. */
  readonly expiresAt?: number;
  /** The context scanner that read it (by scan). */
  readonly reader?: string;
  /** The upstream message's version (by upstream). */
  readonly version?: number;
}

/** A context as the change message, `readpoint context show` and the store write it. */
export interface ContextView {
  readonly bizTransactionList?: BusinessContext['bizTransactionList'];
  readonly sourceList?: BusinessContext['sourceList'];
  readonly destinationList?: BusinessContext['destinationList'];
  readonly by: ContextSetter;
  readonly since: string;
  readonly expires?: string;
  readonly reader?: string;
  readonly version?: number;
}

export interface ContextChange {
  readonly gateway: string;
  readonly site: string;
  readonly readPoint: string;
  /** The message's outbox sequence number: it orders the change among the read point's events. */
  readonly sequence: number;
  readonly time: string;
  readonly change: 'set' | 'cleared' | 'expired';
  readonly by: ContextSetter | 'expiry';
  /** The context now active (change `set`). */
  readonly context?: ContextView;
  /** The context it replaced or ended, if there was one. */
  readonly previous?: ContextView;
}

export function contextView(c: ActiveContext): ContextView {
  return {
    ...(c.bizTransactionList?.length ? { bizTransactionList: c.bizTransactionList } : {}),
    ...(c.sourceList?.length ? { sourceList: c.sourceList } : {}),
    ...(c.destinationList?.length ? { destinationList: c.destinationList } : {}),
    by: c.by,
    since: new Date(c.since).toISOString(),
    ...(c.expiresAt !== undefined ? { expires: new Date(c.expiresAt).toISOString() } : {}),
    ...(c.reader !== undefined ? { reader: c.reader } : {}),
    ...(c.version !== undefined ? { version: c.version } : {}),
  };
}

/** The context a stored view stands for (the store holds views: readable with any LevelDB tool). */
export function fromView(v: ContextView): ActiveContext {
  return {
    ...(v.bizTransactionList ? { bizTransactionList: v.bizTransactionList } : {}),
    ...(v.sourceList ? { sourceList: v.sourceList } : {}),
    ...(v.destinationList ? { destinationList: v.destinationList } : {}),
    by: v.by,
    since: Date.parse(v.since),
    ...(v.expires !== undefined ? { expiresAt: Date.parse(v.expires) } : {}),
    ...(v.reader !== undefined ? { reader: v.reader } : {}),
    ...(v.version !== undefined ? { version: v.version } : {}),
  };
}
