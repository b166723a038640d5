/**
 * One group commit of the LevelDB outbox, planned before it is written: the deletes of
 * acknowledged entries, quarantine moves, and the held appends that go in, with the overflow
 * policy applied to each one that does not fit. Planning changes nothing in the outbox; the
 * outbox applies the plan only once LevelDB has written it, so a failed write can be retried
 * from the same state.
 */
import type { AppendGroup } from './appends.js';
import { entryKey } from './entry-key.js';
import type { OutboxEntry, OverflowPolicy } from './outbox.js';

export { entryKey };

/** A value is text, or bytes for an entry whose payload was appended as bytes (entry-bytes.ts). */
export type Op = { type: 'put'; key: string; value: string | Buffer } | { type: 'del'; key: string };

// Entries live under `e!<seq as 16 hex digits>`, so keys sort by sequence (entry-key.ts).

/** The key of the outbox's state (high-water sequence, depth, bytes) and of its drop ledger. */
export const STATE_KEY = 'm!state';
export const DROPS_KEY = 'm!drops';
export const ENTRY_KEY_LENGTH = 18;
/** The sequence number of an entry's key (read with every entry taken: no substring made). */
export function seqOf(k: string): number {
  if (k.length !== ENTRY_KEY_LENGTH) return Number.parseInt(k.slice(2), 16);
  let n = 0;
  for (let i = 2; i < ENTRY_KEY_LENGTH; i++) {
    const c = k.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return Number.parseInt(k.slice(2), 16);
    n = n * 16 + d;
  }
  return n;
}
/**
 * The stored form of an entry: `1|<acceptedAt>|<payload length>|<topic>` on the first line, the
 * payload after it, untouched. (Before, entries were stored as JSON with the payload as a JSON
 * string inside it: every quote of the event escaped on the way in and unescaped on the way
 * out, about 6 % of the gateway's CPU and 15 % more bytes. Such records are still read.) The
 * length makes a truncated record, e.g. one a foreign program cut short, fail to decode. A
 * payload appended as bytes is stored in the same form as bytes (entry-bytes.ts).
 */
export const encodeEntry = (e: Omit<OutboxEntry, 'payload'> & { readonly payload: string }) =>
  `1|${e.acceptedAt}|${e.payload.length}|${e.topic}\n${e.payload}`;

/** The stored form of an entry, or undefined for a record that cannot be one. */
export function decodeEntry(v: string): { t: string; p: string; a: number } | undefined {
  if (v.startsWith('1|')) {
    const e = entryOf(0, v);
    return e === undefined ? undefined : { t: e.topic, p: e.payload as string, a: e.acceptedAt };
  }
  try {
    const r = JSON.parse(v);
    return typeof r?.t === 'string' && typeof r.p === 'string' && typeof r.a === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The last topic decoded: most entries share it, and one string for all of them is one less each. */
let lastTopic = '';

/**
 * The entry stored under `seq` as `v`, or undefined for a record that cannot be one; the form the
 * drain reads every entry in, so its numbers are read in place and its topic is shared.
 */
export function entryOf(seq: number, v: string): OutboxEntry | undefined {
  if (!v.startsWith('1|')) {
    const r = decodeEntry(v);
    return r === undefined ? undefined : { seq, topic: r.t, payload: r.p, acceptedAt: r.a };
  }
  const at = v.indexOf('|', 2);
  const len = at < 0 ? -1 : v.indexOf('|', at + 1);
  const nl = len < 0 ? -1 : v.indexOf('\n', len + 1);
  if (nl < 0 || nl === len + 1 || at === 2) return undefined;
  const a = digits(v, 2, at);
  const length = digits(v, at + 1, len);
  if (!Number.isFinite(a) || !Number.isSafeInteger(length) || v.length - nl - 1 !== length) return undefined;
  if (nl - len - 1 !== lastTopic.length || !v.startsWith(lastTopic, len + 1))
    lastTopic = v.slice(len + 1, nl);
  return { seq, topic: lastTopic, payload: v.slice(nl + 1), acceptedAt: a };
}

/**
 * `Number(v.slice(from, to))`, read in place for the plain decimal integers the outbox writes;
 * anything else (a sign, a fraction, an exponent, more than 15 digits) goes to Number itself.
 */
function digits(v: string, from: number, to: number): number {
  if (to - from > 15) return Number(v.slice(from, to));
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(v.slice(from, to));
    n = n * 10 + d;
  }
  return n;
}

/** An append not yet durable. */
export interface Held {
  /** The entry; a payload given as bytes is a view into `value`. */
  readonly entry: OutboxEntry;
  /** The stored form: text for a text payload, bytes for a payload given as bytes. */
  readonly value: string | Buffer;
  /** Key plus value length, the value counted as text: what the entry counts against `maxBytes`. */
  readonly size: number;
  /** Part of the write in progress (so not to be dropped from the hold meanwhile). */
  writing: boolean;
  /** The appendAll() call it came with, and its place there. */
  readonly group: AppendGroup;
  readonly index: number;
}

export interface Deletion {
  readonly seq: number;
  readonly size: number;
}

export interface Quarantine extends Deletion {
  readonly key: string;
  readonly value: string;
}

export interface Victim {
  readonly seq: number;
  readonly at: number;
  readonly size: number;
}

export interface Limits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly batchMax: number;
  /** stop-reading resumes once depth and bytes are at or below these. */
  readonly lowEvents: number;
  readonly lowBytes: number;
  readonly policy: OverflowPolicy;
}

