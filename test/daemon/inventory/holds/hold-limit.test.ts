/**
 * The hold index's limit (`holds.indexMb`): the index weighs a change before it is made, exactly
 * for the table when applied as the lists apply it, and the lists refuse a change past the limit
 * whole, on the inventory store on disk (LevelDB), leaving index, book and version as they were.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HoldBook } from '../../../../daemon/inventory/holds/hold-book.js';
import { HOLD_LISTS, type HoldList, parseHoldEntry } from '../../../../daemon/inventory/holds/hold-entry.js';
import { HoldIndex, holdSlots, type IndexChange } from '../../../../daemon/inventory/holds/hold-index.js';
import { HoldLimitError, HoldLists } from '../../../../daemon/inventory/holds/hold-lists.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import { holdIndexMbFor } from '../../../../daemon/memory-budget.js';

const GTIN = '09506000134352';
const MIB = 1024 * 1024;

const unit = (n: number) => parseHoldEntry({ unit: `https://id.gs1.org/01/${GTIN}/21/S${n}` });
const lot = (n: number) => parseHoldEntry({ gtin: GTIN, lot: `L${n}` });
const range = (from: number, to: number) =>
  parseHoldEntry({ gtin: GTIN, serials: { from: String(from), to: String(to) } });
const units = (from: number, count: number) => Array.from({ length: count }, (_, i) => unit(from + i));

/** A change applied in the lists' order: removals or the clear, reserve for the new slots, additions. */
function apply(index: HoldIndex, list: HoldList, change: IndexChange, slots: number): void {
  if (change.replace) index.clear(list);
  else for (const e of change.remove) index.remove(list, e);
  index.reserve(slots);
  for (const e of change.add) index.add(list, e);
}

describe('the hold index weighing a change', () => {
  it('counts a serial range as the blocks of serials it spans', () => {
    expect(holdSlots(unit(1))).toBe(1);
    expect(holdSlots(range(1, 5))).toBe(1);
    expect(holdSlots(range(65530, 65540))).toBe(2); // across a block of 2^16 serials
    expect(holdSlots(range(0, 3 * 65536))).toBe(4);
    expect(holdSlots(range(5, 2 ** 40))).toBeGreaterThanOrEqual(1);
    expect(holdSlots(range(5, 2 ** 40))).toBeLessThanOrEqual(4);
  });

  it('says before a change what the index then takes: the table exactly, ranges at most', () => {
    const entry = fc.oneof(
      fc.integer({ min: 0, max: 3000 }).map(unit),
      fc.integer({ min: 0, max: 50 }).map(lot),
      fc
        .tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 19 }))
        .map(([from, span]) => range(from, from + span)),
    );
    const change = fc.record({
      list: fc.constantFrom(...HOLD_LISTS),
      replace: fc.boolean(),
      add: fc.array(entry, { maxLength: 1500 }),
      remove: fc.array(entry, { maxLength: 200 }),
    });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 8 }), (changes) => {
        const index = new HoldIndex();
        for (const { list, ...c } of changes) {
          const { bytes, slots } = index.sizeAfter(list, c);
          apply(index, list, c, slots);
          expect(index.bytes).toBeLessThanOrEqual(bytes);
          // Without ranges the only part is the table, so the figure is exact.
          if (![...c.add, ...c.remove].some((e) => e.serials)) expect(index.bytes).toBe(bytes);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('counts no room for entries a list has already, and frees a removed entry’s', () => {
    const index = new HoldIndex();
    apply(index, 'site', { replace: false, add: units(0, 700), remove: [] }, 700);
    const bytes = index.bytes;
    expect(bytes).toBe(1024 * 16); // 700 of 768 slots before the table grows; no ranges, no bounds
    expect(index.sizeAfter('site', { replace: false, add: units(0, 700), remove: [] })).toEqual({
      bytes,
      slots: 0,
      ranges: 0,
    });
    // The same entries on another list are new to it: the table doubles.
    expect(index.sizeAfter('gateway', { replace: false, add: units(0, 100), remove: [] })).toEqual({
      bytes: 2048 * 16,
      slots: 100,
      ranges: 0,
    });
    // An entry named twice in one change takes its room once; a range its blocks, and the first
    // array of range bounds (64 numbers) comes with it.
    expect(
      index.sizeAfter('site', {
        replace: false,
        add: [unit(1), unit(900), unit(900), range(65530, 65540), range(65530, 65540)],
        remove: [],
      }),
    ).toEqual({ bytes: bytes + 64 * 8, slots: 3, ranges: 1 });
    expect(index.sizeAfter('site', { replace: true, add: [unit(1), unit(1)], remove: [] }).slots).toBe(1);
    // Removed and added back in one increment: its slot counts again.
    expect(index.sizeAfter('site', { replace: false, add: [unit(3)], remove: [unit(3)] }).slots).toBe(1);
    // A full list replacing the site list frees all of its slots first.
    expect(index.sizeAfter('site', { replace: true, add: units(5000, 700), remove: [] }).bytes).toBe(
      2048 * 16, // 700 tombstones and 700 new slots: past three quarters of 1,024, rehashed for 700
    );
  });
});

