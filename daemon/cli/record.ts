/**
 * `readpoint record --config FILE --reader ID --out FILE`: a reader's raw traffic, before
 * decoding, into a capture file (capture/capture-format.ts) until Ctrl-C, `--duration` or
 * `--max-mb`. With the daemon running on the config's data dir, the daemon holds the device:
 * the reads come from it over the control socket (capture/reader-captures.ts). With no daemon,
 * record opens the reader's driver itself. `--ring` writes the running daemon's ring of the
 * reader's last minutes instead. Exit 0 recorded, 1 bad config or reader, 2 recording failed.
 */
import type { Config, ReaderConfig } from '../../config/schema.js';
import type { RawRead } from '../../drivers/driver.js';
import { captureHeader, readLine } from '../capture/capture-format.js';
import type { CaptureAnswer } from '../capture/reader-captures.js';
import { askDaemon, DaemonNotRunning } from '../inventory/control-client.js';
import { CaptureWriter } from './capture-writer.js';
import { EXIT } from './exit-codes.js';
import { stopSignal } from './stop-signals.js';

export interface RecordCliOptions {
  readonly config: string;
  readonly reader: string;
  readonly out: string;
  readonly duration?: number;
  readonly maxMb: number;
  readonly ring?: boolean;
}

/** How often the running daemon is asked for the reads it kept. */
const POLL_MS = 200;

export async function recordCommand(o: RecordCliOptions): Promise<number> {
  const loaded = await readerOf(o);
  if (typeof loaded === 'string') {
    process.stderr.write(`readpoint record: ${loaded}\n`);
    return EXIT.badConfig;
  }
  const { config, reader } = loaded;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    if (o.ring) return await fromRing(config, reader, o, say);
    const started = await askDaemon(config.dataDir, 'capture.start', { reader: reader.id }).catch(
      (err: unknown) => {
        if (err instanceof DaemonNotRunning) return undefined;
        throw err;
      },
    );
    if (started) return await fromDaemon(config, started as Started, o, say);
    return await fromDriver(config, reader, o, say);
  } catch (err) {
    say(`readpoint record: ${(err as Error).message}`);
    return EXIT.fatal;
  }
}

interface Started {
  readonly session: string;
  readonly header: Parameters<CaptureWriter['header']>[0];
}

/** Resolves with why recording ends: a stop signal, the duration, or the file's size limit (polled). */
function ending(o: RecordCliOptions): { readonly reason: Promise<'stopped' | 'duration'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reason = Promise.race([
    stopSignal().then(() => 'stopped' as const),
    new Promise<'duration'>((resolve) => {
      if (o.duration !== undefined) timer = setTimeout(() => resolve('duration'), o.duration * 1000);
    }),
  ]);
  return { reason, cancel: () => clearTimeout(timer) };
}

