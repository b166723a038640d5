/**
 * `readpoint holds add|remove|list|import`: the local hold list, and a look at all three. With the
 * daemon running, through its control socket (the change holds at once); without it, on the
 * inventory store directly (the daemon loads it at its next start). Exit 0 done; 1 refused (a bad
 * entry, a bad file line, the store held by another process, an invalid config).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import { askDaemon, ControlRefused, DaemonNotRunning } from '../inventory/control-client.js';
import { HoldBook } from '../inventory/holds/hold-book.js';
import { ENTRIES_PER_COMMAND, type HoldCommand, holdCommand } from '../inventory/holds/hold-commands.js';
import { entryName, type HoldEntry, HoldEntryError, parseHoldEntry } from '../inventory/holds/hold-entry.js';
import { HoldIndex, holdSlots } from '../inventory/holds/hold-index.js';
import { HoldLimitError, HoldLists } from '../inventory/holds/hold-lists.js';
import { InventorySnapshot } from '../inventory/inventory-snapshot.js';
import { InventoryStore } from '../inventory/inventory-store.js';
import { MIB } from '../mebibytes.js';
import { HoldFileError, holdFileEntries } from './holds-file.js';
import { SeenNames } from './seen-names.js';

export interface HoldsPlace {
  readonly config?: string;
  readonly dataDir?: string;
}

export interface HoldMatchOptions extends HoldsPlace {
  readonly unit?: string;
  readonly gtin?: string;
  readonly lot?: string;
  readonly serials?: string;
  readonly epcPattern?: string;
  readonly reason?: string;
  readonly reference?: string;
  readonly expires?: string;
}

export interface HoldsListOptions extends HoldsPlace {
  readonly list?: string;
  readonly limit: number;
  readonly json?: boolean;
}

export interface HoldsImportOptions extends HoldsPlace {
  readonly replace?: boolean;
}

const say = (line: string) => process.stderr.write(`readpoint holds: ${line}\n`);
/** A request line stays well under the control socket's 1 MiB. */
const MAX_CHUNK_BYTES = 512 * 1024;

/** Where the store is and, from a config with holds on, what the hold index may take (bytes). */
interface HoldsStore {
  readonly dataDir: string;
  readonly limitBytes?: number;
}

async function storeOf(o: HoldsPlace): Promise<HoldsStore | undefined> {
  if (o.dataDir !== undefined) return { dataDir: resolve(o.dataDir) };
  try {
    const config = await loadConfig(o.config!);
    const indexMb = config.holds?.indexMb;
    return { dataDir: resolve(config.dataDir), ...(indexMb ? { limitBytes: indexMb * MIB } : {}) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return undefined;
  }
}

/**
 * Runs hold commands through the daemon, or, when no daemon runs, on the store (a change) or on a
 * copy of it (`list`: the store is never opened to read, see inventory-snapshot.ts). A change to
 * a stopped daemon's store is held to the config's holds.indexMb as the daemon would hold it (the
 * lists are loaded into an index to weigh it); with only a data dir there is no limit to apply.
 */
async function withLists(
  { dataDir, limitBytes }: HoldsStore,
  changes: boolean,
  work: (ask: (command: HoldCommand, args: unknown) => Promise<unknown>) => Promise<void>,
): Promise<void> {
  try {
    await askDaemon(dataDir, 'holds.list', { limit: 1 });
  } catch (err) {
    if (!(err instanceof DaemonNotRunning)) throw err;
    if (!changes) return listStopped(dataDir, work);
    await refuseForeignStore(dataDir);
    const store = new InventoryStore(dataDir);
    await store.open();
    try {
      const book = new HoldBook(store.part('holds'));
      const lists = limitBytes ? new HoldLists(book, new HoldIndex(), limitBytes) : new HoldLists(book);
      await lists.load();
      await work((command, args) => holdCommand(lists, command, args));
    } finally {
      await store.close();
    }
    return;
  }
  await work((command, args) => askDaemon(dataDir, `holds.${command}`, args));
}

/** The lists of a stopped daemon, from a copy of its store (nothing when it kept none). */
async function listStopped(dataDir: string, work: Parameters<typeof withLists>[2]): Promise<void> {
  const snapshot = await InventorySnapshot.open(dataDir);
  if (!snapshot) {
    say(`no holds: ${dataDir} has no inventory store yet`);
    return;
  }
  try {
    const lists = new HoldLists(new HoldBook(snapshot.part('holds')));
    await lists.load();
    await work((command, args) => holdCommand(lists, command, args));
  } finally {
    await snapshot.close();
  }
}

/**
 * Root changing a stopped daemon's store would leave root's files in it that the daemon's user
 * cannot open (its next start fails): a change is made as the owner of the data dir.
 */
async function refuseForeignStore(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = (await stat(dataDir).catch(() => undefined))?.uid;
  if (owner !== undefined && owner !== 0)
    throw new HoldEntryError(
      `${dataDir} belongs to user ${owner}: change its holds as that user (e.g. sudo -u <the daemon's user>), or while the daemon runs`,
    );
}

/** The entry the options name, as sent (the same fields as in a hold update). */
function entryOf(o: HoldMatchOptions): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  for (const f of ['unit', 'gtin', 'lot', 'epcPattern', 'reason', 'reference', 'expires'] as const)
    if (o[f] !== undefined) entry[f] = o[f];
  if (o.serials !== undefined) {
    const [from, to] = o.serials.split('-');
    entry.serials = { from, to: to ?? from };
  }
  return entry;
}

