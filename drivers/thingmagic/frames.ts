/**
 * Frames of the Mercury serial protocol (ThingMagic / JADAK M6e, M6e Nano, M7e):
 *   command  FF LEN OP DATA[LEN] CRC_hi CRC_lo                 (LEN + 5 bytes)
 *   response FF LEN OP STATUS_hi STATUS_lo DATA[LEN] CRC_hi CRC_lo  (LEN + 7 bytes)
 * The CRC (crc.ts) covers LEN to the end of DATA. Encoding is pure; `FrameParser` takes the byte
 * stream as it comes and hands out whole frames whose CRC holds, and everything else as rejects.
 */
import { messageCrc } from './crc.js';

export const Opcode = {
  version: 0x03,
  readTagMultiple: 0x22,
  multiProtocolTagOp: 0x2f,
  setAntennaPort: 0x91,
  setReadTxPower: 0x92,
  setTagProtocol: 0x93,
  setRegion: 0x97,
  setReaderOptionalParams: 0x9a,
} as const;

export const Status = {
  ok: 0x0000,
  invalidOpcode: 0x0101,
  noTagsFound: 0x0400,
  temperatureLimit: 0x0504,
  highReturnLoss: 0x0505,
} as const;

/** The status words an operator may meet, named as the Mercury API's tmr_status.h describes them. */
const STATUS_NAMES: Record<number, string> = {
  256: 'wrong number of data bytes',
  257: 'invalid opcode',
  258: 'unimplemented opcode',
  259: 'read power too high',
  260: 'invalid frequency',
  261: 'invalid parameter value',
  262: 'read power too low',
  265: 'unimplemented feature',
  267: 'invalid region',
  1024: 'no tags found',
  1026: 'invalid protocol',
  1280: 'invalid frequency (hardware)',
  1281: 'channel occupied',
  1282: 'transmitter on',
  1283: 'antenna not connected',
  1284: 'temperature limit exceeded',
  1285: 'high return loss (check the antenna and its cable)',
  1287: 'invalid antenna configuration',
  1289: 'supply voltage out of limits',
  32512: 'system unknown error',
  32513: 'firmware assertion failed',
};

/** `0x0504 (temperature limit exceeded)`: a status word for logs and rejects. */
export function describeStatus(status: number): string {
  const word = `0x${status.toString(16).padStart(4, '0').toUpperCase()}`;
  const name = STATUS_NAMES[status];
  return name ? `${word} (${name})` : word;
}

/** A frame whose CRC held. Commands carry status 0. `raw` is the whole frame, FF to CRC. */
export interface Frame {
  readonly opcode: number;
  readonly status: number;
  readonly data: Buffer;
  readonly raw: Buffer;
}

/** Longest DATA: LEN is one byte. */
export const MAX_DATA = 255;

function frame(opcode: number, status: number | undefined, data: ArrayLike<number>): Buffer {
  if (data.length > MAX_DATA) throw new RangeError(`frame data of ${data.length} bytes exceeds ${MAX_DATA}`);
  const head = status === undefined ? 3 : 5;
  const out = Buffer.alloc(head + data.length + 2);
  out[0] = 0xff;
  out[1] = data.length;
  out[2] = opcode;
  if (status !== undefined) out.writeUInt16BE(status, 3);
  out.set(data, head);
  out.writeUInt16BE(messageCrc(out, 1, head + data.length), head + data.length);
  return out;
}

export const encodeCommand = (opcode: number, data: ArrayLike<number> = []): Buffer =>
  frame(opcode, undefined, data);

export const encodeResponse = (opcode: number, status: number, data: ArrayLike<number> = []): Buffer =>
  frame(opcode, status, data);

/** Gen2 in the protocol numbering of commands 0x93 and 0x2F. */
export const GEN2 = 0x05;

/**
 * What each streamed tag record carries (tag-record.ts parses them): read count, RSSI, antenna,
 * frequency, timestamp, phase, protocol, embedded data, GPIO: the set the module was seen to
 * stream in public captures.
 */
export const STREAM_METADATA = 0x01ff;

/** Search flags of the read: the configured antenna list (3), tag streaming (8), large population (0x10). */
const STREAM_SEARCH_FLAGS = 0x001b;

/** Milliseconds of one search cycle; a cycle that finds no tag ends in a keep-alive. */
export const CYCLE_MS = 1000;

