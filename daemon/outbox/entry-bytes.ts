/**
 * The stored form of an outbox entry (batch-plan.ts describes it) as bytes. An event's text is
 * turned into UTF-8 once, here, as it enters the outbox: the same bytes are written to LevelDB,
 * kept in the live tail and published, and a backlog read back from the store is published as
 * the bytes it was read as. (Handing LevelDB and MQTT the text instead converts it to UTF-8 once
 * for each, and a backlog read as text is decoded from UTF-8 only to be encoded again.)
 *
 * The bytes are exactly those of the text form, so stores written either way read the same. The
 * header's payload length counts the payload as the text did (UTF-16 code units); for an ASCII
 * payload, as events nearly always are, that is its byte length.
 */
import { isAscii } from 'node:buffer';
import type { OutboxEntry } from './outbox.js';

const BAR = 0x7c; // '|'
const NEWLINE = 0x0a;

/** An entry's stored bytes, and its payload as a view into them. */
export function storedBytes(e: OutboxEntry): { readonly value: Buffer; readonly payload: Buffer } {
  const text = typeof e.payload === 'string' ? e.payload : undefined;
  const length = text !== undefined ? text.length : textLength(e.payload as Buffer);
  const head = `1|${e.acceptedAt}|${length}|${e.topic}\n`;
  const headBytes = Buffer.byteLength(head);
  const payloadBytes = text !== undefined ? Buffer.byteLength(text) : e.payload.length;
  const value = Buffer.allocUnsafe(headBytes + payloadBytes);
  value.write(head, 0);
  if (text !== undefined) value.write(text, headBytes);
  else (e.payload as Buffer).copy(value, headBytes);
  return { value, payload: value.subarray(headBytes) };
}

/** The topic of the last record read: records of one read point share it, so its text is made once. */
let lastTopic: { bytes: Buffer; text: string } | undefined;

/**
 * A stored record read as bytes: its topic, its payload (a view into `v`, not copied) and its
 * acceptance time; undefined for a record that cannot be one (the rules of decodeEntry()).
 */
export function readStored(v: Buffer): { t: string; p: Buffer; a: number } | undefined {
  if (v.length >= 2 && v[0] === 0x31 && v[1] === BAR) {
    const at = v.indexOf(BAR, 2);
    const len = at < 0 ? -1 : v.indexOf(BAR, at + 1);
    const nl = len < 0 ? -1 : v.indexOf(NEWLINE, len + 1);
    if (nl < 0 || nl === len + 1 || at === 2) return undefined;
    const a = numberIn(v, 2, at);
    const length = numberIn(v, at + 1, len);
    if (!Number.isFinite(a) || !Number.isSafeInteger(length)) return undefined;
    const p = v.subarray(nl + 1);
    // Equal byte and text lengths mean ASCII; otherwise count the text as it was written.
    if (p.length !== length && textLength(p) !== length) return undefined;
    return { t: topicIn(v, len + 1, nl), p, a };
  }
  try {
    const r = JSON.parse(v.toString('utf8'));
    return typeof r?.t === 'string' && typeof r.p === 'string' && typeof r.a === 'number'
      ? { t: r.t, p: Buffer.from(r.p), a: r.a }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The acceptance time of a stored record, reading no more than its header (undefined if none). */
export function acceptedAtIn(v: Buffer): number | undefined {
  if (v.length >= 2 && v[0] === 0x31 && v[1] === BAR) {
    const at = v.indexOf(BAR, 2);
    if (at > 2) {
      const a = numberIn(v, 2, at);
      if (Number.isFinite(a)) return a;
    }
  }
  return readStored(v)?.a;
}

/** The text length (UTF-16 code units) of UTF-8 bytes. */
function textLength(bytes: Buffer): number {
  return isAscii(bytes) ? bytes.length : bytes.toString('utf8').length;
}

/** A decimal number written at v[from..to), as Number() reads its text. */
function numberIn(v: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = v[i]! - 0x30;
    if (d < 0 || d > 9) return Number(v.toString('latin1', from, to));
    n = n * 10 + d;
  }
  return n; // an empty field reads as 0, as Number("") does
}

function topicIn(v: Buffer, from: number, to: number): string {
  const last = lastTopic;
  if (last && last.bytes.length === to - from && v.compare(last.bytes, 0, last.bytes.length, from, to) === 0)
    return last.text;
  const text = v.toString('utf8', from, to);
  lastTopic = { bytes: Buffer.from(v.subarray(from, to)), text };
  return text;
}
