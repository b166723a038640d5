/**
 * The hold lists on disk, in the inventory store's `holds` part: each entry under
 * `e!<list>!<name>` (its canonical JSON), each list's version under `v!<list>`. The daemon loads
 * them into its index at start; `readpoint holds` reads and writes them here directly when no
 * daemon runs. A full list is written before its version, so an update cut short by a crash is
 * taken again when its retained message comes back (a full list replaces what is there).
 */
import type { InventoryPart } from '../inventory-store.js';
import { entryName, HOLD_LISTS, type HoldEntry, type HoldList } from './hold-entry.js';

export interface ListVersion {
  readonly version: number;
  /** When it was applied, ISO 8601. */
  readonly at: string;
  /**
   * The index slots the list took once this version was applied, when it was applied with an
   * index: how large a table to make at the next load (a hint, never trusted for more).
   */
  readonly slots?: number;
}

/** One stored entry and its list. */
export interface ListedHold {
  readonly list: HoldList;
  readonly entry: HoldEntry;
}

const CHUNK = 5000;

/** An entry as the index takes it. */
export type IndexedHold = Pick<HoldEntry, 'key' | 'kind' | 'serials' | 'expires'>;

const KIND_OF: Readonly<Record<string, HoldEntry['kind']>> = {
  u: 'unit',
  s: 'unit',
  x: 'unit',
  l: 'lot',
  r: 'range',
  g: 'gtin',
  p: 'prefix',
};

/** The indexed part of a stored entry, from its name (`entryName`) and, for an expiry, its JSON text. */
export function indexedHold(name: string, json: string): IndexedHold | undefined {
  const kind = KIND_OF[name[0] ?? ''];
  if (!kind || name[1] !== '|') return undefined;
  const e = json.indexOf('"expires":"');
  const expires = e < 0 ? undefined : json.slice(e + 11, json.indexOf('"', e + 11));
  const base = expires === undefined ? {} : { expires };
  if (kind !== 'range') return { key: name, kind, ...base };
  const bar = name.lastIndexOf('|');
  const [from, to] = name.slice(bar + 1).split('-');
  if (from === undefined || to === undefined) return undefined;
  return { key: name.slice(0, bar), kind, serials: { from, to }, ...base };
}

const entryKey = (list: HoldList, name: string) => `e!${list}!${name}`;

export class HoldBook {
  constructor(private readonly part: InventoryPart) {}

  /**
   * What the index needs of each stored entry (its match, kind, range and expiry), list by list;
   * the lists' versions. The entries' JSON is not parsed: a million of them at start would leave
   * the heap grown by their garbage.
   */
  async load(
    onEntry: (list: HoldList, entry: IndexedHold) => void,
  ): Promise<Partial<Record<HoldList, ListVersion>>> {
    for await (const [key, value] of this.part.iterator({ gt: 'e!', lt: 'e"' })) {
      const at = key.indexOf('!', 2);
      const list = key.slice(2, at) as HoldList;
      const entry = indexedHold(key.slice(at + 1), value);
      if (HOLD_LISTS.includes(list) && entry) onEntry(list, entry);
    }
    return this.versions();
  }

  async versions(): Promise<Partial<Record<HoldList, ListVersion>>> {
    const versions: Partial<Record<HoldList, ListVersion>> = {};
    for (const list of HOLD_LISTS) {
      const text = await this.part.get(`v!${list}`);
      if (text !== undefined) versions[list] = JSON.parse(text) as ListVersion;
    }
    return versions;
  }

  /** The stored entry of a list with this name, if any. */
  async get(list: HoldList, name: string): Promise<HoldEntry | undefined> {
    const text = await this.part.get(entryKey(list, name));
    return text === undefined ? undefined : (JSON.parse(text) as HoldEntry);
  }

  /** Replaces a list's entries, then sets its version (with the slots it then takes, if known). */
  async replace(
    list: HoldList,
    version: number,
    entries: readonly HoldEntry[],
    slots?: number,
  ): Promise<void> {
    await this.part.clear({ gt: `e!${list}!`, lt: `e!${list}"` });
    await this.change(list, version, entries, [], slots);
  }

  /** Adds (or replaces) and removes entries of a list, then sets its version (and slots, if known). */
  async change(
    list: HoldList,
    version: number | undefined,
    add: readonly HoldEntry[],
    remove: readonly Pick<HoldEntry, 'key' | 'serials'>[],
    slots?: number,
  ): Promise<void> {
    for (let i = 0; i < remove.length; i += CHUNK)
      await this.part.batch(
        remove.slice(i, i + CHUNK).map((e) => ({ type: 'del' as const, key: entryKey(list, entryName(e)) })),
      );
    for (let i = 0; i < add.length; i += CHUNK)
      await this.part.batch(
        add.slice(i, i + CHUNK).map((e) => ({
          type: 'put' as const,
          key: entryKey(list, entryName(e)),
          value: JSON.stringify(e),
        })),
      );
    if (version !== undefined) {
      const record: ListVersion = {
        version,
        at: new Date().toISOString(),
        ...(slots !== undefined ? { slots } : {}),
      };
      await this.part.put(`v!${list}`, JSON.stringify(record));
    }
  }

  /** Up to `limit` entries in key order, of one list or all, after the entry named by `after`. */
  async page(list: HoldList | undefined, limit: number, after?: string): Promise<ListedHold[]> {
    const lower = list ? `e!${list}!` : 'e!';
    const upper = list ? `e!${list}"` : 'e"';
    const out: ListedHold[] = [];
    const range = after !== undefined && after >= lower ? { gt: after, lt: upper } : { gt: lower, lt: upper };
    for await (const [key, value] of this.part.iterator({ ...range, limit })) {
      out.push({
        list: key.slice(2, key.indexOf('!', 2)) as HoldList,
        entry: JSON.parse(value) as HoldEntry,
      });
    }
    return out;
  }
}

/** The stored key of a listed entry (a page's `after`). */
export function listedKey(hold: ListedHold): string {
  return entryKey(hold.list, entryName(hold.entry));
}
