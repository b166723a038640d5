/**
 * The open passes of every read point, in one compact table: a pass is a slot number, its times
 * and counts sit in typed arrays, its unit URI and first read's bytes in a byte arena with a hash
 * index to find it by its unit (pass-keys.ts). A tracked pass costs no object and no string on
 * the JS heap, so the smoother's memory is its bound (`maxTracked`) times a small, measured size
 * (`BYTES_PER_PASS`), and it stays out of the garbage collector's way.
 *
 * A slot number is valid from `open` until `close`; a closed slot is reused by a later `open`,
 * so a transition carries a `Pass` snapshot taken at once, never the slot.
 */
import type { DecodeFormat } from '../identity/decode.js';
import { type Direction, Pass, type UnitRead, type Zone } from './pass.js';
import { NO_SLOT, PassKeys } from './pass-keys.js';

/**
 * Bytes one tracked pass costs, all in typed arrays and the byte arena (measured with SGTIN-96
 * tags at 107,374 open passes: 246, of which 4 on the JS heap): its times, counts and links, its
 * key's fields and index entry, and its URI and first read (with an 8-byte header) in an arena
 * up to twice their size. Longer URIs (Digital Link, about 60 bytes) take a few dozen more.
 */
export const BYTES_PER_PASS = 250;

// Float64 fields of a slot.
const FIRST_MONO = 0;
const FIRST_AT = 1;
const LAST_MONO = 2;
const LAST_AT = 3;
const REPORTED_MONO = 4;
const RSSI = 5; // NaN: none
const F64 = 6;
// Int32 fields of a slot.
const READS = 0;
const ANTENNA = 1; // NONE: none
const PC = 2; // NONE: none
const ZONED = 3;
const OUT_OF_ORDER = 4;
const READER = 5; // index into `readers`
const FORMAT = 6; // index into `formats`
const LINKS = 7; // 4 links: next and previous in two orders (see `PassOrder`); of a free slot, the next free
const I32 = 11;
const NONE = -2147483648;
// Flag bits of a slot.
const EPC = 1;
const FIRST_INSIDE = 2;
const FIRST_OUTSIDE = 4;
const OTHER_SEEN = 8;
const FIXTURE = 16;
const IN_ORDER = [32, 64] as const; // in the order of link 0, link 1

/**
 * A few values (readers, formats) by number. A value once seen keeps its number for the table's
 * life: a live reload brings new format objects, a handful each time.
 */
class Interned<T> {
  private readonly values: T[] = [];
  private readonly numbers = new Map<T, number>();

  index(value: T): number {
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.values.push(value) - 1;
      this.numbers.set(value, n);
    }
    return n;
  }

  at(n: number): T {
    return this.values[n] as T;
  }
}

/** No slot: the end of an order, or no pass found. */
export const NIL = NO_SLOT;

/**
 * An order of passes kept in the table's own links (no entry objects, no holes to skip): which
 * of the two link pairs it uses, and its ends. A read point keeps its recency order in link 0
 * and, with presence reports, its report order in link 1.
 */
export interface PassOrder {
  readonly link: 0 | 1;
  head: number;
  tail: number;
}

export const newOrder = (link: 0 | 1): PassOrder => ({ link, head: NIL, tail: NIL });

export class PassTable {
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private flags = new Uint8Array(0);
  private readonly keys = new PassKeys();
  private capacity = 0;
  /** Slots never used yet start here; closed ones wait in a list from `free`. */
  private unused = 0;
  private free = NIL;
  private points = 0;
  // Readers and their formats are few: a slot keeps their index, not a reference of its own.
  private readonly readers = new Interned<string>();
  private readonly formats = new Interned<DecodeFormat>();

  /** `expected`: the most passes open at once, as far as known (the arrays grow to it exactly). */
  constructor(private readonly expected: number) {}

  /** A number for a new read point: the passes of one are found apart from another's. */
  newPoint(): number {
    return this.points++;
  }

  /** The open pass of `uri` at read point `point`, or NIL. */
  find(point: number, uri: string): number {
    return this.keys.find(point, uri);
  }

