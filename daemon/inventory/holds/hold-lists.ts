/**
 * The three hold lists (site-wide, this gateway's, local) with their versions: every change goes
 * to the book on disk and, in the daemon, to the index the read path looks in. Changes are
 * applied one at a time, in the order they came.
 *
 * With a limit (`holds.indexMb`), a change that would take the index over it is refused whole
 * (`HoldLimitError`) before anything is changed, on disk or in the index. Lists already stored
 * are loaded whatever their size: a recall is never dropped at start (`overLimit` says so); an
 * index over its limit still takes a change that does not make it larger.
 */
import { mibText } from '../../mebibytes.js';
import type { HoldBook, ListVersion } from './hold-book.js';
import { entryName, type HoldEntry, type HoldList } from './hold-entry.js';
import type { HoldIndex, IndexChange } from './hold-index.js';
import { type HoldUpdate, updateApplies } from './hold-update.js';

/** What became of an update. */
export type UpdateOutcome = 'applied' | 'ignored';

/** Two sizes in MiB, or in bytes where MiB to two places would not tell them apart. */
function sizesApart(bytes: number, limitBytes: number): [string, string] {
  return mibText(bytes, 2) === mibText(limitBytes, 2)
    ? [`${bytes} bytes`, `${limitBytes} bytes`]
    : [mibText(bytes, 2), mibText(limitBytes, 2)];
}

/** A change the hold index has no room for within its limit; nothing was changed. */
export class HoldLimitError extends Error {
  constructor(
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    const [would, limit] = sizesApart(bytes, limitBytes);
    super(
      `the hold index would take ${would}, more than holds.indexMb (${limit}): ` +
        'nothing was changed. Raise holds.indexMb (or memory.budgetMb, which sets its default), or hold ' +
        'fewer entries: one lot, serial range or GTIN entry holds many units',
    );
    this.name = 'HoldLimitError';
  }
}

export class HoldLists {
  private versions: Partial<Record<HoldList, ListVersion>> = {};
  private queue: Promise<unknown> = Promise.resolve();

  /** `limitBytes`: what the index may take (checked only with an index). */
  constructor(
    readonly book: HoldBook,
    private readonly index?: HoldIndex,
    readonly limitBytes?: number,
  ) {}

  /** True when the lists loaded take the index over its limit (changed by hand, or a lower limit). */
  get overLimit(): boolean {
    return this.index !== undefined && this.limitBytes !== undefined && this.index.bytes > this.limitBytes;
  }

  /**
   * While the lists take the index over its limit, what a standing warning says of it (health's
   * `warnings`, the console, `readpoint status`). The table does not shrink while the daemon runs,
   * so it holds until a restart makes the table at the lists' size.
   */
  limitWarning(): string | undefined {
    if (!this.overLimit) return undefined;
    const [take, limit] = sizesApart(this.index!.bytes, this.limitBytes!);
    return (
      `the hold lists take ${take} of memory, more than holds.indexMb (${limit}): every hold is in force; ` +
      'a change that would make the index larger is refused'
    );
  }

  /** Reads the lists from disk (into the index, when there is one). */
  async load(): Promise<void> {
    const index = this.index;
    if (index && this.limitBytes !== undefined) {
      // The table the entries will need, made at once: grown as they come, each smaller table
      // is left as garbage until a full collection (up to as much again as the index). The
      // stored slots are a hint: a table beyond the limit is not made for them.
      const slotsOf = (v: ListVersion) =>
        Number.isSafeInteger(v.slots) && (v.slots as number) > 0 ? (v.slots as number) : 0;
      const hint = Object.values(await this.book.versions()).reduce((n, v) => n + slotsOf(v), 0);
      const bytes = index.bytesPresized(hint);
      if (bytes <= this.limitBytes) index.presize(hint);
    }
    this.versions = await this.book.load(index ? (list, entry) => index.add(list, entry) : () => {});
  }

  version(list: HoldList): number | undefined {
    return this.versions[list]?.version;
  }

  /** The lists' versions, for health and `holds list`. */
  allVersions(): Partial<Record<HoldList, number>> {
    return Object.fromEntries(Object.entries(this.versions).map(([l, v]) => [l, v.version]));
  }

