/**
 * The open passes' key table: found by read point and URI bytes, kept through collisions,
 * deletes, slot reuse and arena moves, checked against a Map as the model.
 */
import { describe, expect, it } from 'vitest';
import { NO_SLOT, PassKeys } from '../../../daemon/smoothing/pass-keys.js';

/** A seeded generator (mulberry32): the same operations on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uriOf = (n: number) => `urn:epc:id:sgtin:0614141.812345.${n}`;
const dataOf = (n: number) => Buffer.from([n & 0xff, 0x00, 0xff, (n >> 8) & 0xff]);

/** Puts `uri` at `point` into a free slot; the slot must not have been found. */
function put(keys: PassKeys, point: number, uri: string, slot: number, data: Buffer): void {
  expect(keys.find(point, uri)).toBe(NO_SLOT);
  keys.put(slot, data);
}

describe('PassKeys', () => {
  it('finds each key by its read point and URI, and gives back its URI and bytes', () => {
    const keys = new PassKeys();
    keys.grow(4);
    put(keys, 0, uriOf(1), 0, dataOf(1));
    put(keys, 0, uriOf(2), 1, dataOf(2));
    put(keys, 1, uriOf(1), 2, dataOf(3));
    expect([keys.find(0, uriOf(1)), keys.find(0, uriOf(2)), keys.find(1, uriOf(1))]).toEqual([0, 1, 2]);
    expect([keys.find(1, uriOf(2)), keys.find(2, uriOf(1)), keys.find(0, uriOf(12))]).toEqual([
      NO_SLOT,
      NO_SLOT,
      NO_SLOT,
    ]);
    expect([keys.uri(0), keys.uri(1), keys.uri(2)]).toEqual([uriOf(1), uriOf(2), uriOf(1)]);
    expect(keys.data(2)).toBe(dataOf(3).toString('latin1'));
  });

  it('keeps URIs beyond ASCII byte for byte, and tells apart those that share a prefix', () => {
    const keys = new PassKeys();
    keys.grow(4);
    const uris = ['urn:x:Größe-€', 'urn:x:Größe-€-😀', 'urn:x:Grösse-€', `urn:x:${'ü'.repeat(300)}`];
    for (const [slot, uri] of uris.entries()) put(keys, 0, uri, slot, Buffer.from(uri, 'utf8'));
    uris.forEach((uri, slot) => {
      expect(keys.find(0, uri)).toBe(slot);
      expect(keys.uri(slot)).toBe(uri);
      expect(Buffer.from(keys.data(slot), 'latin1')).toEqual(Buffer.from(uri, 'utf8'));
    });
  });

  it('matches a Map through puts, deletes and reuse of slots in a crowded index', () => {
    const capacity = 64;
    const keys = new PassKeys();
    keys.grow(capacity);
    const model = new Map<string, number>(); // point/uri -> slot
    const free = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    const held = new Map<number, { point: number; n: number }>();
    const next = random(7);
    for (let step = 0; step < 20_000; step++) {
      const point = Math.floor(next() * 3);
      const n = Math.floor(next() * 200);
      const key = `${point}/${n}`;
      const slot = keys.find(point, uriOf(n));
      expect(slot).toBe(model.get(key) ?? NO_SLOT);
      if (slot !== NO_SLOT) {
        keys.remove(slot);
        model.delete(key);
        held.delete(slot);
        free.push(slot);
      } else if (free.length > 0) {
        const at = free.pop()!;
        keys.put(at, dataOf(n));
        model.set(key, at);
        held.set(at, { point, n });
      }
    }
    expect(model.size).toBeGreaterThan(capacity / 2);
    for (const [slot, { point, n }] of held) {
      expect(keys.find(point, uriOf(n))).toBe(slot);
      expect(keys.uri(slot)).toBe(uriOf(n));
      expect(keys.data(slot)).toBe(dataOf(n).toString('latin1'));
    }
  });

  it('keeps every key when the index grows and the arena moves, full to its capacity', () => {
    const keys = new PassKeys();
    keys.grow(1000);
    for (let n = 0; n < 1000; n++) put(keys, 0, uriOf(n), n, dataOf(n));
    keys.grow(5000);
    // Many turns of a slot through the arena: each put leaves the old bytes behind for the move.
    for (let round = 0; round < 50; round++) {
      for (let n = 0; n < 1000; n += 7) {
        const slot = keys.find(0, uriOf(n + round * 1000));
        keys.remove(slot);
        put(keys, 0, uriOf(n + (round + 1) * 1000), slot, dataOf(n + round));
      }
    }
    for (let n = 0; n < 1000; n++) {
      const moved = n % 7 === 0;
      const uri = uriOf(moved ? n + 50_000 : n);
      expect(keys.find(0, uri)).toBe(n);
      expect(keys.uri(n)).toBe(uri);
      expect(keys.data(n)).toBe(dataOf(moved ? n + 49 : n).toString('latin1'));
    }
    expect(keys.find(0, uriOf(49_000))).toBe(NO_SLOT);
  });
});
