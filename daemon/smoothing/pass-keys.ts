/**
 * The keys of the open passes and their bytes, off the JS heap: each slot's unit URI (UTF-8) and
 * first read's bytes sit side by side in one byte arena, and an open-addressing hash index (an
 * Int32Array of slot numbers, hashed on the read point and the URI's bytes) finds a pass by its
 * unit. A hundred thousand open passes are then a few typed arrays, not a hundred thousand
 * strings and a Map for the garbage collector to mark again and again; strings are made only
 * when a transition needs them (`uri`, `data`).
 *
 * Lookup and insert go in two steps: `find` encodes the URI once and keeps it, and `put` stores
 * the key of the last `find` that found nothing. A slot's place in the arena is given up by
 * `remove`; when the arena is full its live bytes move to a new one (twice their size), so the
 * arena stays within twice the bytes of the open passes and each byte moves about once per life.
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

export class PassKeys {
  private fields = new Int32Array(0);
  /** Slot numbers by hash, linear probing; EMPTY ends a run. At most half full. */
  private index = new Int32Array(16).fill(EMPTY);
  private mask = 15;
  private arena = Buffer.alloc(0);
  /** Where the next bytes go in the arena. */
  private end = 0;
  /** Bytes of the arena that belong to a key. */
  private live = 0;
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
    const need = length + data.length;
    if (this.end + need > this.arena.length) this.relocate(need);
    const f = slot * FIELDS;
    const { fields, arena } = this;
    this.scratch.copy(arena, this.end, 0, length);
    data.copy(arena, this.end + length);
    fields[f + POINT] = this.keyPoint;
    fields[f + HASH] = this.keyHash;
    fields[f + OFFSET] = this.end;
    fields[f + URI_LENGTH] = length;
    fields[f + DATA_LENGTH] = data.length;
    this.end += need;
    this.live += need;
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
    this.live -= fields[f + URI_LENGTH]! + fields[f + DATA_LENGTH]!;
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

  /** Moves the live bytes to a new arena with room for as much again and `need`. */
  private relocate(need: number): void {
    const arena = Buffer.alloc(Math.max(MIN_ARENA, 2 * (this.live + need)));
    const { fields } = this;
    let end = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const f = slot * FIELDS;
      const uriLength = fields[f + URI_LENGTH]!;
      if (uriLength < 0) continue;
      const offset = fields[f + OFFSET]!;
      const length = uriLength + fields[f + DATA_LENGTH]!;
      this.arena.copy(arena, end, offset, offset + length);
      fields[f + OFFSET] = end;
      end += length;
    }
    this.arena = arena;
    this.end = end;
  }
}

/** Spreads a hash's bits over its low ones (the index uses those). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
