/**
 * The last minutes of one reader's raw reads, for `readpoint record --ring`: what the reader saw
 * just before a technician noticed something. Bounded twice: reads older than the window are let
 * go as time moves on, and the oldest are let go early (counted in `dropped`) when the ring's
 * bytes are full.
 *
 * The reads sit as records in one circular byte buffer of `maxBytes` (its pages are taken by the
 * system only as they are first written): a record is RECORD_HEAD bytes of fields and the read's
 * bytes. Keeping a read copies its bytes and allocates nothing, so the read path pays little; the
 * capture lines are made only when the ring is written out.
 */
import type { RawRead } from '../../drivers/driver.js';
import { readLine } from './capture-format.js';

export interface RingLimits {
  /** How far back the ring reaches, ms of monotonic time. */
  readonly windowMs: number;
  /** The ring's buffer, bytes. */
  readonly maxBytes: number;
}

// A record: wall ms f64, monotonic ms f64, RSSI f64 (NaN: none), PC i32 (-1: none), antenna u16
// (0: none), kind u8 (1 epc, 0 barcode), a spare byte, the read's length u32, then its bytes.
const AT = 0;
const MONO = 8;
const RSSI = 16;
const PC = 24;
const ANTENNA = 28;
const KIND = 30;
const LENGTH = 32;
/** The fields of a record before the read's bytes. */
export const RECORD_HEAD = 36;

export class CaptureRing {
  private readonly buf: Buffer;
  /** Where the oldest record starts, and where the next one goes. */
  private head = 0;
  private tail = 0;
  /** While the records wrap around: where those at the end stop (the rest start at 0). */
  private wrapEnd = -1;
  private count = 0;
  private droppedCount = 0;

  constructor(readonly limits: RingLimits) {
    this.buf = Buffer.allocUnsafe(limits.maxBytes);
  }

  /** Reads let go before their time because the ring was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Reads held now. */
  get size(): number {
    return this.count;
  }

  /** Keeps a read (its bytes are copied); a read larger than the whole ring is dropped, counted. */
  add(read: RawRead): void {
    const size = RECORD_HEAD + read.data.length;
    this.trim(read.mono);
    if (size > this.buf.length) {
      this.droppedCount++;
      return;
    }
    let at = this.place(size);
    while (at < 0) {
      this.letGo();
      this.droppedCount++;
      at = this.place(size);
    }
    const b = this.buf;
    b.writeDoubleLE(read.at, at + AT);
    b.writeDoubleLE(read.mono, at + MONO);
    b.writeDoubleLE(read.rssi ?? Number.NaN, at + RSSI);
    b.writeInt32LE(read.pc ?? -1, at + PC);
    b.writeUInt16LE(read.antenna ?? 0, at + ANTENNA);
    b[at + KIND] = read.kind === 'epc' ? 1 : 0;
    b.writeUInt32LE(read.data.length, at + LENGTH);
    read.data.copy(b, at + RECORD_HEAD);
    this.tail = at + size;
    this.count++;
  }

  /**
   * The capture lines of the reads of the last `windowMs` as of monotonic `now`, oldest first,
   * with offsets from `originMono`.
   */
  lines(now: number, originMono: number, readerId: string): string[] {
    this.trim(now);
    const out: string[] = [];
    const b = this.buf;
    let at = this.head;
    for (let i = 0; i < this.count; i++) {
      if (at === this.wrapEnd) at = 0;
      const length = b.readUInt32LE(at + LENGTH);
      const rssi = b.readDoubleLE(at + RSSI);
      const pc = b.readInt32LE(at + PC);
      const antenna = b.readUInt16LE(at + ANTENNA);
      const read: RawRead = {
        readerId,
        kind: b[at + KIND] === 1 ? 'epc' : 'barcode',
        data: b.subarray(at + RECORD_HEAD, at + RECORD_HEAD + length),
        at: b.readDoubleLE(at + AT),
        mono: b.readDoubleLE(at + MONO),
        ...(antenna !== 0 ? { antenna } : {}),
        ...(Number.isNaN(rssi) ? {} : { rssi }),
        ...(pc >= 0 ? { pc } : {}),
      };
      out.push(readLine(read, originMono));
      at += RECORD_HEAD + length;
    }
    return out;
  }

  /** Where a record of `size` bytes can go now, or -1 when the oldest must go first. */
  private place(size: number): number {
    if (this.count === 0) {
      this.head = 0;
      this.wrapEnd = -1;
      return 0;
    }
    if (this.wrapEnd < 0) {
      if (this.tail + size <= this.buf.length) return this.tail;
      if (size > this.head) return -1;
      // Wraps around: the records at the end stop at the tail.
      this.wrapEnd = this.tail;
      return 0;
    }
    return this.tail + size <= this.head ? this.tail : -1;
  }

  /** Lets the oldest read go. */
  private letGo(): void {
    this.head += RECORD_HEAD + this.buf.readUInt32LE(this.head + LENGTH);
    this.count--;
    if (this.head === this.wrapEnd) {
      this.head = 0;
      this.wrapEnd = -1;
    }
    if (this.count === 0) {
      this.head = 0;
      this.tail = 0;
      this.wrapEnd = -1;
    }
  }

  private trim(now: number): void {
    const oldest = now - this.limits.windowMs;
    while (this.count > 0 && this.buf.readDoubleLE(this.head + MONO) < oldest) this.letGo();
  }
}
