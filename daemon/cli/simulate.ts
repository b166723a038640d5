/**
 * `readpoint simulate`: synthetic reader traffic on a serial device or a PTY, so a technician can
 * test the whole path (reader config -> daemon -> broker) without a live conveyor. `line` plays a
 * barcode scanner (simulate-scanner.ts); `thingmagic` and `r2000` play an RFID module that tags
 * pass by (simulate-tags.ts). Exit 0 when it stopped (after --count, or Ctrl-C); 1 when it cannot
 * (no such device, socat missing, the line went away); 64 for wrong options.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import { prng } from '../../drivers/simulated-units.js';
import { eachSession, openSimulatorPty, SimulatePtyError, type SimulatorPty } from './simulate-pty.js';
import { DELIMITERS, type DelimiterName, escapeRead, type Scan, ScannerTraffic } from './simulate-scanner.js';
import {
  type ModuleProtocol,
  startTagModule,
  TagField,
  type TagModule,
  type TagMove,
} from './simulate-tags.js';

export interface SimulateOptions {
  /** An existing serial device or PTY end to write to; or `pty`, a link to create. */
  readonly device?: string;
  readonly pty?: string;
  readonly protocol: 'line' | ModuleProtocol;
  /** Reads (line) or tag arrivals (RFID) per second. */
  readonly rate: number;
  readonly units: number;
  /** Stop after this many reads (line) or tag arrivals (RFID); run until Ctrl-C when absent. */
  readonly count?: number;
  readonly seed: number;
  readonly garbageShare: number;
  readonly repeats: number;
  readonly delimiter: DelimiterName;
  readonly linkShare: number;
  readonly epcShare: number;
  /** How long a tag stays in the field (RFID). */
  readonly dwellMs: number;
  readonly baudRate: number;
  readonly quiet: boolean;
}

const say = (line: string) =>
  process.stderr.write(line.startsWith('readpoint simulate') ? `${line}\n` : `readpoint simulate: ${line}\n`);
const print = (line: string) => process.stdout.write(`${line}\n`);

/** What went on the line, for the summary at the end. */
interface Tally {
  sent: number;
  garbage: number;
  readonly units: Set<number>;
}

/**
 * Runs the simulation until --count is reached or SIGINT/SIGTERM arrives, then prints a summary on
 * stderr. With `pty` it makes the line, sends nothing before a reader opens it, and keeps it after
 * --count until a signal. Resolves with the exit code: 0 stopped, 1 could not (said on stderr).
 */
export async function simulateCommand(o: SimulateOptions): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let pty: SimulatorPty | undefined;
  let lineGone = false;
  let failed = false;
  const tally: Tally = { sent: 0, garbage: 0, units: new Set() };
  const started = performance.now();
  try {
    if (o.pty !== undefined) {
      pty = await openSimulatorPty(o.pty);
      say(`configure the reader with device: ${pty.link} (in the config: path: ${pty.link})`);
      pty.ended.then(() => {
        lineGone = true;
        stop.abort();
      });
    }
    await (o.protocol === 'line'
      ? runScanner(o, pty, stop.signal, tally)
      : runModule(o, o.protocol, pty, stop.signal, tally));
    if (lineGone) {
      say('the PTY pair is gone (socat ended): stopped');
      return 1;
    }
    return 0;
  } catch (err) {
    if (!(err instanceof SimulatePtyError || err instanceof LineError)) throw err;
    say(err.message);
    failed = true;
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await pty?.close();
    if (!failed || tally.sent > 0) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const what = o.protocol === 'line' ? 'reads' : 'tag arrivals';
      say(
        `sent ${tally.sent} ${what} (${tally.garbage} garbage) of ${tally.units.size} units in ${seconds} s`,
      );
    }
  }
}

/** The line cannot be used; the message says why and what to do. */
class LineError extends Error {}

/** Plays a barcode scanner; true when --count reads were sent. */
async function runScanner(
  o: SimulateOptions,
  pty: SimulatorPty | undefined,
  signal: AbortSignal,
  tally: Tally,
): Promise<boolean> {
  const traffic = new ScannerTraffic(o);
  const end = Buffer.from(DELIMITERS[o.delimiter], 'latin1');
  return eachSession(pty, o.device!, signal, say, async ({ path, ready, end: sessionEnd }) => {
    const port = await openLine(path, o.baudRate, o.device ?? o.pty!);
    let lost: string | undefined;
    port.on('close', () => {
      lost ??= `${o.device ?? o.pty} went away`;
    });
    port.on('error', (err: Error) => {
      lost ??= err.message;
    });
    try {
      if (!(await ready())) return false;
      const left = o.count === undefined ? undefined : o.count - tally.sent;
      const done = await paced(o.rate, left, sessionEnd, async () => {
        // On a PTY, socat ending says why our end failed: the reader closed LINK (the read
        // reached nobody and is not counted), or the line is gone.
        if (lost) {
          if (pty) return abortion(sessionEnd);
          throw new LineError(`${lost}: stopped`);
        }
        const scan = traffic.next();
        try {
          await write(port, Buffer.concat([scan.data, end]));
        } catch (err) {
          if (pty) return abortion(sessionEnd);
          throw err;
        }
        note(tally, scan.unit, scan.kind === 'garbage');
        if (!o.quiet) print(scanLine(scan));
      });
      if (done && pty) await holdLine(signal);
      return done;
    } finally {
      if (port.isOpen) await new Promise((r) => port.close(r));
    }
  });
}

