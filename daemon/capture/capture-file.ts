/**
 * Reads a capture file (capture-format.ts) as it streams past: one line in memory at a time,
 * each bounded, so a capture of any length replays in constant memory. Every problem is a
 * CaptureError naming the file and line: not a capture, another version, a bad line, reads out of
 * order, a line after the end, and a file cut off (no end line, or a last line without its
 * newline), which `partial` accepts (the complete reads before the cut are replayed).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { RawRead } from '../../drivers/driver.js';
import {
  type CaptureEnd,
  CaptureError,
  type CaptureHeader,
  checkHeader,
  MAX_READ_BYTES,
  parseRead,
} from './capture-format.js';

/** The longest line taken: a read of the largest size in hex, and room for its fields. */
export const MAX_LINE_BYTES = 2 * MAX_READ_BYTES + 1024;

export type CaptureEntry =
  | { readonly kind: 'header'; readonly header: CaptureHeader }
  | { readonly kind: 'read'; readonly read: RawRead }
  | { readonly kind: 'end'; readonly end: CaptureEnd; readonly cutOff: boolean };

export interface CaptureFileOptions {
  /** Accept a capture that was cut off: its end is then made up from the last complete read. */
  readonly partial?: boolean;
}

/** The entries of the capture at `path`: its header, its reads in order, its end (always last). */
export async function* captureEntries(
  path: string,
  options: CaptureFileOptions = {},
): AsyncGenerator<CaptureEntry> {
  let header: CaptureHeader | undefined;
  let end: CaptureEnd | undefined;
  let number = 0;
  let reads = 0;
  let lastMono = Number.NEGATIVE_INFINITY;
  let lastAt = 0;
  const at = (n: number) => `${path}:${n}`;
  const take = (text: string): CaptureEntry | undefined => {
    number++;
    if (text.length === 0) throw new CaptureError(`${at(number)}: an empty line`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CaptureError(`${at(number)}: not JSON`);
    }
    if (!header) {
      header = checkHeader(value, at(number));
      return { kind: 'header', header };
    }
    if (end) throw new CaptureError(`${at(number)}: a line after the capture's end line`);
    if (typeof value === 'object' && value !== null && 'end' in value) {
      end = value as CaptureEnd;
      return { kind: 'end', end, cutOff: false };
    }
    const read = parseRead(value, header.reader.id, at(number));
    if (read.mono < lastMono)
      throw new CaptureError(
        `${at(number)}: out of order ("m" ${read.mono} before the previous line's ${lastMono})`,
      );
    lastMono = read.mono;
    lastAt = read.at;
    reads++;
    return { kind: 'read', read };
  };

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
        let text: string;
        if (pendingBytes > 0) {
          pending.push(chunk.subarray(from, nl));
          text = Buffer.concat(pending).toString('utf8');
          pending = [];
          pendingBytes = 0;
        } else text = chunk.toString('utf8', from, nl);
        if (text.length > MAX_LINE_BYTES)
          throw new CaptureError(`${at(number + 1)}: longer than the ${MAX_LINE_BYTES} bytes a line may be`);
        const entry = take(text);
        // Checked once the file shows it is a capture, before any read: nothing is replayed
        // from a capture that is then refused.
        if (entry?.kind === 'header' && !options.partial) {
          const cut = await cutOff(path);
          if (cut)
            throw new CaptureError(
              `${path}: the capture was cut off (${cut}); --partial replays the complete reads before the cut`,
            );
        }
        if (entry) yield entry;
        from = nl + 1;
      }
      if (from < chunk.length) {
        pendingBytes += chunk.length - from;
        if (pendingBytes > MAX_LINE_BYTES)
          throw new CaptureError(`${at(number + 1)}: longer than the ${MAX_LINE_BYTES} bytes a line may be`);
        pending.push(chunk.subarray(from));
      }
    }
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    throw new CaptureError(`${path}: ${(err as Error).message}`);
  } finally {
    stream.destroy();
  }
  if (!header) throw new CaptureError(`${path}: empty, not a readpoint capture`);
  if (end) return;
  const cut =
    pendingBytes > 0 ? `its last line (${number + 1}) is cut off` : `it has no end line after line ${number}`;
  if (!options.partial)
    throw new CaptureError(
      `${path}: the capture was cut off (${cut}); --partial replays the ${reads} complete reads before the cut`,
    );
  yield {
    kind: 'end',
    end: {
      end: 'stopped',
      reads,
      dropped: 0,
      endedAt: new Date(lastAt).toISOString(),
      m: reads > 0 ? lastMono : 0,
    },
    cutOff: true,
  };
}

/** How the capture at `path` was cut off (no end line, or a last line without its newline), if it was. */
async function cutOff(path: string): Promise<string | undefined> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new CaptureError(`${path}: ${(err as Error).message}`);
  }
  try {
    const { size } = await file.stat();
    if (size === 0) return undefined;
    const length = Math.min(size, MAX_LINE_BYTES + 1);
    const tail = Buffer.alloc(length);
    await file.read(tail, 0, length, size - length);
    if (tail[length - 1] !== 10) return 'its last line is cut off';
    const last = tail.toString('utf8', tail.lastIndexOf(10, length - 2) + 1, length - 1);
    try {
      const value = JSON.parse(last) as unknown;
      if (typeof value === 'object' && value !== null && 'end' in value) return undefined;
    } catch {
      // Not an end line either.
    }
    return 'it has no end line';
  } finally {
    await file.close();
  }
}
