/**
 * The tag record a reading module streams in each 0x22 answer with status 0. Its data (frame
 * bytes 5 on) is: option byte, search flags (2), metadata flags (2), response type (1), then the
 * metadata fields the flags name, in flag-bit order, then the tag: EPC bit length (2, counting PC,
 * EPC and tag CRC), PC (2), XPC words if the PC says so, EPC, tag CRC (2). The fields present
 * depend on the flags, so they are read by the flags, never at fixed offsets; the tag CRC then
 * proves both that the tag was heard right and that the record was cut right. Counted from the
 * frame's FF, as READERS.md and the Mercury API count, the metadata flags are bytes 8-9 and the
 * response type (1 for a tag: READERS.md's "tag count") byte 10.
 */
import { gen2Crc } from './crc.js';
import { GEN2 } from './frames.js';

export const Metadata = {
  readCount: 0x0001,
  rssi: 0x0002,
  antenna: 0x0004,
  frequency: 0x0008,
  timestamp: 0x0010,
  phase: 0x0020,
  protocol: 0x0040,
  embeddedData: 0x0080,
  gpio: 0x0100,
  gen2Q: 0x0200,
  gen2LinkFrequency: 0x0400,
  gen2Target: 0x0800,
  brandId: 0x1000,
} as const;

/** Flags this parser knows; a record with any other (0x2000 tag type, HF/LF only) cannot be cut. */
const KNOWN = Object.values(Metadata).reduce((all, flag) => all | flag, 0);

/** The option bit saying the metadata flags follow the search flags. */
const WITH_METADATA = 0x10;

/** Response types: what the record after the flags is. */
export const ResponseType = { cycleEnd: 0x00, tag: 0x01, statusReport: 0x02 } as const;

export interface TagRecord {
  readonly metadataFlags: number;
  readonly readCount?: number;
  /** Signed dBm. */
  readonly rssi?: number;
  /** Transmitting and receiving port, 1-based (the high and low nibble of the byte). */
  readonly antenna?: { readonly tx: number; readonly rx: number };
  readonly frequencyKhz?: number;
  /** Milliseconds since the module started reading. */
  readonly timestampMs?: number;
  readonly phase?: number;
  readonly protocol?: number;
  /** Data read by an embedded tag operation: its length in bits, and the bytes. */
  readonly embeddedData?: { readonly bits: number; readonly bytes: Buffer };
  readonly gpio?: number;
  readonly gen2Q?: number;
  readonly gen2LinkFrequency?: number;
  readonly gen2Target?: number;
  readonly brandId?: number;
  readonly pc: number;
  /** XPC_W1 and XPC_W2 when the PC announces them. */
  readonly xpc: readonly number[];
  readonly epc: Buffer;
  readonly tagCrc: number;
}

export type StreamRecord =
  | { readonly type: 'tag'; readonly tag: TagRecord }
  | { readonly type: 'cycle-end' | 'status-report' }
  | {
      readonly type: 'invalid';
      readonly code: 'truncated' | 'tag-crc' | 'bad-record';
      readonly message: string;
    };

class Truncated extends Error {}

/**
 * A cursor over the record that refuses to read past its end. Numbers are read in place: a
 * module streams thousands of records a second, and a Buffer view per field is what cost most.
 */