  /** Applies an upstream update if its version is newer than the list's (and its base fits). */
  update(list: HoldList, update: HoldUpdate): Promise<UpdateOutcome> {
    return this.serial(async () => {
      if (!updateApplies(update, this.version(list))) return 'ignored';
      if ('entries' in update) {
        const slots = this.room(list, { replace: true, add: update.entries, remove: [] });
        this.index?.clear(list);
        this.index?.reserve(slots);
        for (const e of update.entries) this.index?.add(list, e);
        await this.book.replace(list, update.version, update.entries, this.index?.slotsIn(list));
      } else {
        const slots = this.room(list, { replace: false, add: update.add, remove: update.remove });
        for (const e of update.remove) this.index?.remove(list, e);
        this.index?.reserve(slots);
        for (const e of update.add) this.index?.add(list, e);
        await this.book.change(list, update.version, update.add, update.remove, this.index?.slotsIn(list));
      }
      this.versions[list] = { version: update.version, at: new Date().toISOString() };
      return 'applied';
    });
  }

  /** Adds (or, with `replace`, first empties the list and adds) local entries; the new version. */
  addLocal(entries: readonly HoldEntry[], replace = false): Promise<number> {
    return this.serial(async () => {
      const version = (this.version('local') ?? 0) + 1;
      const slots = this.room('local', { replace, add: entries, remove: [] });
      if (replace) {
        this.index?.clear('local');
        this.index?.reserve(slots);
        for (const e of entries) this.index?.add('local', e);
        await this.book.replace('local', version, entries, this.index?.slotsIn('local'));
      } else {
        this.index?.reserve(slots);
        for (const e of entries) this.index?.add('local', e);
        await this.book.change('local', version, entries, [], this.index?.slotsIn('local'));
      }
      this.versions.local = { version, at: new Date().toISOString() };
      return version;
    });
  }

  /** Removes local entries (named by their match); how many the list had. */
  removeLocal(entries: readonly HoldEntry[]): Promise<{ version: number; removed: number }> {
    return this.serial(async () => {
      let removed = 0;
      for (const e of entries) if ((await this.book.get('local', entryName(e))) !== undefined) removed++;
      for (const e of entries) this.index?.remove('local', e);
      const version = (this.version('local') ?? 0) + 1;
      await this.book.change('local', version, [], entries, this.index?.slotsIn('local'));
      this.versions.local = { version, at: new Date().toISOString() };
      return { version, removed };
    });
  }

  /**
   * Whether `slots` more slots (`ranges` of them serial ranges) fit the local list (replacing it,
   * with `replace`), counting none as there already (see `weighLocal`): an import asks before it
   * sends its first entry. Throws `HoldLimitError` when they do not; the index's bytes then, when they do.
   */
  checkRoom(
    replace: boolean,
    slots: number,
    ranges: number,
  ): Promise<{ bytes: number; limitBytes?: number }> {
    return this.serial(async () => {
      if (!this.index) return { bytes: 0 };
      const bytes = this.index.bytesWithMore('local', replace, slots, ranges);
      this.refuseGrowth(bytes);
      return { bytes, ...(this.limitBytes !== undefined ? { limitBytes: this.limitBytes } : {}) };
    });
  }

  /**
   * The slots and serial ranges `entries` would add to the local list as it is now (an entry it
   * has already takes none): an import whose count of every entry as new was refused by
   * `checkRoom` weighs its entries, a chunk at a time, and asks again with what they need.
   */
  weighLocal(entries: readonly HoldEntry[]): Promise<{ slots: number; ranges: number }> {
    return this.serial(async () => {
      if (!this.index) return { slots: 0, ranges: 0 };
      const { slots, ranges } = this.index.sizeAfter('local', { replace: false, add: entries, remove: [] });
      return { slots, ranges };
    });
  }

  /** The new slots a change needs; throws `HoldLimitError`, before anything changes, past the limit. */
  private room(list: HoldList, change: IndexChange): number {
    if (!this.index) return 0;
    const { bytes, slots } = this.index.sizeAfter(list, change);
    this.refuseGrowth(bytes);
    return slots;
  }

  /** Throws when the index would take `bytes`: past its limit, and more than it takes now. */
  private refuseGrowth(bytes: number): void {
    const limit = this.limitBytes;
    if (limit !== undefined && bytes > limit && bytes > (this.index?.bytes ?? 0))
      throw new HoldLimitError(bytes, limit);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }
}
