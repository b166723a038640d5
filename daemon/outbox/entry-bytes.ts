/**
 * The stored form of an outbox entry (batch-plan.ts describes it) as bytes, for a payload appended
 * as bytes: the same bytes are written to LevelDB, kept in the live tail and published. They are
 * exactly those of the text form, so stores written either way read the same.
 *
 * A text payload (every event the recorder makes) stays text: made into bytes here it measured no
 * less CPU, and bytes sit outside the JS heap, where the memory budget's bound does not count them
 * (level-outbox.ts). A backlog is read back as text: LevelDB's binding makes each value read as
 * bytes a buffer of its own, which measured slower.
 */
import { isAscii } from 'node:buffer';
import type { OutboxEntry } from './outbox.js';

export interface StoredBytes {
  readonly value: Buffer;
  /** The payload, a view into `value`. */
  readonly payload: Buffer;
  /**
   * The length of the stored form as text (UTF-16 code units), what the outbox counts against
   * `maxBytes` as it always has: for an ASCII event, as events nearly always are, its byte length.
   */
  readonly size: number;
}

export function storedBytes(e: OutboxEntry): StoredBytes {
  const text = typeof e.payload === 'string' ? e.payload : undefined;
  const bytes = text === undefined ? (e.payload as Buffer) : undefined;
  const length = text !== undefined ? text.length : textLength(bytes!);
  const head = `1|${e.acceptedAt}|${length}|${e.topic}\n`;
  const headBytes = Buffer.byteLength(head);
  const value = Buffer.allocUnsafe(
    headBytes + (text !== undefined ? Buffer.byteLength(text) : bytes!.length),
  );
  value.write(head, 0);
  if (text !== undefined) value.write(text, headBytes);
  else bytes!.copy(value, headBytes);
  return { value, payload: value.subarray(headBytes), size: head.length + length };
}

/** The text length (UTF-16 code units) of UTF-8 bytes. */
function textLength(bytes: Buffer): number {
  return isAscii(bytes) ? bytes.length : bytes.toString('utf8').length;
}