function wire(entry: HoldEntry): Record<string, unknown> {
  const { key: _key, kind: _kind, ...rest } = entry;
  return rest;
}

async function run(o: HoldsPlace, changes: boolean, work: Parameters<typeof withLists>[2]): Promise<number> {
  const store = await storeOf(o);
  if (!store) return 1;
  try {
    await withLists(store, changes, work);
    return 0;
  } catch (err) {
    if (
      err instanceof ControlRefused ||
      err instanceof HoldEntryError ||
      err instanceof HoldFileError ||
      err instanceof HoldLimitError
    )
      say(err.message);
    else say(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

export function holdsChangeCommand(verb: 'add' | 'remove', o: HoldMatchOptions): Promise<number> {
  return run(o, true, async (ask) => {
    const entry = entryOf(o);
    parseHoldEntry(entry); // a clear message before anything is asked
    const result = (await ask(verb, { entries: [entry] })) as { version: number; removed?: number };
    if (verb === 'remove' && result.removed === 0)
      throw new HoldEntryError('the local list has no such entry');
    process.stdout.write(`local hold list now at version ${result.version}\n`);
  });
}

export function holdsListCommand(o: HoldsListOptions): Promise<number> {
  return run(o, false, async (ask) => {
    let after: string | undefined;
    let left = o.limit;
    let versions: unknown;
    while (left > 0) {
      const page = (await ask('list', { list: o.list, limit: Math.min(left, 1000), after })) as {
        versions: unknown;
        holds: Record<string, unknown>[];
        next?: string;
      };
      versions ??= page.versions;
      for (const h of page.holds) process.stdout.write(`${o.json ? JSON.stringify(h) : listLine(h)}\n`);
      left -= page.holds.length;
      if (!page.next) break;
      after = page.next;
    }
    if (!o.json) process.stderr.write(`versions: ${JSON.stringify(versions)}\n`);
  });
}

function listLine(h: Record<string, unknown>): string {
  const match =
    h.unit ??
    h.epcPattern ??
    (h.lot !== undefined
      ? `GTIN ${h.gtin} LOT ${h.lot}`
      : h.serials
        ? `GTIN ${h.gtin} SN ${(h.serials as { from: string }).from}-${(h.serials as { to: string }).to}`
        : `GTIN ${h.gtin}`);
  const why = [h.reason, h.reference, h.expires ? `until ${h.expires}` : undefined].filter(
    (x) => x !== undefined,
  );
  return [h.list, h.kind, match, ...why].join('  ');
}

/**
 * The file's entries as the commands carry them: chunks within a command's count and bytes. With
 * `distinct`, each entry named earlier in the file is left out (the same slot in the index).
 */
async function* chunksOf(file: string, distinct = false): AsyncGenerator<Record<string, unknown>[]> {
  let chunk: Record<string, unknown>[] = [];
  let bytes = 0;
  const seen = distinct ? new SeenNames() : undefined;
  for await (const { entry } of holdFileEntries(file)) {
    if (seen && !seen.add(entryName(entry))) continue;
    const w = wire(entry);
    const size = JSON.stringify(w).length + 1;
    if (chunk.length === ENTRIES_PER_COMMAND || bytes + size > MAX_CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(w);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** True when the daemon refused a command it does not know (one started before an upgrade). */
const unknownCommand = (err: unknown) =>
  err instanceof ControlRefused && err.message.startsWith('unknown command');

/**
 * Asks whether the hold index has room for the import. Counted first with every entry new (an
 * entry the file names twice, once); when that is refused and the import adds to the list, the
 * file's distinct entries are weighed against what the list has (a chunk at a time: a list mostly
 * re-imported needs little room) and the question asked again with what they need: the answer
 * then is the one that stands.
 */
async function askRoom(
  ask: (command: HoldCommand, args: unknown) => Promise<unknown>,
  file: string,
  replace: boolean,
  counted: { slots: number; ranges: number },
): Promise<void> {
  try {
    await ask('room', { ...counted, replace });
  } catch (err) {
    // A daemon started before its package was upgraded has no limit to ask about.
    if (unknownCommand(err)) return;
    if (replace) throw err; // every entry is new to an emptied list
    const needed = { slots: 0, ranges: 0 };
    try {
      for await (const chunk of chunksOf(file, true)) {
        const w = (await ask('weigh', { entries: chunk })) as { slots: number; ranges: number };
        needed.slots += w.slots;
        needed.ranges += w.ranges;
      }
    } catch (weighing) {
      throw unknownCommand(weighing) ? err : weighing;
    }
    await ask('room', { ...needed, replace });
  }
}

export function holdsImportCommand(file: string, o: HoldsImportOptions): Promise<number> {
  return run(o, true, async (ask) => {
    // A first pass checks every line, so a bad line changes nothing, and weighs the entries, so an
    // import the hold index has no room for changes nothing either.
    let total = 0;
    const counted = { slots: 0, ranges: 0 };
    const seen = new SeenNames();
    for await (const { entry } of holdFileEntries(file)) {
      total++;
      if (!seen.add(entryName(entry))) continue;
      counted.slots += holdSlots(entry);
      if (entry.serials) counted.ranges++;
    }
    await askRoom(ask, file, o.replace === true, counted);
    let first = true;
    let version = 0;
    let sent = 0;
    const send = async (chunk: Record<string, unknown>[]) => {
      const result = (await ask('import', { entries: chunk, replace: first && o.replace === true }).catch(
        (err: unknown) => {
          // A later chunk refused (the lists changed since the first pass, e.g. an upstream
          // update took the room): say what is in.
          if (first || !(err instanceof Error)) throw err;
          throw new Error(
            `${err.message} (the first ${sent} of ${total} entries were imported: local hold list at version ${version})`,
          );
        },
      )) as { version: number };
      version = result.version;
      sent += chunk.length;
      first = false;
    };
    for await (const chunk of chunksOf(file)) await send(chunk);
    // An empty file imported with replace empties the list.
    if (first && o.replace) await send([]);
    process.stdout.write(`imported ${total} entries; local hold list now at version ${version}\n`);
  });
}
