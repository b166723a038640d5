/**
 * `readpoint where <unit...>`: where was each unit seen last? Asked of the running daemon over
 * its control socket (`where.find`), or, when no daemon runs, read from a copy of the where-is
 * index in its data dir (inventory-snapshot.ts: the store itself is never opened). A unit is a scan, a Digital Link URI, EPC hex or an EPC
 * URI, read as `readpoint decode` reads it.
 */
import { join } from 'node:path';
import type { WhereResult } from '../contract/topics.js';
import { EXIT } from './exit-codes.js';
import { clean, timeFormatter } from './tail-format.js';

export interface WhereCliOptions {
  readonly config?: string;
  readonly dataDir?: string;
  readonly json?: boolean;
}

/** Exit codes of `readpoint where` (docs/commands.md). */
export const WHERE_EXIT = {
  /** Every unit was found. */
  found: EXIT.ok,
  /** A unit was never seen (or was forgotten). */
  notSeen: 1,
  /** The index could not be asked (an invalid config, no store, the daemon refused or did not answer). */
  notAsked: 2,
  /** A unit names no unit (it does not decode), or the options are wrong. */
  usage: EXIT.usage,
} as const;

export async function whereCommand(units: readonly string[], options: WhereCliOptions): Promise<number> {
  const dataDir = await dataDirOf(options);
  if (typeof dataDir !== 'number') {
    const results = await ask(dataDir, units);
    if (typeof results === 'string') {
      process.stderr.write(`readpoint where: ${results}\n`);
      return WHERE_EXIT.notAsked;
    }
    const code = print(results, options.json === true);
    // The process exits right after: what was written to a pipe must be out first.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    return code;
  }
  return dataDir;
}

async function dataDirOf(options: WhereCliOptions): Promise<string | number> {
  if ((options.config === undefined) === (options.dataDir === undefined)) {
    process.stderr.write('readpoint where: give --config or --data-dir (one of them)\n');
    return WHERE_EXIT.usage;
  }
  if (options.dataDir !== undefined) return options.dataDir;
  const { ConfigError, formatProblem, loadConfig } = await import('../../config/load.js');
  try {
    return (await loadConfig(options.config!)).dataDir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.problems.map(formatProblem).join('\n')}\n`);
    return WHERE_EXIT.notAsked;
  }
}

/** The answers of the running daemon, else of the store; a string says why there are none. */
async function ask(dataDir: string, units: readonly string[]): Promise<WhereResult[] | string> {
  const { askDaemon, ControlRefused, DaemonNotRunning } = await import('../inventory/control-client.js');
  try {
    return (await askDaemon(dataDir, 'where.find', { units })) as WhereResult[];
  } catch (err) {
    if (err instanceof ControlRefused)
      return `the daemon running on ${dataDir} did not answer: ${err.message} (does its config have a where section?)`;
    if (!(err instanceof DaemonNotRunning)) return (err as Error).message;
  }
  const [{ InventorySnapshot }, { findStored }, { answerUnits }] = await Promise.all([
    import('../inventory/inventory-snapshot.js'),
    import('../inventory/where/where-index.js'),
    import('../inventory/where/where-query.js'),
  ]);
  let store: Awaited<ReturnType<typeof InventorySnapshot.open>>;
  try {
    store = await InventorySnapshot.open(dataDir);
  } catch (err) {
    return (err as Error).message;
  }
  if (!store)
    return `no daemon is running on ${dataDir}, and it holds no where-is index (${join(dataDir, 'inventory')})`;
  process.stderr.write(`no daemon is running on ${dataDir}: answered from its where-is index\n`);
  try {
    const part = store.part('where');
    return await answerUnits(units, (key) => findStored(part, key));
  } finally {
    await store.close();
  }
}

function print(results: readonly WhereResult[], json: boolean): number {
  const time = timeFormatter();
  let code: number = WHERE_EXIT.found;
  for (const r of results) {
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    if (r.found) {
      if (!json)
        process.stdout.write(
          `${clean(r.unit)}  ${r.readPoint}  ${time(r.time)}  ${r.transition}  reader ${r.reader}  ${r.eventID}  seq ${r.sequence}\n`,
        );
    } else if ('error' in r) {
      if (!json)
        process.stderr.write(`${clean(r.query)}: not a unit: ${r.error.code}: ${clean(r.error.message)}\n`);
      code = WHERE_EXIT.usage;
    } else {
      if (!json) process.stdout.write(`${clean(r.unit)}  never seen (or forgotten)\n`);
      if (code === WHERE_EXIT.found) code = WHERE_EXIT.notSeen;
    }
  }
  return code;
}
