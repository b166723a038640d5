import type { ParsedMessage, PayloadReject, TagReport } from './driver.js';

/**
 * Reading the fields of a network reader's JSON safely: every helper takes any value and says
 * undefined (or false) for what is not the expected type, so the parsers never throw.
 */

const HEX_EPC = /^(?:[0-9A-Fa-f]{2}){1,62}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
/** Rejected bytes kept at most (an event, or the head of a message that is not JSON). */
export const REJECT_BYTES = 4096;

/** 1-62 bytes of hex (an EPC) as bytes. */
export function hexBytes(value: unknown): Buffer | undefined {
  return typeof value === 'string' && HEX_EPC.test(value) ? Buffer.from(value, 'hex') : undefined;
}

/** An ISO 8601 UTC or offset time (`Z`, `+01:00`, Zebra's `+0000`) as ms since the epoch. */
export function isoTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** An antenna port number as readers write it. */
export const isPort = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
export const bounded = (bytes: Buffer): Buffer => Buffer.from(bytes.subarray(0, REJECT_BYTES));

/** The event as JSON, bounded; a value nested too deeply to print is named by its type. */
export function jsonBytes(value: unknown): Buffer {
  try {
    return bounded(Buffer.from(JSON.stringify(value) ?? String(value)));
  } catch {
    return Buffer.from(`(${Array.isArray(value) ? 'array' : typeof value} too deeply nested to show)`);
  }
}

/**
 * One message -> its tag reads and rejects: `values` splits the text into JSON values (how a
 * vendor batches them), arrays among them are taken apart, and `event` reads each one. A message
 * of more than `maxEvents` events is rejected whole (`too-many-events`) after one linear scan and
 * before any parsing, so the work per message is bounded by its size and `maxEvents`.
 */
export function parseEvents(
  payload: Buffer,
  values: (text: string) => unknown[] | undefined,
  event: (value: unknown) => TagReport | PayloadReject | 'ignored',
  maxEvents: number,
): ParsedMessage {
  const out: { reads: TagReport[]; rejects: PayloadReject[]; ignored: number } = {
    reads: [],
    rejects: [],
    ignored: 0,
  };
  const text = payload.toString('utf8');
  if (countEvents(text, maxEvents) > maxEvents) {
    out.rejects.push({
      code: 'too-many-events',
      message: `the message carries more than ${maxEvents} events (maxEventsPerMessage)`,
      data: bounded(payload),
    });
    return out;
  }
  const all = values(text);
  if (!all) {
    out.rejects.push({ code: 'not-json', message: 'the message is not JSON', data: bounded(payload) });
    return out;
  }
  for (const value of all.flatMap((v) => (Array.isArray(v) ? v : [v]))) {
    const e = event(value);
    if (e === 'ignored') out.ignored++;
    else if ('code' in e) out.rejects.push(e);
    else out.reads.push(e);
  }
  return out;
}

/** JSON whitespace, and the characters that end a bare value (number, true, false, null). */
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isStructural = (c: number) =>
  c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x2c || c === 0x3a || c === 0x22;

/**
 * How many events `text` would give, counted up to `max + 1` in one pass without parsing: the
 * values at the top level (objects run together, JSON lines) and the elements of top-level
 * arrays (a batch). Strings and escapes are respected.
 */
export function countEvents(text: string, max: number): number {
  let count = 0;
  let depth = 0;
  let batch = false; // inside a top-level array: its elements are the events
  let inString = false;
  let escaped = false;
  let inBare = false;
  for (let i = 0; i < text.length && count <= max; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    const counted = depth === 0 || (depth === 1 && batch);
    if (isSpace(c) || isStructural(c)) inBare = false;
    if (c === 0x22) {
      inString = true;
      if (counted) count++;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0 && c === 0x5b) batch = true;
      else if (counted) count++;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
      if (depth === 0) batch = false;
    } else if (!isSpace(c) && !isStructural(c) && !inBare) {
      inBare = true;
      if (counted) count++;
    }
  }
  return count;
}
