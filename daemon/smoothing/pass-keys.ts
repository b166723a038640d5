/**
 * The keys of the open passes and their bytes, off the JS heap: each slot's unit URI (UTF-8) and
 * first read's bytes sit side by side in one byte arena, and an open-addressing hash index (an
 * Int32Array of slot numbers, hashed on the read point and the URI's bytes) finds a pass by its
 * unit. A hundred thousand open passes are then a few typed arrays, not a hundred thousand
 * strings and a Map for the garbage collector to mark again and again; strings are made only
 * when a transition needs them (`uri`, `data`).
 *
 * Lookup and insert go in two steps: `find` encodes the URI once and keeps it, and `put` stores
 * the key of the last `find` that found nothing. Each slot's bytes go at the arena's end behind a
 * header (its slot and length); `remove` leaves them there. When the arena is full its live
 * bytes slide to its front in place, and it grows (to twice what is live) only when that leaves
 * it more than half full: in a steady flow of units the arena is one buffer, never replaced, and
 * each byte moves about once in its life.
 */

/** No slot. */
export const NO_SLOT = -1;

// Int32 fields of a slot.
const POINT = 0; // its read point's number
const HASH = 1;
const OFFSET = 2; // of its bytes in the arena: the URI, then the data
const URI_LENGTH = 3; // -1: no key (the slot is free)
const DATA_LENGTH = 4;
const FIELDS = 5;

const EMPTY = -1;
const MIN_ARENA = 16384;
/** A region's header in the arena: its slot and its length (URI and data), two Int32 words. */
const HEADER = 8;

/** A region's bytes in the arena: header, URI and data, padded so the next header is aligned. */
const regionOf = (length: number) => HEADER + ((length + 3) & ~3);

/** A zeroed arena whose start is 4-aligned, with an Int32 view of it for the headers. */
function newArena(size: number) {
  const buffer = new ArrayBuffer(size);
  return { bytes: Buffer.from(buffer), words: new Int32Array(buffer) };
}

export class PassKeys {
  private fields = new Int32Array(0);
  /** Slot numbers by hash, linear probing; EMPTY ends a run. At most half full. */
  private index = new Int32Array(16).fill(EMPTY);
  private mask = 15;
  private arena = newArena(0).bytes;
  private words = newArena(0).words;
  /** Where the next region goes in the arena. */
  private end = 0;
  private capacity = 0;
  // The key of the last `find`: its URI as UTF-8 in `scratch`, its length, read point and hash.
  private scratch = Buffer.alloc(256);
  private keyLength = 0;
  private keyPoint = 0;
  private keyHash = 0;