async function fromDaemon(config: Config, started: Started, o: RecordCliOptions, say: (l: string) => void) {
  const out = new CaptureWriter(o.out, o.maxMb * 1024 * 1024);
  await out.header(started.header);
  const origin = Date.parse(started.header.origin);
  say(`recording reader ${o.reader} from the running daemon into ${o.out} (Ctrl-C to stop)`);
  const end = ending(o);
  let why: 'stopped' | 'duration' | 'max-bytes' | undefined;
  void end.reason.then((r) => {
    why ??= r;
  });
  let answer: CaptureAnswer = { lines: [], reads: 0, dropped: 0, ended: false };
  try {
    for (;;) {
      answer = (await askDaemon(config.dataDir, why ? 'capture.stop' : 'capture.next', {
        session: started.session,
      })) as CaptureAnswer;
      if (!(await out.readLines(answer.lines))) why ??= 'max-bytes';
      if (answer.ended) break;
      if (why) continue;
      await Promise.race([end.reason, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
    }
  } catch (err) {
    // The daemon stopped (or restarted): what was taken is kept, and the file ends cleanly.
    end.cancel();
    await out.end('daemon-stopped', answer.dropped, Date.now() - origin);
    say(
      `readpoint record: the daemon stopped answering (${(err as Error).message}); ${out.count} reads were recorded`,
    );
    return EXIT.fatal;
  }
  end.cancel();
  const written = await out.end(why ?? 'stopped', answer.dropped, Date.now() - origin);
  return finished(written.reads, written.dropped, o, say);
}

async function fromRing(config: Config, reader: ReaderConfig, o: RecordCliOptions, say: (l: string) => void) {
  const ring = (await askDaemon(config.dataDir, 'capture.ring', { reader: reader.id }).catch(
    (err: unknown) => {
      if (err instanceof DaemonNotRunning)
        throw new Error(`--ring writes the running daemon's ring, and ${err.message}`);
      throw err;
    },
  )) as Started & { dropped: number };
  const out = new CaptureWriter(o.out, o.maxMb * 1024 * 1024);
  await out.header(ring.header);
  let answer: CaptureAnswer;
  do {
    answer = (await askDaemon(config.dataDir, 'capture.next', { session: ring.session })) as CaptureAnswer;
    if (!(await out.readLines(answer.lines))) {
      await askDaemon(config.dataDir, 'capture.stop', { session: ring.session });
      break;
    }
  } while (!answer.ended);
  const written = await out.end(out.full ? 'max-bytes' : 'ring', ring.dropped, out.lastMono);
  return finished(written.reads, written.dropped, o, say);
}

async function fromDriver(
  config: Config,
  reader: ReaderConfig,
  o: RecordCliOptions,
  say: (l: string) => void,
) {
  if (reader.driver === 'impinj-r700' || reader.driver === 'zebra-fx')
    throw new Error(
      `reader ${reader.id} publishes its reads to the daemon's embedded broker: start the daemon (readpoint run) and record again`,
    );
  const [{ createDriver }, { rootLogger }] = await Promise.all([
    import('../../drivers/registry.js'),
    import('../log.js'),
  ]);
  const log = rootLogger('warn', process.stderr).child({ component: 'reader', reader: reader.id });
  const origin = { mono: performance.now(), at: Date.now() };
  const out = new CaptureWriter(o.out, o.maxMb * 1024 * 1024);
  await out.header(captureHeader('driver', config.gateway.id, reader, origin.at));
  const end = ending(o);
  let full!: () => void;
  const filled = new Promise<'max-bytes'>((resolve) => {
    full = () => resolve('max-bytes');
  });
  const driver = createDriver(reader, { log });
  driver.on('state', (st: { state: string; lastError?: string }) =>
    say(`reader ${reader.id} ${st.state}${st.lastError ? `: ${st.lastError}` : ''}`),
  );
  // Reads are written in the order the driver hands them; a slow disk holds the driver back.
  let writing: Promise<unknown> = Promise.resolve();
  await driver.start({
    read: (read: RawRead) => {
      const line = readLine(read, origin.mono);
      writing = writing.then(() => out.readLines([line])).then((more) => more || full());
      return writing.then(() => undefined);
    },
    reject: () => undefined,
  });
  say(`recording reader ${reader.id} from its device into ${o.out} (Ctrl-C to stop)`);
  const why = await Promise.race([end.reason, filled]);
  end.cancel();
  await driver.stop();
  await writing;
  const written = await out.end(why, 0, performance.now() - origin.mono);
  return finished(written.reads, 0, o, say);
}

function finished(reads: number, dropped: number, o: RecordCliOptions, say: (l: string) => void): number {
  say(
    `recorded ${reads} reads of reader ${o.reader} into ${o.out}` +
      (dropped > 0 ? `; ${dropped} reads were lost (the recording could not keep up)` : ''),
  );
  return EXIT.ok;
}

async function readerOf(o: RecordCliOptions): Promise<{ config: Config; reader: ReaderConfig } | string> {
  const { ConfigError, formatProblem, loadConfig } = await import('../../config/load.js');
  try {
    const config = await loadConfig(o.config);
    const reader = config.readers.find((r) => r.id === o.reader);
    if (!reader)
      return `${o.config} has no reader "${o.reader}" (its readers: ${config.readers.map((r) => r.id).join(', ')})`;
    return { config, reader };
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem).join('\n');
    return `${o.config}: ${(err as Error).message}`;
  }
}