class Cursor {
  at = 0;
  constructor(private readonly bytes: Buffer) {}
  private need(n: number): number {
    const at = this.at;
    if (at + n > this.bytes.length) {
      throw new Truncated(`record ends at byte ${this.bytes.length}, needed ${at + n}`);
    }
    this.at = at + n;
    return at;
  }
  take(n: number): Buffer {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  u8(): number {
    return this.bytes[this.need(1)]!;
  }
  i8(): number {
    const v = this.u8();
    return v > 0x7f ? v - 0x100 : v;
  }
  u16(): number {
    const at = this.need(2);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }
  u24(): number {
    const at = this.need(3);
    return (this.bytes[at]! << 16) | (this.bytes[at + 1]! << 8) | this.bytes[at + 2]!;
  }
  u32(): number {
    const at = this.need(4);
    return (
      this.bytes[at]! * 0x1000000 +
      ((this.bytes[at + 1]! << 16) | (this.bytes[at + 2]! << 8) | this.bytes[at + 3]!)
    );
  }
}

/** Parses the data of a 0x22 answer with status 0. Never throws: what cannot be read is `invalid`. */
export function parseStreamRecord(data: Buffer): StreamRecord {
  const at = new Cursor(data);
  try {
    const option = at.u8();
    at.u16(); // search flags, as sent
    const flags = option & WITH_METADATA ? at.u16() : 0;
    const type = at.u8();
    if (type === ResponseType.cycleEnd) return { type: 'cycle-end' };
    if (type === ResponseType.statusReport) return { type: 'status-report' };
    if (type !== ResponseType.tag) return invalid('bad-record', `unknown response type 0x${hex2(type)}`);
    if (flags & ~KNOWN)
      return invalid('bad-record', `unknown metadata flags 0x${(flags & ~KNOWN).toString(16)}`);
    return readTag(at, flags);
  } catch (err) {
    if (err instanceof Truncated) return invalid('truncated', `truncated tag record: ${err.message}`);
    throw err;
  }
}

function readTag(at: Cursor, flags: number): StreamRecord {
  // Built in place, fields in flag order: one object whose shape repeats record after record.
  const m: { -readonly [K in keyof TagRecord]: TagRecord[K] } = {
    metadataFlags: flags,
    pc: 0,
    xpc: NO_XPC,
    epc: NO_EPC,
    tagCrc: 0,
  };
  if (flags & Metadata.readCount) m.readCount = at.u8();
  if (flags & Metadata.rssi) m.rssi = at.i8();
  if (flags & Metadata.antenna) {
    const ports = at.u8();
    m.antenna = { tx: ports >> 4, rx: ports & 0x0f };
  }
  if (flags & Metadata.frequency) m.frequencyKhz = at.u24();
  if (flags & Metadata.timestamp) m.timestampMs = at.u32();
  if (flags & Metadata.phase) m.phase = at.u16();
  if (flags & Metadata.protocol) m.protocol = at.u8();
  if (flags & Metadata.embeddedData) {
    const bits = at.u16();
    m.embeddedData = { bits, bytes: Buffer.from(at.take(Math.ceil(bits / 8))) };
  }
  if (flags & Metadata.gpio) m.gpio = at.u8();
  if (flags & Metadata.gen2Q) m.gen2Q = at.u8();
  if (flags & Metadata.gen2LinkFrequency) m.gen2LinkFrequency = at.u8();
  if (flags & Metadata.gen2Target) m.gen2Target = at.u8();
  // As READERS.md lists it. The Mercury API also drops 2 bytes from the end of the EPC when this
  // flag is set; no capture shows which is right, and the driver never asks for it.
  if (flags & Metadata.brandId) m.brandId = at.u16();
  if (m.protocol !== undefined && m.protocol !== GEN2) {
    return invalid('bad-record', `protocol 0x${hex2(m.protocol)} is not Gen2`);
  }

  const bits = at.u16();
  const length = Math.ceil(bits / 8);
  if (length < 4) return invalid('bad-record', `a tag of ${bits} bits cannot hold a PC and a CRC`);
  const tag = at.take(length);
  const pc = tag.readUInt16BE(0);
  // PC bit 9 (XI) announces XPC_W1; its top bit (XEB) announces XPC_W2.
  let xpc = NO_XPC;
  if (pc & 0x0200 && length >= 6) {
    const w1 = tag.readUInt16BE(2);
    xpc = w1 & 0x8000 && length >= 8 ? [w1, tag.readUInt16BE(4)] : [w1];
  }
  const epcStart = 2 + 2 * xpc.length;
  const tagCrc = tag.readUInt16BE(length - 2);
  const computed = gen2Crc(tag, 0, length - 2);
  if (computed !== tagCrc) {
    return invalid(
      'tag-crc',
      `tag CRC 0x${hex4(tagCrc)} does not match its PC and EPC (0x${hex4(computed)})`,
    );
  }
  m.pc = pc;
  m.xpc = xpc;
  m.epc = Buffer.from(tag.subarray(epcStart, length - 2));
  m.tagCrc = tagCrc;
  return { type: 'tag', tag: m };
}

const NO_XPC: readonly number[] = [];
const NO_EPC = Buffer.alloc(0);

const invalid = (code: 'truncated' | 'tag-crc' | 'bad-record', message: string): StreamRecord => ({
  type: 'invalid',
  code,
  message,
});
const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** What a tag record says; fields its flags name but it leaves out are sent as zeros. */
export type TagRecordInput = Partial<Omit<TagRecord, 'metadataFlags' | 'epc' | 'xpc'>> & {
  readonly epc: Buffer;
  readonly xpc?: readonly number[];
};

/** The PC word of a plain Gen2 tag: its EPC length in words in the top 5 bits, no flags. */
export const plainPc = (epc: Buffer): number => (Math.ceil(epc.length / 2) & 0x1f) << 11;

/**
 * The data of a streamed tag record (the simulator sends it, tests feed it to the parser). The
 * tag CRC is computed unless `tagCrc` is given (a test's way to send a misheard tag).
 */
export function encodeTagRecord(flags: number, r: TagRecordInput): Buffer {
  const parts: Buffer[] = [
    Buffer.from([WITH_METADATA, 0x00, 0x1b, flags >> 8, flags & 0xff, ResponseType.tag]),
  ];
  const put = (size: number, value: number, signed = false) => {
    const b = Buffer.alloc(size);
    if (signed) b.writeIntBE(value, 0, size);
    else b.writeUIntBE(value, 0, size);
    parts.push(b);
  };
  if (flags & Metadata.readCount) put(1, r.readCount ?? 1);
  if (flags & Metadata.rssi) put(1, r.rssi ?? 0, true);
  if (flags & Metadata.antenna) put(1, ((r.antenna?.tx ?? 1) << 4) | (r.antenna?.rx ?? 1));
  if (flags & Metadata.frequency) put(3, r.frequencyKhz ?? 0);
  if (flags & Metadata.timestamp) put(4, r.timestampMs ?? 0);
  if (flags & Metadata.phase) put(2, r.phase ?? 0);
  if (flags & Metadata.protocol) put(1, r.protocol ?? GEN2);
  if (flags & Metadata.embeddedData) {
    put(2, r.embeddedData?.bits ?? 0);
    parts.push(r.embeddedData?.bytes ?? Buffer.alloc(0));
  }
  if (flags & Metadata.gpio) put(1, r.gpio ?? 0);
  if (flags & Metadata.gen2Q) put(1, r.gen2Q ?? 0);
  if (flags & Metadata.gen2LinkFrequency) put(1, r.gen2LinkFrequency ?? 0);
  if (flags & Metadata.gen2Target) put(1, r.gen2Target ?? 0);
  if (flags & Metadata.brandId) put(2, r.brandId ?? 0);
  const words = [r.pc ?? plainPc(r.epc), ...(r.xpc ?? [])];
  const head = Buffer.alloc(2 * words.length);
  for (const [i, word] of words.entries()) head.writeUInt16BE(word, 2 * i);
  const body = Buffer.concat([head, r.epc]);
  put(2, (body.length + 2) * 8);
  parts.push(body);
  put(2, r.tagCrc ?? gen2Crc(body));
  return Buffer.concat(parts);
}