  /** Room for slots 0 .. capacity - 1 (never shrinks). */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const fields = new Int32Array(capacity * FIELDS);
    fields.set(this.fields);
    for (let slot = this.capacity; slot < capacity; slot++) fields[slot * FIELDS + URI_LENGTH] = -1;
    this.fields = fields;
    this.capacity = capacity;
    let size = 16;
    while (size < capacity * 2) size *= 2;
    if (size !== this.index.length) this.rehash(size);
  }

  /** The slot of `uri`'s pass at read point `point`, or NO_SLOT; keeps the key for `put`. */
  find(point: number, uri: string): number {
    if (uri.length * 3 > this.scratch.length) this.scratch = Buffer.alloc(uri.length * 3);
    const scratch = this.scratch;
    const length = scratch.write(uri, 0, 'utf8');
    let h = Math.imul(point ^ 0x811c9dc5, 0x01000193);
    for (let k = 0; k < length; k++) h = Math.imul(h ^ scratch[k]!, 0x01000193);
    h = mix(h);
    this.keyLength = length;
    this.keyPoint = point;
    this.keyHash = h;
    const { index, mask, fields, arena } = this;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const slot = index[at]!;
      if (slot === EMPTY) return NO_SLOT;
      const f = slot * FIELDS;
      if (fields[f + HASH] !== h || fields[f + POINT] !== point || fields[f + URI_LENGTH] !== length)
        continue;
      const offset = fields[f + OFFSET]!;
      let k = 0;
      while (k < length && arena[offset + k] === scratch[k]) k++;
      if (k === length) return slot;
    }
  }

  /**
   * Gives `slot` (free, within `grow`) the key of the last `find`, which found none (or whose
   * slot was removed since), and a copy of `data`.
   */
  put(slot: number, data: Buffer): void {
    const length = this.keyLength;
    const region = regionOf(length + data.length);
    if (this.end + region > this.arena.length) this.makeRoom(region);
    const f = slot * FIELDS;
    const { fields, arena, end } = this;
    this.words[end >> 2] = slot;
    this.words[(end >> 2) + 1] = length + data.length;
    this.scratch.copy(arena, end + HEADER, 0, length);
    data.copy(arena, end + HEADER + length);
    fields[f + POINT] = this.keyPoint;
    fields[f + HASH] = this.keyHash;
    fields[f + OFFSET] = end + HEADER;
    fields[f + URI_LENGTH] = length;
    fields[f + DATA_LENGTH] = data.length;
    this.end = end + region;
    this.insert(slot, this.keyHash);
  }

  /** Takes `slot`'s key out of the index; its bytes are left for the next move. */
  remove(slot: number): void {
    const { index, mask, fields } = this;
    const f = slot * FIELDS;
    let hole = fields[f + HASH]! & mask;
    while (index[hole] !== slot) hole = (hole + 1) & mask;
    // Backward shift: a later entry of the run whose home is not between the hole and it moves
    // into the hole, so every run stays unbroken and no tombstones pile up.
    for (let at = (hole + 1) & mask; ; at = (at + 1) & mask) {
      const other = index[at]!;
      if (other === EMPTY) break;
      const home = fields[other * FIELDS + HASH]! & mask;
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        index[hole] = other;
        hole = at;
      }
    }
    index[hole] = EMPTY;
    fields[f + URI_LENGTH] = -1;
  }

  /** The unit URI of `slot`'s pass. */
  uri(slot: number): string {
    const f = slot * FIELDS;
    const offset = this.fields[f + OFFSET]!;
    return this.arena.toString('utf8', offset, offset + this.fields[f + URI_LENGTH]!);
  }

  /** The first read's bytes of `slot`'s pass, as latin1. */
  data(slot: number): string {
    const f = slot * FIELDS;
    const offset = this.fields[f + OFFSET]! + this.fields[f + URI_LENGTH]!;
    return this.arena.toString('latin1', offset, offset + this.fields[f + DATA_LENGTH]!);
  }

  /** Bytes of the typed arrays and the arena. */
  get bytes(): number {
    return this.fields.byteLength + this.index.byteLength + this.arena.length + this.scratch.length;
  }

  private insert(slot: number, hash: number): void {
    const { index, mask } = this;
    let at = hash & mask;
    while (index[at] !== EMPTY) at = (at + 1) & mask;
    index[at] = slot;
  }

  private rehash(size: number): void {
    this.index = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    const { fields } = this;
    for (let slot = 0; slot < this.capacity; slot++)
      if (fields[slot * FIELDS + URI_LENGTH]! >= 0) this.insert(slot, fields[slot * FIELDS + HASH]!);
  }

  /**
   * Room for a region of `region` bytes at the arena's end: the live regions slide to the front
   * (a region is live when its slot is keyed and points at it), then the arena grows to twice
   * what it holds if it is more than half full.
   */
  private makeRoom(region: number): void {
    const { fields, arena, words } = this;
    let to = 0;
    for (let at = 0; at < this.end; ) {
      const slot = words[at >> 2]!;
      const size = regionOf(words[(at >> 2) + 1]!);
      const f = slot * FIELDS;
      if (fields[f + URI_LENGTH]! >= 0 && fields[f + OFFSET] === at + HEADER) {
        if (to !== at) arena.copyWithin(to, at, at + size);
        fields[f + OFFSET] = to + HEADER;
        to += size;
      }
      at += size;
    }
    this.end = to;
    if ((to + region) * 2 <= arena.length) return;
    const next = newArena(Math.max(MIN_ARENA, 2 * (to + region)));
    arena.copy(next.bytes, 0, 0, to);
    this.arena = next.bytes;
    this.words = next.words;
  }
}

/** Spreads a hash's bits over its low ones (the index uses those). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