/** The option of a 2F command (after its timeout) and of its answer (first): start or stop continuous reading. */
export const ReadingOption = { start: 0x01, stop: 0x02 } as const;

export const commands = {
  version: () => encodeCommand(Opcode.version),
  setRegion: (code: number) => encodeCommand(Opcode.setRegion, [code]),
  setGen2: () => encodeCommand(Opcode.setTagProtocol, [0x00, GEN2]),
  /** Option 2: the antenna search list, one (tx, rx) pair per port: each port sends and listens. */
  setAntennas: (ports: readonly number[]) =>
    encodeCommand(Opcode.setAntennaPort, [0x02, ...ports.flatMap((port) => [port, port])]),
  setReadPower: (centiDbm: number) => {
    const data = Buffer.alloc(2);
    data.writeInt16BE(centiDbm);
    return encodeCommand(Opcode.setReadTxPower, data);
  },
  /** Option 1, key 0x0C (enable read filter) = 0: report every sighting, not one per tag and session. */
  readFilterOff: () => encodeCommand(Opcode.setReaderOptionalParams, [0x01, 0x0c, 0x00]),
  /**
   * Continuous reading: 2F, no timeout, option 1 (continuous), sub-command 22 (read multiple) with
   * no multi-protocol search flags, for Gen2, followed by its 7 parameter bytes: option 0x10
   * (metadata follows), the search flags, the cycle length and the metadata flags.
   */
  startReading: (metadataFlags = STREAM_METADATA, cycleMs = CYCLE_MS) => {
    const head = [
      0x00,
      0x00,
      ReadingOption.start,
      Opcode.readTagMultiple,
      0x00,
      0x00,
      GEN2,
      0x07,
      0x22,
      0x10,
    ];
    const tail = Buffer.alloc(6);
    tail.writeUInt16BE(STREAM_SEARCH_FLAGS, 0);
    tail.writeUInt16BE(cycleMs, 2);
    tail.writeUInt16BE(metadataFlags, 4);
    return encodeCommand(Opcode.multiProtocolTagOp, Buffer.concat([Buffer.from(head), tail]));
  },
  stopReading: () => encodeCommand(Opcode.multiProtocolTagOp, [0x00, 0x00, ReadingOption.stop]),
};

/** One command of the start-up sequence, named for logs and errors. */
export interface StartupStep {
  readonly name: string;
  readonly opcode: number;
  readonly bytes: Buffer;
  /** For 2F: the option its answer echoes first (1 start, 2 stop). */
  readonly option?: number;
}

/**
 * What the driver sends on every connect, in order, each awaited: the module may have been power
 * cycled (losing everything set) or left as another program configured it.
 */
export function startupSequence(s: {
  readonly regionCode: number;
  readonly antennas: readonly number[];
  readonly readPowerCdBm: number;
}): StartupStep[] {
  return [
    { name: 'version', opcode: Opcode.version, bytes: commands.version() },
    { name: 'set region', opcode: Opcode.setRegion, bytes: commands.setRegion(s.regionCode) },
    { name: 'set protocol Gen2', opcode: Opcode.setTagProtocol, bytes: commands.setGen2() },
    { name: 'set antennas', opcode: Opcode.setAntennaPort, bytes: commands.setAntennas(s.antennas) },
    { name: 'set read power', opcode: Opcode.setReadTxPower, bytes: commands.setReadPower(s.readPowerCdBm) },
    { name: 'read filter off', opcode: Opcode.setReaderOptionalParams, bytes: commands.readFilterOff() },
    {
      name: 'start reading',
      opcode: Opcode.multiProtocolTagOp,
      bytes: commands.startReading(),
      option: ReadingOption.start,
    },
  ];
}

export const STOP_READING: StartupStep = {
  name: 'stop reading',
  opcode: Opcode.multiProtocolTagOp,
  bytes: commands.stopReading(),
  option: ReadingOption.stop,
};

export type FrameRejectCode = 'garbage' | 'bad-crc' | 'truncated';

export interface FrameParserOutput {
  frame(frame: Frame): void;
  /**
   * `garbage`: bytes outside any frame; `bad-crc`: a frame that failed its CRC; `truncated`: a
   * frame the line went quiet in the middle of. The bytes run up to where the next frame starts.
   */
  reject(code: FrameRejectCode, bytes: Buffer): void;
}

