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
 * vendor batches them), arrays among them are taken apart, and `event` reads each one.
 */
export function parseEvents(
  payload: Buffer,
  values: (text: string) => unknown[] | undefined,
  event: (value: unknown) => TagReport | PayloadReject | 'ignored',
): ParsedMessage {
  const out: { reads: TagReport[]; rejects: PayloadReject[]; ignored: number } = {
    reads: [],
    rejects: [],
    ignored: 0,
  };
  const all = values(payload.toString('utf8'));
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
