/**
 * `readpoint replay FILE --config FILE`: a capture run through decode and smoothing as the
 * configuration would run it (capture/replay.ts), offline. Prints the events it emits, one
 * readable line each (`--json`: each event's payload, as the daemon would publish it), and a
 * summary on stderr. With `--compare OTHER`, both configurations take the same reads and the
 * differences are printed instead. Exit 0 done, 1 a configuration is invalid or lacks the reader,
 * 2 the capture is unreadable (bad, cut off without --partial, another format version).
 */
import { basename } from 'node:path';
import type { Config } from '../../config/schema.js';
import { captureEntries } from '../capture/capture-file.js';
import { CaptureError, type CaptureHeader } from '../capture/capture-format.js';
import { Replay, type ReplayedEvent, replayLeavesOut, replayReader } from '../capture/replay.js';
import { compare, ReplayTally } from '../capture/replay-compare.js';
import type { RejectPayload } from '../contract/topics.js';
import { EXIT } from './exit-codes.js';
import { printComparison } from './replay-format.js';
import { Output } from './stdout-lines.js';
import { Columns, eventCells, rejectCells, timeFormatter } from './tail-format.js';

export interface ReplayCliOptions {
  readonly config: string;
  readonly compare?: string;
  readonly reader?: string;
  readonly json?: boolean;
  readonly rejects?: boolean;
  readonly partial?: boolean;
}

export async function replayCommand(file: string, o: ReplayCliOptions): Promise<number> {
  const configs = await loadConfigs([o.config, ...(o.compare ? [o.compare] : [])]);
  if (typeof configs === 'string') {
    process.stderr.write(`${configs}\n`);
    return EXIT.badConfig;
  }
  const out = new Output();
  const time = timeFormatter();
  const columns = new Columns();
  const started = performance.now();
  let header: CaptureHeader | undefined;
  let replays: Replay[] = [];
  const tallies = configs.map(() => new ReplayTally());
  let first: number | undefined;
  let last = 0;
  try {
    for await (const entry of captureEntries(file, { partial: o.partial === true })) {
      if (entry.kind === 'header') {
        header = entry.header;
        const readerId = o.reader ?? header.reader.id;
        const made = configs.map((c, i) => makeReplay(c, readerId, o, tallies[i]!, out, time, columns));
        const refused = made.find((m) => typeof m === 'string');
        if (refused !== undefined) {
          process.stderr.write(`readpoint replay: ${refused}\n`);
          return EXIT.badConfig;
        }
        replays = made as Replay[];
      } else if (entry.kind === 'read') {
        first ??= entry.read.mono;
        last = entry.read.mono;
        for (const r of replays) r.feed(entry.read);
        if (out.full) await out.drained();
      } else {
        if (entry.cutOff) process.stderr.write(`${file}: cut off; replayed the reads before the cut\n`);
        else if (entry.end.dropped > 0)
          process.stderr.write(
            `${file}: the recording lost ${entry.end.dropped} reads (a slow recorder); events may differ from the live run\n`,
          );
        for (const r of replays) await r.finish(entry.end.m);
      }
    }
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    process.stderr.write(`readpoint replay: ${err.message}\n`);
    return EXIT.fatal;
  }
  for (const [i, r] of replays.entries()) tallies[i]!.close(r.counters, r.pipeline.rejectCodes);
  const spanMs = first === undefined ? 0 : last - first;
  const tookMs = performance.now() - started;
  if (o.compare)
    await printComparison(out, compare(tallies[0]!, tallies[1]!), names(o), o.json === true, time);
  const speed = tookMs > 0 && spanMs > 0 ? ` (${Math.round(spanMs / tookMs)}x real time)` : '';
  process.stderr.write(
    `${tallies[0]!.counters?.reads ?? 0} reads of reader ${o.reader ?? header?.reader.id}, ${(spanMs / 1000).toFixed(1)} s of capture, replayed in ${(tookMs / 1000).toFixed(2)} s${speed}\n`,
  );
  for (const [i, t] of tallies.entries()) process.stderr.write(`${names(o)[i]}: ${summary(t)}\n`);
  await out.flushed();
  return EXIT.ok;
}

function makeReplay(
  config: Config,
  readerId: string,
  o: ReplayCliOptions,
  tally: ReplayTally,
  out: Output,
  time: (iso: unknown) => string,
  columns: Columns,
): Replay | string {
  const reader = replayReader(config, readerId);
  if (typeof reader === 'string') return reader;
  for (const note of replayLeavesOut(config, reader))
    process.stderr.write(`readpoint replay: note: ${note}\n`);
  const alone = o.compare === undefined;
  const onEvent = (e: ReplayedEvent) => {
    tally.add(e);
    if (!alone) return;
    out.write(o.json ? e.payload : columns.line(eventCells(JSON.parse(e.payload), time)));
  };
  const onReject = (r: RejectPayload) => {
    if (alone && o.rejects) out.write(o.json ? JSON.stringify(r) : columns.line(rejectCells({ ...r }, time)));
  };
  return new Replay(config, reader, { onEvent, onReject });
}

/** The files' names, told apart when they are the same. */
function names(o: ReplayCliOptions): string[] {
  const a = basename(o.config);
  const b = o.compare ? basename(o.compare) : '';
  return a === b ? [o.config, o.compare!] : [a, b];
}

function summary(t: ReplayTally): string {
  const kinds = [...t.byKind].map(([k, n]) => `${k} ${n}`).join(', ');
  const codes = [...t.rejects].map(([c, n]) => `${c} ${n}`).join(', ');
  return (
    `${t.events} events${kinds ? ` (${kinds})` : ''}, ${t.counters?.rejected ?? 0} rejects${codes ? ` (${codes})` : ''}, ` +
    `${t.counters?.belowFloor ?? 0} reads under the RSSI floor`
  );
}

async function loadConfigs(files: readonly string[]): Promise<Config[] | string> {
  const { ConfigError, formatProblem, loadConfig } = await import('../../config/load.js');
  const configs: Config[] = [];
  for (const file of files) {
    try {
      configs.push(await loadConfig(file));
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.map(formatProblem).join('\n');
      return `readpoint replay: ${file}: ${(err as Error).message}`;
    }
  }
  return configs;
}
