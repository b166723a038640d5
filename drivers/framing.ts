/**
 * Framing for line-oriented scanners: bytes in, frames out. A frame ends at the delimiter (CR,
 * LF, CRLF, ETX or any bytes), or, for scanners with no suffix, when the line goes quiet.
 * Memory is bounded: a frame longer than `maxLength` is reported once as overlong (its first
 * `maxLength` bytes) and the rest of it is discarded up to the next delimiter. CR and LF at a
 * frame's ends are line ends, not data; a frame left empty is ignored. Every other byte is kept:
 * judging content (garbage, AIM ids, GS) is the decoder's job.
 */
export interface FramerOptions {
  /** The delimiter bytes, or 'silence'. */
  readonly delimiter: Buffer | 'silence';
  readonly maxLength: number;
  readonly silenceMs: number;
}

export interface FramerOutput {
  frame(bytes: Buffer): void;
  overlong(head: Buffer): void;
}

/** Parses the config's delimiter: CR, LF, CRLF, ETX, silence, hex:0D0A. */
export function parseDelimiter(text: string): Buffer | 'silence' {
  switch (text) {
    case 'CR':
      return Buffer.from([0x0d]);
    case 'LF':
      return Buffer.from([0x0a]);
    case 'CRLF':
      return Buffer.from([0x0d, 0x0a]);
    case 'ETX':
      return Buffer.from([0x03]);
    case 'silence':
      return 'silence';
    default:
      if (/^hex:([0-9A-Fa-f]{2}){1,8}$/.test(text)) return Buffer.from(text.slice(4), 'hex');
      throw new TypeError(`unknown delimiter ${JSON.stringify(text)}`);
  }
}

/** No bytes pending. */
const EMPTY = Buffer.alloc(0);

export class Framer {
  /** What ends a frame, as `indexOf` finds it fastest: a one-byte delimiter as its byte value. */
  private readonly needle: Buffer | number | undefined;
  private buffer = Buffer.alloc(0);
  private discarding = false;
  private timer: NodeJS.Timeout | undefined;
  /** The driver stopped reading the device (back-pressure): its quiet is not the scanner's. */
  private held = false;

  constructor(
    private readonly options: FramerOptions,
    private readonly out: FramerOutput,
  ) {
    if (options.maxLength < 1) throw new TypeError('maxLength must be at least 1');
    const { delimiter } = options;
    this.needle = delimiter === 'silence' ? undefined : delimiter.length === 1 ? delimiter[0] : delimiter;
  }

  push(chunk: Buffer): void {
    const { delimiter } = this.options;
    const needle = this.needle;
    if (delimiter === 'silence' || needle === undefined) {
      this.append(chunk);
      this.armSilence();
      return;
    }
    const data = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.buffer = EMPTY;
    // Frames are found by offset in the chunk: a chunk of many lines makes one copy per line.
    let from = 0;
    for (let end = data.indexOf(needle, from); end >= 0; end = data.indexOf(needle, from)) {
      if (this.discarding) this.discarding = false;
      else this.emit(data, from, end);
      from = end + delimiter.length;
    }
    // Keep a possible partial delimiter at the end; otherwise bound the pending bytes.
    if (from < data.length) this.append(from === 0 ? data : data.subarray(from));
  }

  /**
   * The driver paused the device: a silence now is ours, so a read being framed by silence is not
   * ended by it. `release()` when reading again; the silence is timed from then.
   */
  hold(): void {
    this.held = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  release(): void {
    this.held = false;
    if (this.options.delimiter === 'silence' && this.buffer.length > 0) this.armSilence();
  }

  private armSilence(): void {
    clearTimeout(this.timer);
    this.timer = this.held ? undefined : setTimeout(() => this.flush(), this.options.silenceMs);
  }

  /** Bytes of an unfinished frame (lost at stop). */
  pending(): number {
    return this.buffer.length;
  }

  /** Ends a silence-framed read now; drops an unfinished delimited one. */
  flush(): void {
    clearTimeout(this.timer);
    const frame = this.buffer;
    this.buffer = Buffer.alloc(0);
    const wasDiscarding = this.discarding;
    this.discarding = false;
    if (this.options.delimiter === 'silence' && !wasDiscarding && frame.length > 0)
      this.emit(frame, 0, frame.length);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.buffer = Buffer.alloc(0);
  }

  private append(data: Buffer): void {
    const { delimiter, maxLength } = this.options;
    if (this.discarding) {
      // Keep only what could be the start of a delimiter.
      const keep = delimiter === 'silence' ? 0 : delimiter.length - 1;
      this.buffer = keep > 0 ? Buffer.from(data.subarray(Math.max(0, data.length - keep))) : Buffer.alloc(0);
      return;
    }
    // A frame never starts with CR or LF (the tail of a CRLF suffix framed on CR): skip them so
    // they neither count against maxLength nor make an empty frame.
    if (this.buffer.length === 0) data = data.subarray(leadingLineEnds(data));
    const joined = this.buffer.length > 0 ? Buffer.concat([this.buffer, data]) : Buffer.from(data);
    // Room for a delimiter split across chunks; emit() checks the exact length.
    const slack = delimiter === 'silence' ? 0 : delimiter.length;
    if (joined.length > maxLength + slack) {
      this.out.overlong(joined.subarray(0, maxLength));
      this.discarding = true;
      this.buffer = Buffer.alloc(0);
      this.append(joined.subarray(maxLength));
      return;
    }
    this.buffer = joined;
  }

  /** Emits the frame `bytes[from, to)` as bytes of its own, without its line ends. */
  private emit(bytes: Buffer, from: number, to: number): void {
    // CR and LF at either end are line ends, never data: a CRLF scanner framed on CR or on LF.
    let start = from;
    while (start < to && isLineEnd(bytes[start])) start++;
    let end = to;
    while (end > start && isLineEnd(bytes[end - 1])) end--;
    if (start === end) return;
    if (end - start > this.options.maxLength) {
      this.out.overlong(bytes.subarray(start, start + this.options.maxLength));
      return;
    }
    const frame = Buffer.allocUnsafe(end - start);
    bytes.copy(frame, 0, start, end);
    this.out.frame(frame);
  }
}

const isLineEnd = (byte: number | undefined) => byte === 0x0a || byte === 0x0d;

function leadingLineEnds(bytes: Buffer): number {
  let n = 0;
  while (n < bytes.length && isLineEnd(bytes[n])) n++;
  return n;
}
