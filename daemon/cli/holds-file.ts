/**
 * The hold import file: JSON Lines, one entry per line (the entries of a hold update), blank lines
 * and lines starting with `#` skipped. Read as a stream in bounded lines, so a file of a million
 * entries never sits in memory whole.
 */
import { createReadStream } from 'node:fs';
import { type HoldEntry, HoldEntryError, parseHoldEntry } from '../inventory/holds/hold-entry.js';

/** The longest line taken, bytes. */
export const MAX_LINE_BYTES = 4096;
/** The most entries one file may carry. */
export const MAX_IMPORT_ENTRIES = 1_000_000;

/** A line that cannot be taken: `FILE:LINE: message`. */
export class HoldFileError extends Error {}

/** Each entry of the file in order, with its line number; throws HoldFileError at the first bad line. */
export async function* holdFileEntries(path: string): AsyncGenerator<{ line: number; entry: HoldEntry }> {
  let pending = '';
  let line = 0;
  let count = 0;
  const take = (text: string) => {
    line++;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return undefined;
    if (++count > MAX_IMPORT_ENTRIES)
      throw new HoldFileError(`${path}:${line}: more than ${MAX_IMPORT_ENTRIES} entries in one file`);
    try {
      return parseHoldEntry(JSON.parse(trimmed));
    } catch (err) {
      if (err instanceof HoldEntryError || err instanceof SyntaxError)
        throw new HoldFileError(`${path}:${line}: ${err.message}`);
      throw err;
    }
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
    pending += chunk as string;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const entry = take(pending.slice(0, nl));
      if (entry) yield { line, entry };
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
    if (Buffer.byteLength(pending) > MAX_LINE_BYTES)
      throw new HoldFileError(`${path}:${line + 1}: a line longer than ${MAX_LINE_BYTES} bytes`);
  }
  const last = take(pending);
  if (last) yield { line, entry: last };
}