/**
 * Frames a byte stream of responses (from a module) or commands (to a module, for the
 * simulator). A frame starts at FF; its length byte says where it ends. A candidate whose CRC
 * fails is not trusted for its length either: the parser steps one byte past its FF and looks for
 * the next, so a frame cut short by noise does not swallow the good one after it. Nor is a
 * length trusted forever: a frame still incomplete when the line has been quiet for `stallMs`
 * was cut short, and the bytes after its FF are scanned again. Memory is bounded: at most one
 * longest frame is buffered, and a reject keeps at most `maxRejectBytes`.
 */
export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0);
  private junk: Buffer[] = [];
  private junkBytes = 0;
  private junkCode: FrameRejectCode = 'garbage';
  private stallTimer: NodeJS.Timeout | undefined;
  /** The driver stopped reading the line (back-pressure): its quiet is not a stall. */
  private held = false;

  constructor(
    private readonly kind: 'response' | 'command',
    private readonly out: FrameParserOutput,
    private readonly options: { readonly stallMs?: number; readonly maxRejectBytes?: number } = {},
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.scan();
  }

  /**
   * The driver paused the line: a frame cut off by the pause is not stalled, it is waiting.
   * `release()` when reading again; the stall is timed from then.
   */
  hold(): void {
    this.held = true;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  release(): void {
    this.held = false;
    this.armStall();
  }

  private armStall(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer =
      this.buffer.length > 0 && !this.held
        ? setTimeout(() => this.stalled(), this.options.stallMs ?? 100)
        : undefined;
  }

  /** Bytes of a frame not complete yet. */
  pending(): number {
    return this.buffer.length;
  }

  /** Forgets a partial frame and its timer: the device is gone, or the driver stops. */
  reset(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.buffer = Buffer.alloc(0);
    this.junk = [];
    this.junkBytes = 0;
  }

  private scan(): void {
    const buf = this.buffer;
    const overhead = this.kind === 'response' ? 7 : 5;
    let pos = 0;
    while (pos < buf.length) {
      const start = buf.indexOf(0xff, pos);
      if (start < 0) {
        this.discard(buf.subarray(pos), 'garbage');
        pos = buf.length;
        break;
      }
      if (start > pos) this.discard(buf.subarray(pos, start), 'garbage');
      pos = start;
      if (buf.length - start < 2) break;
      const total = buf[start + 1]! + overhead;
      if (buf.length - start < total) break;
      const end = start + total;
      if (messageCrc(buf, start + 1, end - 2) !== buf.readUInt16BE(end - 2)) {
        this.discard(buf.subarray(start, start + 1), 'bad-crc');
        pos = start + 1;
        continue;
      }
      this.flushJunk();
      const raw = Buffer.from(buf.subarray(start, end));
      const head = this.kind === 'response' ? 5 : 3;
      const status = this.kind === 'response' ? raw.readUInt16BE(3) : 0;
      this.out.frame({ opcode: raw[2]!, status, data: raw.subarray(head, total - 2), raw });
      pos = end;
    }
    this.buffer = Buffer.from(buf.subarray(pos));
    this.flushJunk();
    this.armStall();
  }

  private stalled(): void {
    this.stallTimer = undefined;
    if (this.buffer.length === 0) return;
    this.discard(this.buffer.subarray(0, 1), 'truncated');
    this.buffer = this.buffer.subarray(1);
    this.scan();
  }

  private discard(bytes: Buffer, code: FrameRejectCode): void {
    // Noise before a damaged frame is one reject; the damaged frame and what trails it, another.
    if (code !== 'garbage' && this.junkCode === 'garbage') this.flushJunk();
    if (this.junkBytes === 0) this.junkCode = code;
    const max = this.options.maxRejectBytes ?? MAX_DATA + 7;
    const room = max - this.junkBytes;
    if (room > 0) this.junk.push(Buffer.from(bytes.subarray(0, room)));
    this.junkBytes += bytes.length;
    if (this.junkBytes >= max) this.flushJunk();
  }

  private flushJunk(): void {
    if (this.junkBytes === 0) return;
    const bytes = Buffer.concat(this.junk);
    const code = this.junkCode;
    this.junk = [];
    this.junkBytes = 0;
    this.out.reject(code, bytes);
  }
}
