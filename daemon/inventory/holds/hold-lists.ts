/**
 * The three hold lists (site-wide, this gateway's, local) with their versions: every change goes
 * to the book on disk and, in the daemon, to the index the read path looks in. Changes are
 * applied one at a time, in the order they came.
 */
import type { HoldBook, ListVersion } from './hold-book.js';
import { entryName, type HoldEntry, type HoldList } from './hold-entry.js';
import type { HoldIndex } from './hold-index.js';
import { type HoldUpdate, updateApplies } from './hold-update.js';

/** What became of an update. */
export type UpdateOutcome = 'applied' | 'ignored';

export class HoldLists {
  private versions: Partial<Record<HoldList, ListVersion>> = {};
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly book: HoldBook,
    private readonly index?: HoldIndex,
  ) {}

  /** Reads the lists from disk (into the index, when there is one). */
  async load(): Promise<void> {
    const index = this.index;
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
        this.index?.clear(list);
        this.index?.reserve(update.entries.length);
        for (const e of update.entries) this.index?.add(list, e);
        await this.book.replace(list, update.version, update.entries);
      } else {
        for (const e of update.remove) this.index?.remove(list, e);
        for (const e of update.add) this.index?.add(list, e);
        await this.book.change(list, update.version, update.add, update.remove);
      }
      this.versions[list] = { version: update.version, at: new Date().toISOString() };
      return 'applied';
    });
  }

  /** Adds (or, with `replace`, first empties the list and adds) local entries; the new version. */
  addLocal(entries: readonly HoldEntry[], replace = false): Promise<number> {
    return this.serial(async () => {
      const version = (this.version('local') ?? 0) + 1;
      if (replace) {
        this.index?.clear('local');
        for (const e of entries) this.index?.add('local', e);
        await this.book.replace('local', version, entries);
      } else {
        for (const e of entries) this.index?.add('local', e);
        await this.book.change('local', version, entries, []);
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
      await this.book.change('local', version, [], entries);
      this.versions.local = { version, at: new Date().toISOString() };
      return { version, removed };
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }
}
