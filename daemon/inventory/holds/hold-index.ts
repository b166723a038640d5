/**
 * The hold index: every hold entry of every list as 16 bytes in an open-addressing hash table
 * of typed arrays (off the JS heap), looked up on the read path in constant time. A slot keeps
 * two 32-bit hashes of the entry's match key, its list and kind, a range's place and its expiry;
 * the entry's text (reason, reference) stays in LevelDB and is read only on a hit. Two different
 * keys share both hashes with a chance of 2^-64; the hit is checked against the stored entry
 * before its alert.
 */
import type { IndexedHold } from './hold-book.js';
import {
  entryName,
  HOLD_KINDS,
  HOLD_LISTS,
  type HoldEntry,
  type HoldKind,
  type HoldList,
  rangeOf,
} from './hold-entry.js';

/** A unit as the index looks it up (a subset of `UnitIdentity`). */
export interface UnitKeys {
  readonly uri: string;
  readonly gtin?: string;
  readonly serial?: string;
  readonly lot?: string;
  readonly sscc?: string;
}

/** One entry that matched: enough to find it in LevelDB. */
export interface HoldHit {
  readonly list: HoldList;
  readonly kind: HoldKind;
  readonly key: string;
  readonly range?: readonly [number, number];
}

const WORDS = 4;
const EMPTY = 0;
const TOMB = 0xffffffff;
const MAX_LOAD = 0.75;

