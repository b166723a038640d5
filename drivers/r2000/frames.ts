/**
 * Frames of the R2000 module's serial protocol (header 0xA0), both ways:
 *
 *   A0 LEN ADDR CMD DATA... CHECK
 *
 * LEN counts the bytes after itself (ADDR, CMD, DATA, CHECK), so a frame is LEN + 2 bytes and LEN
 * is at least 3. CHECK is the two's complement of the byte sum of everything before it: the whole
 * frame sums to 0 modulo 256. Replies carry the module's own address (a module answers a
 * broadcast 0xFF with it).
 *
 * The parser is pure and incremental: bytes in, frames out. Bytes that do not form a frame are
 * collected into one "discarded run" per gap between good frames and reported once, with the
 * worst thing seen in it: noise (`garbage`), a frame whose checksum failed (`bad-checksum`), or
 * a frame cut short (`truncated`: another frame began inside it, or the line went quiet).
 */

export const HEAD = 0xa0;
/** The address every module answers. */
export const BROADCAST = 0xff;
/** ADDR + CMD + CHECK: the smallest LEN. */
const MIN_LEN = 3;
/** LEN is one byte: 3 + data <= 255. */
export const MAX_DATA = 252;
/** Most bytes a discarded run keeps for its reject; longer runs are reported in pieces. */
export const MAX_REJECT_BYTES = 256;

/** The commands this gateway speaks (names after the vendor's cmd_* list). */
export const Command = {
  reset: 0x70,
  firmwareVersion: 0x72,
  setWorkAntenna: 0x74,
  getWorkAntenna: 0x75,
  setOutputPower: 0x76,
  realTimeInventory: 0x89,
  sessionInventory: 0x8b,
} as const;

export interface Frame {
  readonly address: number;
  readonly command: number;
  readonly data: Buffer;
}

/** Two's complement of the byte sum: appended, it makes the frame sum to 0 mod 256. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return (256 - (sum & 0xff)) & 0xff;
}

export function encodeFrame(frame: Frame): Buffer {
  const { address, command, data } = frame;
  if (data.length > MAX_DATA) throw new TypeError(`an R2000 frame holds at most ${MAX_DATA} data bytes`);
  if (!isByte(address) || !isByte(command)) throw new TypeError('address and command are single bytes');
  const out = Buffer.alloc(data.length + 5);
  out[0] = HEAD;
  out[1] = data.length + MIN_LEN;
  out[2] = address;
  out[3] = command;
  data.copy(out, 4);
  out[out.length - 1] = checksum(out.subarray(0, out.length - 1));
  return out;
}

export type DiscardCode = 'garbage' | 'bad-checksum' | 'truncated';
const severity: Record<DiscardCode, number> = { garbage: 0, 'bad-checksum': 1, truncated: 2 };

/** Bytes the parser gave up on, at most MAX_REJECT_BYTES of them in one run. */
export interface Discarded {
  readonly code: DiscardCode;
  readonly data: Buffer;
}

export interface ParserEvents {
  frame(frame: Frame, raw: Buffer): void;
  discard(run: Discarded): void;
}

export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);
  private run: Buffer[] = [];
  private runKept = 0;
  private runCode: DiscardCode = 'garbage';
  /** Bytes still inside the span of a candidate whose checksum failed. */
  private suspect = 0;

  constructor(private readonly events: ParserEvents) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.scan();
  }

  /** The line went quiet: a partial frame will never complete; report what is left. */
  flush(): void {
    this.scan();
    while (this.buf.length > 0) {
      this.discard(1, 'truncated');
      this.scan();
    }
    this.endRun();
  }

  /** Bytes held that are neither a frame nor reported yet. */
  pending(): number {
    return this.buf.length + this.runKept;
  }

  /** Forgets everything held (a closed port); returns how many bytes that was. */
  reset(): number {
    const held = this.pending();
    this.buf = Buffer.alloc(0);
    this.run = [];
    this.runKept = this.suspect = 0;
    this.runCode = 'garbage';
    return held;
  }

  private scan(): void {
    while (this.buf.length > 0) {
      const buf = this.buf;
      if (buf[0] !== HEAD) {
        const next = buf.indexOf(HEAD);
        this.discard(next < 0 ? buf.length : next, 'garbage');
        continue;
      }
      if (buf.length < 2) return;
      const len = buf[1]!;
      if (len < MIN_LEN) {
        this.discard(1, 'garbage');
        continue;
      }
      const total = len + 2;
      if (buf.length < total) return;
      const raw = buf.subarray(0, total);
      if (checksum(raw) !== 0) {
        // Only the header is given up: a real frame may begin inside this span.
        this.discard(1, 'bad-checksum');
        this.suspect = Math.max(this.suspect, total - 1);
        continue;
      }
      if (this.suspect > 0) this.raise('truncated'); // a good frame began inside a failed one
      this.endRun();
      const copy = Buffer.from(raw);
      this.buf = buf.subarray(total);
      this.events.frame({ address: copy[2]!, command: copy[3]!, data: copy.subarray(4, total - 1) }, copy);
    }
  }

  private discard(count: number, code: DiscardCode): void {
    this.suspect = Math.max(0, this.suspect - count);
    // In pieces of at most MAX_REJECT_BYTES, so endless noise is still reported as it comes.
    for (let left = count; left > 0; ) {
      const take = Math.min(left, MAX_REJECT_BYTES - this.runKept);
      this.raise(code);
      this.run.push(Buffer.from(this.buf.subarray(0, take)));
      this.buf = this.buf.subarray(take);
      this.runKept += take;
      left -= take;
      if (this.runKept >= MAX_REJECT_BYTES) this.endRun();
    }
  }

  private raise(code: DiscardCode): void {
    if (severity[code] > severity[this.runCode]) this.runCode = code;
  }

  private endRun(): void {
    if (this.runKept === 0) return;
    const run: Discarded = { code: this.runCode, data: Buffer.concat(this.run) };
    this.run = [];
    this.runKept = 0;
    this.runCode = 'garbage';
    this.events.discard(run);
  }
}

const isByte = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xff;