describe('the hold index made at its size before a load', () => {
  it('makes at once the table that adding the slots one by one grows to', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), (n) => {
        const grown = new HoldIndex();
        for (const e of units(0, n)) grown.add('site', e);
        const presized = new HoldIndex();
        presized.presize(n);
        const made = presized.bytes;
        expect(made).toBe(presized.bytesPresized(n));
        for (const e of units(0, n)) presized.add('site', e);
        expect(presized.bytes).toBe(made); // no table made while adding
        expect(presized.bytes).toBe(grown.bytes);
        expect(presized.slotsIn('site')).toBe(n);
      }),
      { numRuns: 25 },
    );
  });
});

describe('hold lists held to the limit', () => {
  let dir: string;
  let store: InventoryStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rp-hold-limit-'));
    store = new InventoryStore(dir);
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A table of 32,768 slots: a full list of 16,384 one-slot entries (reserved at most half full),
   * 24,576 in all before the table would double.
   */
  const LIMIT = 0.5 * MIB;

  async function stored(list: HoldList): Promise<string[]> {
    const keys: string[] = [];
    for await (const [key] of store.part('holds').iterator({ gt: `e!${list}!`, lt: `e!${list}"` }))
      keys.push(key);
    return keys;
  }

  it('refuses a full list, an increment or a local import past the limit and changes nothing', async () => {
    const index = new HoldIndex();
    const lists = new HoldLists(new HoldBook(store.part('holds')), index, LIMIT);
    await lists.load();
    expect(await lists.update('site', { version: 1, entries: units(0, 16_384) })).toBe('applied');
    expect(index.bytes).toBe(LIMIT);
    const before = { size: index.size, bytes: index.bytes, versions: lists.allVersions() };

    const refusals: [string, Promise<unknown>][] = [
      ['full list', lists.update('site', { version: 2, entries: units(0, 16_385) })],
      ['increment', lists.update('site', { version: 2, base: 1, add: units(100_000, 8_193), remove: [] })],
      [
        'gateway list',
        lists.update('gateway', { version: 1, entries: Array.from({ length: 8_193 }, (_, i) => lot(i)) }),
      ],
      ['local add', lists.addLocal(units(200_000, 8_193))],
    ];
    for (const [what, refused] of refusals) {
      const err = await refused.then(
        () => new Error(`${what} was taken`),
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(HoldLimitError);
      expect((err as HoldLimitError).limitBytes).toBe(LIMIT);
      expect((err as HoldLimitError).bytes).toBe(1 * MIB); // the table would double
      expect((err as Error).message).toBe(
        'the hold index would take 1 MiB, more than holds.indexMb (0.5 MiB): nothing was changed. Raise ' +
          'holds.indexMb (or memory.budgetMb, which sets its default), or hold fewer entries: one lot, ' +
          'serial range or GTIN entry holds many units',
      );
    }
    expect({ size: index.size, bytes: index.bytes, versions: lists.allVersions() }).toEqual(before);
    expect(await stored('site')).toHaveLength(16_384);
    expect(await stored('gateway')).toEqual([]);
    expect(await stored('local')).toEqual([]);
    expect(await lists.book.versions()).toEqual({ site: expect.objectContaining({ version: 1 }) });

    // What fits is still taken: an expiry update of held units, a removal, then an entry in its room.
    expect(await lists.update('site', { version: 2, base: 1, add: units(0, 10), remove: [unit(20)] })).toBe(
      'applied',
    );
    expect(await lists.addLocal([lot(2)])).toBe(1);
    expect(index.size).toBe(16_384);
    expect(index.bytes).toBe(LIMIT);
  });

  it('answers whether an import fits before it is sent, counting its entries as new', async () => {
    const index = new HoldIndex();
    const lists = new HoldLists(new HoldBook(store.part('holds')), index, LIMIT);
    await lists.load();
    await lists.addLocal(units(0, 10_000));
    await expect(lists.checkRoom(false, 14_576, 0)).resolves.toEqual({ bytes: LIMIT, limitBytes: LIMIT });
    await expect(lists.checkRoom(false, 14_577, 0)).rejects.toThrow(HoldLimitError);
    // Replacing the local list frees its 10,000 slots first.
    await expect(lists.checkRoom(true, 16_384, 0)).resolves.toEqual({ bytes: LIMIT, limitBytes: LIMIT });
    // The first ranges: their bounds' array is made, 64 numbers doubled to 2,048, 16 KiB.
    await expect(lists.checkRoom(false, 1_000, 1_000)).rejects.toThrow(
      'the hold index would take 0.52 MiB, more than holds.indexMb (0.5 MiB)',
    );
    expect(index.size).toBe(10_000);
  });

  it('records the slots each list takes with its version, and loads into a table made for them', async () => {
    const writer = new HoldLists(new HoldBook(store.part('holds')), new HoldIndex(), MIB);
    await writer.update('site', { version: 3, entries: [...units(0, 9_000), range(0, 3 * 65536)] });
    await writer.addLocal(units(50_000, 1_000));
    await writer.removeLocal(units(50_000, 10));
    const versions = await writer.book.versions();
    expect([versions.site?.slots, versions.local?.slots]).toEqual([9_004, 990]);

    const index = new HoldIndex();
    const lists = new HoldLists(new HoldBook(store.part('holds')), index, MIB);
    await lists.load();
    expect(index.size).toBe(9_000 + 1 + 990);
    expect(index.bytes).toBe(16_384 * 16 + 64 * 8); // grown for 9,994 slots, as one by one

    // The table is made from the records, not grown from the entries: a record claiming 10,000
    // slots more (changed by hand) gives the table those would have grown to.
    await store.part('holds').put('v!gateway', JSON.stringify({ version: 1, at: 'x', slots: 10_000 }));
    const hinted = new HoldIndex();
    await new HoldLists(new HoldBook(store.part('holds')), hinted, MIB).load();
    expect(hinted.size).toBe(9_991);
    expect(hinted.bytes).toBe(32_768 * 16 + 64 * 8);

    // A hint that is no count of slots is not one.
    await store.part('holds').put('v!gateway', JSON.stringify({ version: 1, at: 'x', slots: 'many' }));
    const odd = new HoldIndex();
    await new HoldLists(new HoldBook(store.part('holds')), odd, MIB).load();
    expect(odd.bytes).toBe(index.bytes);

    // A hint past the limit makes no table; the entries still load, into the table they grow.
    await store.part('holds').put('v!gateway', JSON.stringify({ version: 1, at: 'x', slots: 50_000_000 }));
    const wary = new HoldIndex();
    await new HoldLists(new HoldBook(store.part('holds')), wary, MIB).load();
    expect(wary.size).toBe(9_991);
    expect(wary.bytes).toBe(index.bytes);
  });

  it('loads lists stored past the limit whole, and says they are over it', async () => {
    const free = new HoldLists(new HoldBook(store.part('holds')));
    await free.addLocal(units(0, 25_000));
    const index = new HoldIndex();
    const lists = new HoldLists(new HoldBook(store.part('holds')), index, LIMIT);
    await lists.load();
    expect(index.size).toBe(25_000);
    expect(lists.overLimit).toBe(true);
    expect(index.bytes).toBe(1 * MIB); // a table of 65,536 slots, 49,152 before it doubles
    expect(lists.limitWarning()).toBe(
      'the hold lists take 1 MiB of memory, more than holds.indexMb (0.5 MiB): every hold is in force; ' +
        'a change that would make the index larger is refused',
    );
    // What would make the index larger waits for room; a change that does not is taken: an
    // entry in the table's room, a removal, a smaller full list.
    await expect(lists.addLocal(units(100_000, 24_153))).rejects.toThrow(
      'the hold index would take 2 MiB, more than holds.indexMb (0.5 MiB)',
    );
    expect(await lists.addLocal([lot(1)])).toBe(2);
    expect((await lists.removeLocal(units(0, 5))).removed).toBe(5);
    expect(await lists.update('site', { version: 1, entries: [lot(2)] })).toBe('applied');
    expect(index.size).toBe(24_997);
    expect(index.bytes).toBe(1 * MIB);
  });
});

describe('the default limit', () => {
  it('is three eighths of the memory budget: 48 MiB of 128, room for 1,048,576 one-slot entries', () => {
    expect(holdIndexMbFor(128)).toBe(48);
    expect(holdIndexMbFor(32)).toBe(12);
    expect(holdIndexMbFor(100)).toBe(38);
    const index = new HoldIndex();
    expect(index.sizeAfter('site', { replace: true, add: [], remove: [] }).bytes).toBe(16 * 1024);
    // A million entries of one slot reserved at once: a 2^21-slot table, 32 MiB, within 48.
    const million = index.bytesWithMore('site', true, 1_048_576, 0);
    expect(million).toBe(32 * MIB);
    expect(index.bytesWithMore('site', true, 1_048_577, 0)).toBe(64 * MIB);
    // A range's bounds: 16 bytes, in an array grown by doubling from 64 numbers.
    expect(index.bytesWithMore('site', true, 1_048_576, 1)).toBe(32 * MIB + 512);
  });
});