  /**
   * Opens a pass with its first read; returns its slot. Its key is that of the last `find`, which
   * must have been of this read's unit and read point and found no pass (or one closed since).
   */
  open(read: UnitRead): number {
    let slot = this.free;
    if (slot === NIL) slot = this.fresh();
    else this.free = this.i32[slot * I32 + LINKS]!;
    const f = slot * F64;
    const i = slot * I32;
    this.f64[f + FIRST_MONO] = this.f64[f + LAST_MONO] = this.f64[f + REPORTED_MONO] = read.mono;
    this.f64[f + FIRST_AT] = this.f64[f + LAST_AT] = read.at;
    this.f64[f + RSSI] = read.rssi ?? Number.NaN;
    this.i32[i + READS] = 1;
    this.i32[i + ANTENNA] = read.antenna ?? NONE;
    this.i32[i + PC] = read.raw.pc ?? NONE;
    this.i32[i + ZONED] = this.i32[i + OUT_OF_ORDER] = 0;
    this.flags[slot] = read.raw.kind === 'epc' ? EPC : 0;
    this.keys.put(slot, read.raw.data);
    this.i32[i + READER] = this.readers.index(read.readerId);
    this.i32[i + FORMAT] = this.formats.index(read.raw.format);
    this.zone(slot, read.zone);
    return slot;
  }

  /** Folds a later read of the same unit at the same read point into the pass. */
  see(slot: number, read: UnitRead): void {
    const f = slot * F64;
    const i = slot * I32;
    this.f64[f + LAST_MONO] = read.mono;
    this.f64[f + LAST_AT] = read.at;
    this.i32[i + READS]!++;
    const best = this.f64[f + RSSI]!;
    const none = Number.isNaN(best);
    if (read.rssi !== undefined && (none || read.rssi > best)) {
      this.f64[f + RSSI] = read.rssi;
      this.strongest(slot, read);
    } else if (none) this.strongest(slot, read);
    this.zone(slot, read.zone);
  }

  /** Frees the slot (its key and bytes go with it); the pass must be in no order. */
  close(slot: number): void {
    this.keys.remove(slot);
    this.i32[slot * I32 + LINKS] = this.free;
    this.free = slot;
  }

  /** The pass after `slot` in `order`, or NIL. */
  next(order: PassOrder, slot: number): number {
    return this.i32[slot * I32 + LINKS + order.link * 2]!;
  }

  /** Puts `slot` at the end of `order` (the pass must not be in it). */
  append(order: PassOrder, slot: number): void {
    this.flags[slot]! |= IN_ORDER[order.link];
    const at = slot * I32 + LINKS + order.link * 2;
    this.i32[at] = NIL;
    this.i32[at + 1] = order.tail;
    if (order.tail === NIL) order.head = slot;
    else this.i32[order.tail * I32 + LINKS + order.link * 2] = slot;
    order.tail = slot;
  }

  /** Takes `slot` out of `order`, if it is in it. */
  remove(order: PassOrder, slot: number): void {
    const bit = IN_ORDER[order.link];
    if ((this.flags[slot]! & bit) === 0) return;
    this.flags[slot]! &= ~bit;
    const at = slot * I32 + LINKS + order.link * 2;
    const next = this.i32[at]!;
    const prev = this.i32[at + 1]!;
    if (prev === NIL) order.head = next;
    else this.i32[prev * I32 + LINKS + order.link * 2] = next;
    if (next === NIL) order.tail = prev;
    else this.i32[next * I32 + LINKS + order.link * 2 + 1] = prev;
  }

  /** Moves `slot` to the end of `order`. */
  moveToEnd(order: PassOrder, slot: number): void {
    if (order.tail === slot) return;
    this.remove(order, slot);
    this.append(order, slot);
  }

  firstMono(slot: number): number {
    return this.f64[slot * F64 + FIRST_MONO]!;
  }

  lastMono(slot: number): number {
    return this.f64[slot * F64 + LAST_MONO]!;
  }

  lastAt(slot: number): number {
    return this.f64[slot * F64 + LAST_AT]!;
  }

  /** Monotonic ms of the last event about this pass (its arrival or a presence report). */
  reportedMono(slot: number): number {
    return this.f64[slot * F64 + REPORTED_MONO]!;
  }

  reported(slot: number, mono: number): void {
    this.f64[slot * F64 + REPORTED_MONO] = mono;
  }

  /** The unit URI of the pass (one string made; the rest of the pass stays in the table). */
  uri(slot: number): string {
    return this.keys.uri(slot);
  }

