/**
 * `readpoint holds add|remove|list|import` (and the `room` and `weigh` questions an import asks
 * first) as commands on hold lists: the same code answers them in the daemon (over the control
 * socket) and in the CLI when no daemon runs (on the store directly). Arguments are untrusted:
 * checked and bounded here.
 */
import { listedKey } from './hold-book.js';
import { HOLD_LISTS, type HoldEntry, type HoldList, parseHoldEntries } from './hold-entry.js';
import type { HoldLists } from './hold-lists.js';

/** Entries one command carries at most (an import is sent in chunks of this size). */
export const ENTRIES_PER_COMMAND = 5000;
const MAX_PAGE = 1000;

export type HoldCommand = 'add' | 'remove' | 'list' | 'import' | 'room' | 'weigh';

/** Slots or ranges one `room` question may name at most (five lists' worth of the largest import). */
const MAX_ROOM = 5 * 5_000_000 * 4;

function args(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('arguments must be an object');
  return value as Record<string, unknown>;
}

function entriesOf(value: unknown, removal: boolean): HoldEntry[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error('entries must be a non-empty array');
  if (value.length > ENTRIES_PER_COMMAND) throw new Error(`at most ${ENTRIES_PER_COMMAND} entries at once`);
  return parseHoldEntries(value, removal, (i, message) => new Error(`entries[${i}]: ${message}`));
}

/** Answers one hold command. */
export async function holdCommand(lists: HoldLists, command: HoldCommand, raw: unknown): Promise<unknown> {
  const a = args(raw);
  switch (command) {
    case 'add':
      return {
        version: await lists.addLocal(entriesOf(a.entries, false)),
        added: (a.entries as unknown[]).length,
      };
    case 'import': {
      // An empty file imported with replace empties the local list.
      const empty = a.replace === true && Array.isArray(a.entries) && a.entries.length === 0;
      const entries = empty ? [] : entriesOf(a.entries, false);
      return { version: await lists.addLocal(entries, a.replace === true), added: entries.length };
    }
    case 'remove':
      return lists.removeLocal(entriesOf(a.entries, true));
    case 'room': {
      // Asked before an import sends its entries, so one too many for the index changes nothing.
      for (const f of ['slots', 'ranges'] as const) {
        const n = a[f];
        if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > MAX_ROOM)
          throw new Error(`${f} must be a whole number from 0 to ${MAX_ROOM}`);
      }
      return lists.checkRoom(a.replace === true, a.slots as number, a.ranges as number);
    }
    case 'weigh':
      // What a chunk of an import would add to the local list as it is (see HoldLists.weighLocal).
      return lists.weighLocal(entriesOf(a.entries, false));
    case 'list': {
      const list = a.list;
      if (list !== undefined && !HOLD_LISTS.includes(list as HoldList))
        throw new Error(`list must be one of ${HOLD_LISTS.join(', ')}`);
      const limit = a.limit ?? 100;
      if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_PAGE)
        throw new Error(`limit must be 1-${MAX_PAGE}`);
      if (a.after !== undefined && (typeof a.after !== 'string' || a.after.length > 1000))
        throw new Error('after must be the next of a previous page');
      const page = await lists.book.page(
        list as HoldList | undefined,
        limit as number,
        a.after as string | undefined,
      );
      const last = page.at(-1);
      return {
        versions: lists.allVersions(),
        holds: page.map((h) => {
          const { key: _key, ...entry } = h.entry;
          return { list: h.list, ...entry };
        }),
        ...(page.length === limit && last ? { next: listedKey(last) } : {}),
      };
    }
  }
}
