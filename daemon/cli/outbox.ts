/**
 * `readpoint outbox stats|export`: what waits in the outbox of a stopped gateway, and the way to
 * carry it off a box whose uplink is gone for good. Both read a snapshot (daemon/outbox/inspect.ts):
 * the store is never changed. Exit 0 done; 1 when it cannot be done (no outbox there, the daemon
 * is running, an invalid config, the output cannot be written); 64 for wrong options.
 */
import { open, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import { PRIVATE_FILE, PRIVATE_UMASK } from '../outbox/data-dir.js';
import { refuseUnsafeDataDir } from '../outbox/data-dir-guard.js';
import { OutboxInUseError, OutboxMissingError, OutboxSnapshot } from '../outbox/inspect.js';
import { summaryJson, summaryLines } from './outbox-format.js';

/** Where the outbox is: the dataDir of a config, or a data directory given as it is. */
export interface OutboxPlace {
  readonly config?: string;
  readonly dataDir?: string;
}

export interface OutboxStatsOptions extends OutboxPlace {
  readonly json?: boolean;
}

export interface OutboxExportOptions extends OutboxPlace {
  /** A file to create (it must not exist); stdout when absent. */
  readonly output?: string;
  readonly fromSeq?: number;
  readonly limit?: number;
}

const say = (line: string) => process.stderr.write(`readpoint outbox: ${line}\n`);

/** The outbox directory, or undefined after saying why there is none to look at. */
async function outboxDir(o: OutboxPlace): Promise<string | undefined> {
  if (o.dataDir !== undefined) return join(resolve(o.dataDir), 'outbox');
  try {
    const config = await loadConfig(o.config!);
    return join(resolve(config.dataDir), 'outbox');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    say(
      `cannot read the dataDir from ${o.config}: fix it (readpoint check --config ${o.config}), or give --data-dir DIR`,
    );
    return undefined;
  }
}

/** Opens a snapshot of the outbox, or says why it cannot and returns undefined. */
async function snapshot(o: OutboxPlace): Promise<OutboxSnapshot | undefined> {
  // The snapshot's copies and an export are as private as the outbox.
  process.umask(PRIVATE_UMASK);
  const dir = await outboxDir(o);
  if (!dir) return undefined;
  try {
    // As root: the daemon's user may own the data directory, but no one else may change it.
    await refuseUnsafeDataDir(dirname(dir), { foreignOwnerAllowed: true });
    return await OutboxSnapshot.open(dir);
  } catch (err) {
    if (err instanceof OutboxInUseError) {
      const by = err.pid ? ` (process ${err.pid})` : '';
      say(
        `the outbox at ${dir} is in use by a running readpoint${by} (stop it first: systemctl stop readpoint; the live figures are on the health topic)`,
      );
    } else if (err instanceof OutboxMissingError) {
      say(`no outbox at ${dir} (has the daemon ever run with this dataDir?)`);
      if (o.config !== undefined)
        say(
          `${err.reason}; a relative dataDir is resolved against the working directory (here ${process.cwd()}), as the daemon does against its own (systemd: WorkingDirectory); or give --data-dir DIR`,
        );
    } else say((err as Error).message);
    return undefined;
  }
}

/** Ctrl-C (or SIGTERM) aborts the signal while `work` runs, instead of killing the process. */
async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(stop.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** `readpoint outbox stats`: the figures of a stopped gateway's outbox. */
export function outboxStatsCommand(o: OutboxStatsOptions): Promise<number> {
  return interruptible((signal) => stats(o, signal));
}

async function stats(o: OutboxStatsOptions, signal: AbortSignal): Promise<number> {
  const snap = await snapshot(o);
  if (!snap) return 1;
  try {
    const summary = await snap.summary(signal).catch((err: Error) => {
      if (!signal.aborted) throw err;
      return undefined;
    });
    if (!summary) {
      say('interrupted');
      return 1;
    }
    const now = Date.now();
    process.stdout.write(
      o.json
        ? `${JSON.stringify(summaryJson(summary, now))}\n`
        : `${summaryLines(summary, now).join('\n')}\n`,
    );
    return 0;
  } finally {
    await snap.close();
  }
}

/** Where exported lines go: a new file (fsynced at the end) or stdout. */
interface LineSink {
  write(text: string): Promise<void>;
  finish(): Promise<void>;
  abandon(): Promise<void>;
}

async function fileSink(path: string): Promise<LineSink> {
  const file = await open(path, 'wx', PRIVATE_FILE);
  return {
    write: async (text) => void (await file.write(text)),
    finish: async () => {
      await file.sync();
      await file.close();
    },
    // A cut-off export must not pass for a whole one.
    abandon: async () => {
      await file.close().catch(() => undefined);
      await rm(path, { force: true });
    },
  };
}

function stdoutSink(): LineSink {
  // A closed pipe (| head) fails the write below; without a listener it would crash the process.
  process.stdout.on('error', () => {});
  return {
    write: (text) =>
      new Promise((done, fail) => process.stdout.write(text, (err) => (err ? fail(err) : done()))),
    finish: async () => {},
    abandon: async () => {},
  };
}

/**
 * `readpoint outbox export`: the undelivered events as NDJSON, each line exactly the payload that
 * would have been published, in sequence order; a summary line on stderr.
 */
export function outboxExportCommand(o: OutboxExportOptions): Promise<number> {
  return interruptible((signal) => exportEvents(o, signal));
}

async function exportEvents(o: OutboxExportOptions, signal: AbortSignal): Promise<number> {
  const snap = await snapshot(o);
  if (!snap) return 1;
  const where = o.output === undefined ? 'stdout' : o.output;
  let sink: LineSink;
  try {
    sink = o.output === undefined ? stdoutSink() : await fileSink(o.output);
  } catch (err) {
    await snap.close();
    const e = err as NodeJS.ErrnoException;
    say(
      e.code === 'EEXIST'
        ? `${o.output} exists already: give another --output, or remove it first`
        : `cannot create ${o.output}: ${e.message}`,
    );
    return 1;
  }
  let count = 0;
  let first: number | undefined;
  let last: number | undefined;
  const damaged: string[] = [];
  try {
    let chunk = '';
    for await (const e of snap.events(o.fromSeq ?? 0, o.limit, signal)) {
      if ('damaged' in e) {
        damaged.push(e.key);
        continue;
      }
      chunk += `${e.payload}\n`;
      first ??= e.seq;
      last = e.seq;
      count++;
      if (chunk.length >= 256 * 1024) {
        await sink.write(chunk);
        chunk = '';
      }
    }
    if (chunk) await sink.write(chunk);
    await sink.finish();
  } catch (err) {
    await sink.abandon();
    const removed = o.output === undefined ? '' : ` (${o.output} removed)`;
    say(`export to ${where} stopped after ${count} events${removed}: ${(err as Error).message}`);
    return 1;
  } finally {
    await snap.close();
  }
  const span = first === undefined ? 'nothing undelivered in that range' : `seq ${first}..${last}`;
  say(`exported ${count} events, ${span}, to ${where}`);
  if (damaged.length > 0)
    say(`skipped ${damaged.length} record(s) that cannot be decoded: ${damaged.slice(0, 5).join(', ')}`);
  return 0;
}