  /** Seen without a break for the read point's static time: a fixture, no longer reported. */
  isFixture(slot: number): boolean {
    return (this.flags[slot]! & FIXTURE) !== 0;
  }

  markFixture(slot: number): void {
    this.flags[slot]! |= FIXTURE;
  }

  /** The pass as it stands now, for a transition's event. */
  snapshot(slot: number): Pass {
    const f = slot * F64;
    const i = slot * I32;
    const rssi = this.f64[f + RSSI]!;
    const antenna = this.i32[i + ANTENNA]!;
    const pc = this.i32[i + PC]!;
    return new Pass(
      this.keys.uri(slot),
      this.readers.at(this.i32[i + READER]!),
      antenna === NONE ? undefined : antenna,
      Number.isNaN(rssi) ? undefined : rssi,
      this.f64[f + FIRST_AT]!,
      this.f64[f + LAST_AT]!,
      this.i32[i + READS]!,
      this.keys.data(slot),
      (this.flags[slot]! & EPC) !== 0 ? 'epc' : 'barcode',
      pc === NONE ? undefined : pc,
      this.formats.at(this.i32[i + FORMAT]!),
    );
  }

  /**
   * The pass `read` has just opened, as `snapshot` would give it, taken from the read itself: its
   * URI and first read are the read's own, so no string is made from the arena.
   */
  arrival(read: UnitRead): Pass {
    const { raw, rssi } = read;
    return new Pass(
      read.identity.uri,
      read.readerId,
      read.antenna,
      rssi === undefined || Number.isNaN(rssi) ? undefined : rssi,
      read.at,
      read.at,
      1,
      raw.data,
      raw.kind,
      raw.pc,
      raw.format,
    );
  }

  /**
   * The direction by the order of first sightings: outside then inside is inbound, inside then
   * outside outbound; seen in one zone only, unknown. The confidence is the share of zoned reads
   * that agree with that order (1 when every read of the first zone came before the first read of
   * the other), rounded to two decimals; 0 when unknown.
   */
  direction(slot: number): { direction: Direction; confidence: number } {
    const flags = this.flags[slot]!;
    if ((flags & OTHER_SEEN) === 0) return { direction: 'unknown', confidence: 0 };
    const zoned = this.i32[slot * I32 + ZONED]!;
    const outOfOrder = this.i32[slot * I32 + OUT_OF_ORDER]!;
    const confidence = Math.round(((zoned - outOfOrder) / zoned) * 100) / 100;
    return { direction: (flags & FIRST_OUTSIDE) !== 0 ? 'inbound' : 'outbound', confidence };
  }

  private strongest(slot: number, read: UnitRead): void {
    this.i32[slot * I32 + ANTENNA] = read.antenna ?? NONE;
    this.i32[slot * I32 + READER] = this.readers.index(read.readerId);
  }

  private zone(slot: number, zone: Zone | undefined): void {
    if (!zone) return;
    this.i32[slot * I32 + ZONED]!++;
    const flags = this.flags[slot]!;
    const bit = zone === 'inside' ? FIRST_INSIDE : FIRST_OUTSIDE;
    if ((flags & (FIRST_INSIDE | FIRST_OUTSIDE)) === 0) this.flags[slot] = flags | bit;
    else if ((flags & bit) === 0) this.flags[slot] = flags | OTHER_SEEN;
    else if ((flags & OTHER_SEEN) !== 0) this.i32[slot * I32 + OUT_OF_ORDER]!++;
  }

  /**
   * A slot never used: the arrays double when full, up to the number expected (beyond it, when the
   * bound is briefly passed, by one slot's worth at a time). They never shrink.
   */
  private fresh(): number {
    if (this.unused === this.capacity) {
      const doubled = Math.max(256, this.capacity * 2);
      const capacity = this.capacity < this.expected ? Math.min(doubled, this.expected) : this.capacity + 16;
      const f64 = new Float64Array(capacity * F64);
      f64.set(this.f64);
      const i32 = new Int32Array(capacity * I32);
      i32.set(this.i32);
      const flags = new Uint8Array(capacity);
      flags.set(this.flags);
      this.f64 = f64;
      this.i32 = i32;
      this.flags = flags;
      this.capacity = capacity;
      this.keys.grow(capacity);
    }
    return this.unused++;
  }
}