export interface PlanInput {
  readonly held: readonly Held[];
  readonly deletes: readonly Deletion[];
  readonly quarantines: readonly Quarantine[];
  readonly depth: number;
  readonly bytes: number;
  readonly limits: Limits;
  /** stop-reading: appends wait for the low-water mark. */
  readonly waiting: boolean;
  /** At stop: appends waiting for room go in past the limit. */
  readonly released: boolean;
  /** The oldest stored entries that may be dropped, at least `events` of them and `bytes` in size. */
  readonly victims: (events: number, bytes: number) => Promise<Victim[]>;
}

export interface Plan {
  readonly ops: Op[];
  readonly deletes: number;
  readonly quarantines: readonly Quarantine[];
  /** The held appends this batch settles (a prefix of the hold), with their outcomes. */
  readonly admitted: readonly Held[];
  readonly outcomes: readonly boolean[];
  readonly stored: number;
  readonly storedBytes: number;
  /** Every entry dropped or refused by this batch, in sequence order. */
  readonly drops: readonly { seq: number; at: number }[];
  /** Stored entries this batch deletes to make room. */
  readonly victims: readonly number[];
  readonly depth: number;
  readonly bytes: number;
  /** Highest sequence number settled by this batch (0 if none). */
  readonly highest: number;
  readonly waiting: boolean;
}

/**
 * Whether one more entry of `size` fits beside `depth` entries of `bytes`. (A function of its
 * arguments, not a closure in the loop: one made per held entry kept the counts in a context.)
 */
const fits = (depth: number, bytes: number, size: number, limits: Limits): boolean =>
  depth + 1 <= limits.maxEvents && bytes + size <= limits.maxBytes;

export async function planBatch(input: PlanInput): Promise<Plan> {
  const { limits } = input;
  const head: Op[] = [];
  let depth = input.depth;
  let bytes = input.bytes;
  for (const d of input.deletes) {
    head.push({ type: 'del', key: entryKey(d.seq) });
    depth--;
    bytes -= d.size;
  }
  for (const q of input.quarantines) {
    head.push({ type: 'put', key: `q!${q.key.slice(2)}`, value: q.value }, { type: 'del', key: q.key });
    depth--;
    bytes -= q.size;
  }
  const puts = new Map<number, Op>();
  const admitted: Held[] = [];
  const outcomes: boolean[] = [];
  const drops: { seq: number; at: number }[] = [];
  const victims: number[] = [];
  const storedHere: { index: number; held: Held }[] = [];
  let waiting = input.waiting;
  let highest = 0;
  for (const h of input.held) {
    if (admitted.length >= limits.batchMax) break;
    if (waiting && !input.released) {
      if (depth > limits.lowEvents || bytes > limits.lowBytes) break;
      waiting = false;
    }
    let ok = true;
    if (!fits(depth, bytes, h.size, limits)) {
      if (h.size > limits.maxBytes) ok = false;
      else if (limits.policy === 'drop-newest') ok = false;
      else if (limits.policy === 'stop-reading') {
        if (!input.released) {
          waiting = true;
          break;
        }
      } else {
        for (const v of await input.victims(depth + 1 - limits.maxEvents, bytes + h.size - limits.maxBytes)) {
          head.push({ type: 'del', key: entryKey(v.seq) });
          victims.push(v.seq);
          drops.push({ seq: v.seq, at: v.at });
          depth--;
          bytes -= v.size;
        }
        // Still full (the rest is being published): drop this batch's own earlier entries first.
        while (!fits(depth, bytes, h.size, limits) && storedHere.length > 0) {
          const { index, held } = storedHere.shift()!;
          puts.delete(held.entry.seq);
          outcomes[index] = false;
          drops.push({ seq: held.entry.seq, at: held.entry.acceptedAt });
          depth--;
          bytes -= held.size;
        }
        ok = fits(depth, bytes, h.size, limits);
      }
    }
    h.writing = true;
    admitted.push(h);
    highest = h.entry.seq;
    outcomes.push(ok);
    if (!ok) {
      drops.push({ seq: h.entry.seq, at: h.entry.acceptedAt });
      continue;
    }
    puts.set(h.entry.seq, { type: 'put', key: entryKey(h.entry.seq), value: h.value });
    storedHere.push({ index: outcomes.length - 1, held: h });
    depth++;
    bytes += h.size;
  }
  drops.sort((a, b) => a.seq - b.seq);
  // The byte count is kept by adding and subtracting sizes; a record damaged in place (quarantined
  // with the size it has now, not the size it was stored with) would leave it off for good. An
  // empty outbox holds no bytes, so the count heals itself whenever the outbox drains.
  if (depth <= 0) bytes = 0;
  return {
    ops: [...head, ...puts.values()],
    deletes: input.deletes.length,
    quarantines: input.quarantines,
    admitted,
    outcomes,
    stored: storedHere.length,
    storedBytes: storedHere.reduce((n, s) => n + s.held.size, 0),
    drops,
    victims,
    depth,
    bytes,
    highest,
    waiting,
  };
}
