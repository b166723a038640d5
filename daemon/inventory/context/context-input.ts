/**
 * A transaction context as upstream or the CLI gives it, checked as untrusted input: bounded lists
 * of URIs with CBV types, so every event that carries it still validates against GS1's EPCIS 2.0
 * schema. A bad input throws a ContextInputError whose message says what is wrong.
 */
import type { BizTransaction, EventDestination, EventSource } from '../../event/business-context.js';

/** Largest context message taken from upstream, bytes. */
export const MAX_CONTEXT_BYTES = 16 * 1024;
/** Most entries of each list. */
export const MAX_LIST = 16;
const MAX_URI = 512;

/** CBV 2.0 business transaction types (EPCIS 2.0 JSON binding: the bare words). */
export const BIZ_TRANSACTION_TYPES: ReadonlySet<string> = new Set([
  'bol',
  'cert',
  'desadv',
  'inv',
  'pedigree',
  'po',
  'poc',
  'prodorder',
  'recadv',
  'rma',
  'testprd',
  'testres',
  'upevt',
]);
/** CBV 2.0 source / destination types. */
export const SOURCE_DEST_TYPES: ReadonlySet<string> = new Set([
  'owning_party',
  'possessing_party',
  'location',
]);

export class ContextInputError extends Error {
  override readonly name = 'ContextInputError';
}

/** What a context says, checked. */
export interface ContextInput {
  readonly bizTransactionList: readonly BizTransaction[];
  readonly sourceList: readonly EventSource[];
  readonly destinationList: readonly EventDestination[];
  /** Wall-clock ms it ends at; undefined: until changed. */
  readonly expiresAt?: number;
}

/** An upstream message: a versioned context, or a versioned clear. */
export type UpstreamContext =
  | { readonly version: number; readonly clear: true }
  | (ContextInput & { readonly version: number; readonly clear?: false });

// RFC 3986 characters only, `%` followed by two hex digits: what a JSON Schema `uri` format accepts.
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
// EPCIS keeps the CBV's own namespaces for its words: a URI there is not "one's own" type.
const CBV_NAMESPACE = /^(urn:epcglobal:cbv|https?:\/\/ns\.gs1\.org\/cbv\/)/;

const fail = (message: string): never => {
  throw new ContextInputError(message);
};

function uri(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > MAX_URI || !URI.test(value))
    fail(`${what} must be a URI (scheme:rest, RFC 3986 characters, at most ${MAX_URI})`);
  return value as string;
}

function type(value: unknown, words: ReadonlySet<string>, what: string): string {
  if (typeof value === 'string' && words.has(value)) return value;
  if (typeof value === 'string' && value.length <= MAX_URI && URI.test(value) && !CBV_NAMESPACE.test(value))
    return value;
  return fail(`${what} must be one of ${[...words].join(', ')} or a URI of your own`);
}

function list<T>(value: unknown, what: string, item: (entry: Record<string, unknown>, at: string) => T): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(`${what} must be a list`);
  if (value.length > MAX_LIST) fail(`${what} has ${value.length} entries; at most ${MAX_LIST}`);
  return value.map((entry, i) => {
    const at = `${what}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`${at} must be an object`);
    return item(entry as Record<string, unknown>, at);
  });
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const key of Object.keys(o))
    if (!keys.includes(key)) fail(`${what} has an unknown field "${key}" (known: ${keys.join(', ')})`);
}

/** Checks a context (the fields of a `context.set` or an upstream message). */
export function contextInput(
  value: Record<string, unknown>,
  now: number,
  extra: readonly string[] = [],
): ContextInput {
  onlyKeys(
    value,
    ['bizTransactionList', 'sourceList', 'destinationList', 'expires', ...extra],
    'the context',
  );
  const bizTransactionList = list(value.bizTransactionList, 'bizTransactionList', (e, at) => {
    onlyKeys(e, ['type', 'bizTransaction'], at);
    const bizTransaction = uri(e.bizTransaction, `${at}.bizTransaction`);
    return e.type === undefined
      ? { bizTransaction }
      : { type: type(e.type, BIZ_TRANSACTION_TYPES, `${at}.type`), bizTransaction };
  });
  const sourceList = list(value.sourceList, 'sourceList', (e, at) => {
    onlyKeys(e, ['type', 'source'], at);
    return { type: type(e.type, SOURCE_DEST_TYPES, `${at}.type`), source: uri(e.source, `${at}.source`) };
  });
  const destinationList = list(value.destinationList, 'destinationList', (e, at) => {
    onlyKeys(e, ['type', 'destination'], at);
    return {
      type: type(e.type, SOURCE_DEST_TYPES, `${at}.type`),
      destination: uri(e.destination, `${at}.destination`),
    };
  });
  if (bizTransactionList.length + sourceList.length + destinationList.length === 0)
    fail('the context names nothing: give bizTransactionList, sourceList or destinationList');
  let expiresAt: number | undefined;
  if (value.expires !== undefined) {
    const at = typeof value.expires === 'string' ? Date.parse(value.expires) : Number.NaN;
    if (!Number.isFinite(at)) fail('expires must be an ISO 8601 date-time, e.g. 2026-12-07T18:00:00Z');
    if (at <= now) fail(`expires ${value.expires as string} is already past`);
    expiresAt = at;
  }
  return {
    bizTransactionList,
    sourceList,
    destinationList,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/**
 * An upstream message on `<base>/context/<readPoint>` (retained): `{version, bizTransactionList?,
 * sourceList?, destinationList?, expires?}` sets, `{version, clear: true}` clears.
 */
export function upstreamContext(payload: Buffer, now: number): UpstreamContext {
  if (payload.length > MAX_CONTEXT_BYTES)
    fail(`the message is ${payload.length} bytes; at most ${MAX_CONTEXT_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return fail('the message is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('the message must be an object');
  const o = value as Record<string, unknown>;
  const version = o.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0)
    fail('version must be a whole number of 0 or more (a newer context has a higher version)');
  if (o.clear === true) {
    onlyKeys(o, ['version', 'clear'], 'a clear');
    return { version: version as number, clear: true };
  }
  if (o.clear !== undefined && o.clear !== false) fail('clear must be true or left out');
  return { ...contextInput(o, now, ['version', 'clear']), version: version as number };
}