/** Plays an RFID module that tags pass by; true when --count tags have come and gone. */
async function runModule(
  o: SimulateOptions,
  protocol: ModuleProtocol,
  pty: SimulatorPty | undefined,
  signal: AbortSignal,
  tally: Tally,
): Promise<boolean> {
  const random = prng(o.seed);
  const field = new TagField({ units: o.units, dwellMs: o.dwellMs, random }, (m) => {
    if (!o.quiet) print(tagLine(m));
  });
  return eachSession(pty, o.device!, signal, say, async ({ path, ready, end: sessionEnd }) => {
    let module: TagModule;
    try {
      module = await startTagModule(protocol, path, o.baudRate);
    } catch (err) {
      throw new LineError(lineTrouble(o.device ?? o.pty!, err as Error));
    }
    field.attach(module);
    try {
      if (!(await ready())) return false;
      if (!module.reading()) {
        say(`waiting for the reader to start reading (a ${protocol} reader on the other end of the line)`);
        while (!module.reading() && !sessionEnd.aborted)
          await sleep(50, undefined, { signal: sessionEnd }).catch(() => {});
        if (sessionEnd.aborted) return false;
      }
      say('the reader is reading: tags arrive');
      const left = o.count === undefined ? undefined : o.count - tally.sent;
      const done = await paced(o.rate, left, sessionEnd, async () => {
        const move = field.arrive();
        const garbage = random() < o.garbageShare;
        if (garbage) await module.noise();
        note(tally, move.unit, garbage);
      });
      if (done) await Promise.race([field.empty(), abortion(sessionEnd)]);
      if (done && pty) await holdLine(signal);
      return done;
    } finally {
      field.clear();
      await module.close();
    }
  });
}

/** After --count the PTY stays, with this end open, until Ctrl-C. */
async function holdLine(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  say(`done: the PTY stays until Ctrl-C, so the reader does not see its device vanish`);
  await abortion(signal);
}

function note(tally: Tally, unit: number, garbage: boolean): void {
  tally.sent++;
  tally.units.add(unit);
  if (garbage) tally.garbage++;
}

/** `step` at `rate` per second until `count` steps or the signal; true when all were made. */
async function paced(
  rate: number,
  count: number | undefined,
  signal: AbortSignal,
  step: () => Promise<void>,
): Promise<boolean> {
  const interval = 1000 / rate;
  const aborted = abortion(signal);
  let next = performance.now();
  for (let made = 0; count === undefined || made < count; made++) {
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
    if (signal.aborted) return false;
    // A line nobody reads fills up and a write waits for room: Ctrl-C still ends it.
    await Promise.race([step(), aborted]);
    if (signal.aborted) return false;
    // Behind by more than a quarter second (a slow line), it does not rush to catch up.
    next = Math.max(next + interval, performance.now() - 250);
  }
  return true;
}

const abortion = (signal: AbortSignal) =>
  new Promise<void>((r) => {
    if (signal.aborted) r();
    else signal.addEventListener('abort', () => r(), { once: true });
  });

async function openLine(path: string, baudRate: number, given: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  try {
    await new Promise<void>((done, fail) => port.open((err) => (err ? fail(err) : done())));
  } catch (err) {
    throw new LineError(lineTrouble(given, err as Error));
  }
  return port;
}

function lineTrouble(path: string, err: Error): string {
  const m = err.message;
  if (/no such file/i.test(m))
    return `no device at ${path} (is the adapter plugged in? readpoint ports lists them; or use --pty LINK for a virtual line)`;
  if (/permission denied/i.test(m))
    return `no permission to open ${path} (add your user to the dialout group, or run as root)`;
  if (/lock/i.test(m) || /busy/i.test(m))
    return `${path} is in use by another program (the reader? simulate on the other end of the line)`;
  return `cannot open ${path}: ${m}`;
}

function write(port: SerialPort, bytes: Buffer): Promise<void> {
  return new Promise((done, fail) => {
    port.write(bytes);
    port.drain((err) => (err ? fail(new LineError(`cannot write to the line: ${err.message}`)) : done()));
  });
}

const time = () => new Date().toISOString();

/** One printed line per read: time, read number, unit, kind, the read as `readpoint decode` takes it. */
export function scanLine(scan: Scan): string {
  return `${time()}  read ${scan.read}  unit ${scan.unit}  ${scan.kind}  ${escapeRead(scan.data)}`;
}

/** One printed line per tag arriving in the field or leaving it. */
export function tagLine(m: TagMove): string {
  const rssi = m.move === 'arrives' ? `  antenna 1  ${m.rssi} dBm` : '';
  return `${time()}  tag ${m.pass}  unit ${m.unit}  ${m.move}  ${m.epc}${rssi}`;
}