function hash1(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hash2(key: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return (h ^ key.length) >>> 0;
}

/**
 * Serial ranges are indexed by block, so that many ranges of one GTIN do not share one probe
 * chain: a range is put under each block of serials it touches, at the finest of these block
 * sizes where that is at most 4 blocks; a lookup probes the unit's block at each size in use.
 */
const RANGE_BLOCKS = [16, 24, 32, 40, 48, 53].map((bits) => 2 ** bits);

function rangeLevel(lo: number, hi: number): number {
  for (let l = 0; l < RANGE_BLOCKS.length - 1; l++) {
    const size = RANGE_BLOCKS[l]!;
    if (Math.floor(hi / size) - Math.floor(lo / size) < 4) return l;
  }
  return RANGE_BLOCKS.length - 1;
}

const blockKey = (key: string, level: number, block: number) => `${key}|${level}|${block}`;

export class HoldIndex {
  private slots = new Uint32Array(1024 * WORDS);
  private mask = 1023;
  /** Slots taken, tombstones included; slots live; entries (a range may take several slots). */
  private used = 0;
  private live = 0;
  /** Live slots by list (indexed by the list's number in a slot, 1-3). */
  private readonly liveOf = new Uint32Array(HOLD_LISTS.length + 1);
  private entries = 0;
  /** Serial ranges' bounds, two numbers a range; none allocated until the first range. */
  private ranges = new Float64Array(0);
  private rangeCount = 0;
  private readonly byKind = new Uint32Array(HOLD_KINDS.length);
  /** Bit n set: some prefix entry has n digits. */
  private prefixLengths = 0;
  /** Bit n set: some range is indexed at block size RANGE_BLOCKS[n]. */
  private rangeLevels = 0;

  /** Entries indexed, by kind. */
  counts(): Record<HoldKind, number> {
    return Object.fromEntries(HOLD_KINDS.map((k, i) => [k, this.byKind[i]!])) as Record<HoldKind, number>;
  }

  get size(): number {
    return this.entries;
  }

  /** Bytes the table and the ranges take. */
  get bytes(): number {
    return this.slots.byteLength + this.ranges.byteLength;
  }

  /** Makes room for `n` slots at once (before a bulk load; `holdSlots` counts an entry's). */
  reserve(n: number): void {
    if (this.used + n > (this.mask + 1) * MAX_LOAD) this.rehash(this.live + n);
  }

  /** Slots a list takes (a range one per block it spans). */
  slotsIn(list: HoldList): number {
    return this.liveOf[listNumber(list)]!;
  }

  /**
   * Makes the table an empty index grows to as `n` slots are added one by one, at once: loading
   * them then leaves no smaller tables behind, and the index ends as it would have anyway.
   */
  presize(n: number): void {
    const capacity = grownFor(n);
    if (this.used === 0 && capacity > this.mask + 1) this.rehashTo(capacity);
  }

  /** The table's bytes once presized for `n` slots (the ranges' bounds not counted). */
  bytesPresized(n: number): number {
    return grownFor(n) * WORDS * Uint32Array.BYTES_PER_ELEMENT;
  }

  /**
   * What a change to `list` would need: its entries replaced by `add` (`replace`), or `remove`
   * taken out and then `add` put in (an entry the list has already, or that `add` names twice,
   * takes no more room). `slots`: the new slots, to `reserve` before adding, `ranges` of them serial
   * ranges; `bytes`: what the index then takes. Exact when the change is applied in that order
   * (removals or the clear, `reserve(slots)`, additions); an upper bound otherwise. The old table,
   * held while a new one is filled, is not counted.
   */
  sizeAfter(list: HoldList, change: IndexChange): IndexGrowth {
    let live = this.live - (change.replace ? this.liveOf[listNumber(list)]! : 0);
    const removed = new Set<string>();
    if (!change.replace)
      for (const e of change.remove) {
        const name = entryName(e);
        if (removed.has(name)) continue; // named twice, removed once
        const found = this.slotsOf(list, e.key, rangeOf(e));
        if (found.length === 0) continue;
        live -= found.length;
        removed.add(name);
      }
    let slots = 0;
    let ranges = 0;
    const added = new Set<string>();
    for (const e of change.add) {
      const name = entryName(e);
      if (added.has(name)) continue; // named twice, added once
      added.add(name);
      const range = rangeOf(e);
      const had = !change.replace && this.slotsOf(list, e.key, range).length > 0 && !removed.has(name);
      if (had) continue;
      slots += holdSlots(e);
      if (range) ranges++;
    }
    return { bytes: this.bytesWith(live, slots, ranges), slots, ranges };
  }

  /**
   * The bytes the index would take with `slots` more slots, `ranges` of them serial ranges, over
   * what it holds now less `list` when `replace` (an upper bound: none of them is there yet).
   */
  bytesWithMore(list: HoldList, replace: boolean, slots: number, ranges: number): number {
    return this.bytesWith(this.live - (replace ? this.liveOf[listNumber(list)]! : 0), slots, ranges);
  }

  private bytesWith(live: number, slots: number, ranges: number): number {
    const grows = this.used + slots > (this.mask + 1) * MAX_LOAD;
    const capacity = grows ? tableFor(live + slots) : this.mask + 1;
    let rangeLength = grows ? rangesFor(this.rangeCount) : this.ranges.length;
    while (rangeLength < (this.rangeCount + ranges) * 2) rangeLength = grownRanges(rangeLength);
    return capacity * WORDS * Uint32Array.BYTES_PER_ELEMENT + rangeLength * Float64Array.BYTES_PER_ELEMENT;
  }

  /** Adds an entry, or updates its expiry when the list has it already. */
  add(list: HoldList, entry: IndexedHold): void {
    const range = rangeOf(entry);
    const expires = entry.expires ? Math.ceil(Date.parse(entry.expires) / 1000) : 0;
    const found = this.slotsOf(list, entry.key, range);
    if (found.length > 0) {
      for (const s of found) this.slots[s * WORDS + 3] = expires;
      return;
    }
    const kind = HOLD_KINDS.indexOf(entry.kind);
    const keys = range ? this.rangeKeys(entry.key, range) : [entry.key];
    if (this.used + keys.length > (this.mask + 1) * MAX_LOAD) this.rehash(this.live + keys.length);
    let rangeSlot = 0;
    if (range) {
      if (this.rangeCount * 2 + 2 > this.ranges.length) {
        const grown = new Float64Array(grownRanges(this.ranges.length));
        grown.set(this.ranges);
        this.ranges = grown;
      }
      this.ranges[this.rangeCount * 2] = range[0];
      this.ranges[this.rangeCount * 2 + 1] = range[1];
      rangeSlot = ++this.rangeCount;
      this.rangeLevels |= 1 << rangeLevel(range[0], range[1]);
    }
    for (const key of keys) this.put(hash1(key), hash2(key), meta(list, kind, rangeSlot), expires);
    this.entries++;
    this.byKind[kind]!++;
    if (entry.kind === 'prefix') this.prefixLengths |= 1 << (entry.key.length - 2);
  }

  /** Removes an entry of a list; false when the list does not have it. */
  remove(list: HoldList, entry: Pick<HoldEntry, 'key' | 'kind' | 'serials'>): boolean {
    const found = this.slotsOf(list, entry.key, rangeOf(entry));
    if (found.length === 0) return false;
    for (const s of found) this.slots[s * WORDS + 2] = TOMB;
    this.live -= found.length;
    this.liveOf[listNumber(list)]! -= found.length;
    this.entries--;
    this.byKind[HOLD_KINDS.indexOf(entry.kind)]!--;
    return true;
  }

  /** Removes every entry of a list (before a full list replaces it). */
  clear(list: HoldList): number {
    const want = HOLD_LISTS.indexOf(list) + 1;
    const rangesSeen = new Set<number>();
    let removed = 0;
    for (let s = 0; s <= this.mask; s++) {
      const m = this.slots[s * WORDS + 2]!;
      if (m === EMPTY || m === TOMB || (m & 3) !== want) continue;
      this.slots[s * WORDS + 2] = TOMB;
      this.live--;
      this.liveOf[want]!--;
      const r = m >>> 5;
      if (r > 0 && rangesSeen.has(r)) continue;
      if (r > 0) rangesSeen.add(r);
      this.byKind[(m >>> 2) & 7]!--;
      this.entries--;
      removed++;
    }
    return removed;
  }

  /**
   * Calls `onHit` for each live entry that holds the unit at `nowMs`. Constant time: a handful
   * of keys are hashed, and only for kinds that have entries.
   */
  lookup(unit: UnitKeys, nowMs: number, onHit: (hit: HoldHit) => void): void {
    if (this.entries === 0) return;
    const now = Math.floor(nowMs / 1000);
    const { gtin, serial } = unit;
    if (this.byKind[0]! > 0) {
      const key = gtin && serial ? `u|${gtin}|${serial}` : unit.sscc ? `s|${unit.sscc}` : `x|${unit.uri}`;
      this.probe(key, key, now, onHit);
    }
    if (!gtin) return;
    if (this.byKind[1]! > 0 && unit.lot !== undefined) {
      const key = `l|${gtin}|${unit.lot}`;
      this.probe(key, key, now, onHit);
    }
    if (this.byKind[2]! > 0 && serial !== undefined && /^\d{1,16}$/.test(serial)) {
      const n = Number(serial);
      const key = `r|${gtin}`;
      for (let l = 0; l < RANGE_BLOCKS.length; l++)
        if (this.rangeLevels & (1 << l))
          this.probe(blockKey(key, l, Math.floor(n / RANGE_BLOCKS[l]!)), key, now, onHit, n);
    }
    if (this.byKind[3]! > 0) {
      const key = `g|${gtin}`;
      this.probe(key, key, now, onHit);
    }
    if (this.byKind[4]! > 0)
      for (let n = 6; n <= 12; n++)
        if (this.prefixLengths & (1 << n)) {
          const key = `p|${gtin.slice(1, 1 + n)}`;
          this.probe(key, key, now, onHit);
        }
  }

  private probe(
    slotKey: string,
    key: string,
    now: number,
    onHit: (hit: HoldHit) => void,
    serial?: number,
  ): void {
    const h1 = hash1(slotKey);
    const h2 = hash2(slotKey);
    const slots = this.slots;
    for (let s = h1 & this.mask; ; s = (s + 1) & this.mask) {
      const o = s * WORDS;
      const m = slots[o + 2]!;
      if (m === EMPTY) return;
      if (m === TOMB || slots[o] !== h1 || slots[o + 1] !== h2) continue;
      const expires = slots[o + 3]!;
      if (expires !== 0 && expires <= now) continue;
      const r = m >>> 5;
      let range: readonly [number, number] | undefined;
      if (r > 0) {
        const lo = this.ranges[(r - 1) * 2]!;
        const hi = this.ranges[(r - 1) * 2 + 1]!;
        if (serial === undefined || serial < lo || serial > hi) continue;
        range = [lo, hi];
      }
      onHit({ list: HOLD_LISTS[(m & 3) - 1]!, kind: HOLD_KINDS[(m >>> 2) & 7]!, key, range });
    }
  }

  private rangeKeys(key: string, [lo, hi]: readonly [number, number]): string[] {
    const level = rangeLevel(lo, hi);
    const size = RANGE_BLOCKS[level]!;
    const keys: string[] = [];
    for (let b = Math.floor(lo / size); b <= Math.floor(hi / size); b++) keys.push(blockKey(key, level, b));
    return keys;
  }

  /** The slots of a list's entry with this key (and range); none when the list does not have it. */
  private slotsOf(list: HoldList, key: string, range: readonly [number, number] | undefined): number[] {
    const keys = range ? this.rangeKeys(key, range) : [key];
    const out: number[] = [];
    for (const k of keys) {
      const s = this.find(list, k, range);
      if (s < 0) return [];
      out.push(s);
    }
    return out;
  }

  /** The slot of a list's entry under this slot key (and range), or -1. */
  private find(list: HoldList, key: string, range: readonly [number, number] | undefined): number {
    const h1 = hash1(key);
    const h2 = hash2(key);
    const want = HOLD_LISTS.indexOf(list) + 1;
    for (let s = h1 & this.mask; ; s = (s + 1) & this.mask) {
      const o = s * WORDS;
      const m = this.slots[o + 2]!;
      if (m === EMPTY) return -1;
      if (m === TOMB || (m & 3) !== want || this.slots[o] !== h1 || this.slots[o + 1] !== h2) continue;
      const r = m >>> 5;
      if (!range && r === 0) return s;
      if (
        range &&
        r > 0 &&
        this.ranges[(r - 1) * 2] === range[0] &&
        this.ranges[(r - 1) * 2 + 1] === range[1]
      )
        return s;
    }
  }

  private put(h1: number, h2: number, m: number, expires: number): void {
    let s = h1 & this.mask;
    while (this.slots[s * WORDS + 2] !== EMPTY) s = (s + 1) & this.mask;
    const o = s * WORDS;
    this.slots[o] = h1;
    this.slots[o + 1] = h2;
    this.slots[o + 2] = m;
    this.slots[o + 3] = expires;
    this.used++;
    this.live++;
    this.liveOf[m & 3]!++;
  }

  /** A table for `n` slots at most half full; tombstones and freed ranges are dropped. */
  private rehash(n: number): void {
    this.rehashTo(tableFor(n));
  }

  private rehashTo(capacity: number): void {
    const old = this.slots;
    const oldRanges = this.ranges;
    // A range's slots share its bounds: each range is copied once.
    const moved = new Uint32Array(this.rangeCount + 1);
    this.slots = new Uint32Array(capacity * WORDS);
    this.mask = capacity - 1;
    this.ranges = new Float64Array(rangesFor(this.rangeCount));
    this.rangeCount = 0;
    this.used = 0;
    this.live = 0;
    this.liveOf.fill(0);
    for (let o = 0; o < old.length; o += WORDS) {
      let m = old[o + 2]!;
      if (m === EMPTY || m === TOMB) continue;
      const r = m >>> 5;
      if (r > 0) {
        if (moved[r] === 0) {
          this.ranges[this.rangeCount * 2] = oldRanges[(r - 1) * 2]!;
          this.ranges[this.rangeCount * 2 + 1] = oldRanges[(r - 1) * 2 + 1]!;
          moved[r] = ++this.rangeCount;
        }
        m = ((m & 31) | (moved[r]! << 5)) >>> 0;
      }
      this.put(old[o]!, old[o + 1]!, m, old[o + 3]!);
    }
  }
}

function meta(list: HoldList, kind: number, rangeSlot: number): number {
  return (listNumber(list) | (kind << 2) | (rangeSlot << 5)) >>> 0;
}

const listNumber = (list: HoldList) => HOLD_LISTS.indexOf(list) + 1;

/** The table an empty index has grown to once `n` slots were added one at a time. */
function grownFor(n: number): number {
  let capacity = 1024;
  // `add` grows the table when a slot more would take it past three quarters full.
  while (n > capacity * MAX_LOAD) capacity = tableFor(Math.floor(capacity * MAX_LOAD) + 1);
  return capacity;
}

/** Length of the bounds' array a rehash makes for `count` ranges (the freed ones among them). */
const rangesFor = (count: number) => (count === 0 ? 0 : Math.max(64, count * 2));

/** The bounds' array's next length as ranges are added. */
const grownRanges = (length: number) => Math.max(64, length * 2);

/** Slots of a table made for `n` slots: a power of two, at most half full, at least 1,024. */
function tableFor(n: number): number {
  let capacity = 1024;
  while (capacity * 0.5 < n) capacity *= 2;
  return capacity;
}

/** What a change adds to the index, as `sizeAfter` weighs it. */
export interface IndexGrowth {
  /** What the index then takes. */
  readonly bytes: number;
  /** The new slots. */
  readonly slots: number;
  /** The new entries that are serial ranges. */
  readonly ranges: number;
}

/** A change to one list, as `sizeAfter` weighs it. */
export interface IndexChange {
  readonly replace: boolean;
  readonly add: readonly IndexedHold[];
  readonly remove: readonly Pick<HoldEntry, 'key' | 'kind' | 'serials'>[];
}

/** The slots an entry takes in the index: one, or a serial range's blocks (one to four). */
export function holdSlots(entry: Pick<HoldEntry, 'serials'>): number {
  const range = rangeOf(entry);
  if (!range) return 1;
  const size = RANGE_BLOCKS[rangeLevel(range[0], range[1])]!;
  return Math.floor(range[1] / size) - Math.floor(range[0] / size) + 1;
}
