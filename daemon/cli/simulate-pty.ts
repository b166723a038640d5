/**
 * The virtual serial line of `readpoint simulate --pty LINK`: a pseudo-terminal pair made by
 * socat. The reader (the daemon) opens LINK; the simulator writes to the other end, a link in a
 * private temp directory. socat waits for the reader to open LINK before it passes any bytes
 * (`wait-slave`), so nothing is sent into a line nobody reads.
 *
 * When the reader closes LINK (a daemon restart, a reader restarted by a reload), socat sees the
 * hang-up and ends; a new pair is made at once behind the same LINK and waits for the next open.
 * So each time a reader has the line open is a session of its own, and nothing written while
 * nobody reads it waits in a buffer to arrive later with a stale time, as with a scanner whose
 * cable is unplugged. (One socat kept across the gap, with `ignoreeof`, blocks in read() on the
 * reopened side until the reader writes, which a scanner's reader never does.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { lstat, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The PTY pair could not be made; the message says what to do. */
export class SimulatePtyError extends Error {
  override readonly name = 'SimulatePtyError';
}

/** One PTY pair behind LINK: the time until its reader (the first to open LINK) closes it. */
export interface PtyLine {
  /** The end the simulator writes to, for this pair only. */
  readonly devicePath: string;
  /** Resolves true once a reader has opened LINK (bytes pass from then on), false if the pair ended first. */
  readonly readerOpened: Promise<boolean>;
  /** Resolves once the reader has closed LINK (or the pair ended): bytes written from then on reach nobody. */
  readonly readerClosed: Promise<void>;
}

export interface SimulatorPty {
  /** The end the reader opens. */
  readonly link: string;
  /**
   * The pair now behind LINK, once it is there for a reader to open; after that pair's reader
   * closed LINK, the next one. Undefined when `signal` aborted first or the line is gone.
   */
  nextLine(signal: AbortSignal): Promise<PtyLine | undefined>;
  /** Resolves when a socat ended by itself, not because the reader closed LINK: the line is gone. */
  readonly ended: Promise<void>;
  /** Ends socat and removes both links and the temp directory; safe to call twice. */
  close(): Promise<void>;
}

/** socat reads `,` `:` `!` quotes and blanks as its own syntax: a link path may not hold them. */
const SAFE_PATH = /^[A-Za-z0-9._/+@~-]+$/;

/** One socat: one PTY pair, one session. */
interface Pair {
  readonly socat: ChildProcess;
  readonly opened: Promise<void>;
  readonly readerClosed: Promise<void>;
  /** Resolves with true when socat ended because the reader closed LINK. */
  readonly exited: Promise<boolean>;
}

export async function openSimulatorPty(linkPath: string): Promise<SimulatorPty> {
  const link = resolve(linkPath);
  if (!SAFE_PATH.test(link))
    throw new SimulatePtyError(
      `--pty ${linkPath}: use a path of letters, digits and . _ - / only (socat takes , : ! and blanks as syntax)`,
    );
  if (
    await lstat(link).then(
      () => true,
      () => false,
    )
  )
    throw new SimulatePtyError(
      `${link} exists already: if no simulator is using it, remove it (rm ${link}), or choose another path`,
    );
  if (
    !(await stat(dirname(link)).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new SimulatePtyError(`--pty ${linkPath}: the directory ${dirname(link)} does not exist`);
  const dir = await mkdtemp(join(tmpdir(), 'readpoint-simulate-'));
  const devicePath = join(dir, 'device');
  if (!SAFE_PATH.test(devicePath)) {
    await rm(dir, { recursive: true, force: true });
    throw new SimulatePtyError(`the temp directory ${dir} has characters socat cannot take: set TMPDIR=/tmp`);
  }

  let closing = false;
  let current: Pair | undefined;
  let gone: () => void = () => {};
  const ended = new Promise<void>((r) => {
    gone = r;
  });
  const killOnExit = () => current?.socat.kill('SIGKILL');
  process.once('exit', killOnExit);
  const removeLinks = () => {
    for (const path of [link, devicePath])
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(path, { force: true });
  };
  // The next pair is made as soon as the last one ended with its reader: the reader may reopen
  // LINK within milliseconds (a reload).
  let next: Promise<Pair | undefined> | undefined;
  const follow = (pair: Pair) => {
    current = pair;
    next = pair.exited.then(async (readerLeft) => {
      if (closing) return undefined;
      if (!readerLeft) {
        gone();
        return undefined;
      }
      try {
        const again = await startPair(link, devicePath);
        // The simulation stopped while this pair was being made (the reader left just before).
        if (closing) {
          await stopSocat(again.socat);
          return undefined;
        }
        follow(again);
        return again;
      } catch {
        gone();
        return undefined;
      }
    });
  };
  const close = async () => {
    closing = true;
    process.removeListener('exit', killOnExit);
    if (current) await stopSocat(current.socat);
    // A pair being made as the reader left (a daemon stopping) comes up after this: it stops itself.
    await next?.catch(() => undefined);
    removeLinks();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    follow(await startPair(link, devicePath));
  } catch (err) {
    await close();
    throw err;
  }
  let used: Pair | undefined;
  const nextLine = async (signal: AbortSignal): Promise<PtyLine | undefined> => {
    let pair = current;
    if (pair === used) pair = await Promise.race([next, abortion(signal)]);
    if (!pair || signal.aborted) return undefined;
    used = pair;
    const readerOpened = Promise.race([pair.opened.then(() => true), pair.exited.then(() => false)]);
    return { devicePath, readerOpened, readerClosed: pair.readerClosed };
  };
  return { link, nextLine, ended, close };
}

/** One time a reader has the line: `ready()` resolves true once it has (false if `end` came first). */
export interface Session {
  readonly path: string;
  ready(): Promise<boolean>;
  /** Aborts when the simulation stops or the reader closed the line. */
  readonly end: AbortSignal;
}

/**
 * The sessions of the line: one for a device (`devicePath`); with a PTY, one per time a reader
 * has LINK open. `play` opens its end at once (a reader may write to it as soon as it opens
 * LINK), waits for `ready()`, and plays until `end`; it resolves true when it made --count, and
 * so does this. `say` tells the technician what the line does.
 */
export async function eachSession(
  pty: SimulatorPty | undefined,
  devicePath: string,
  signal: AbortSignal,
  say: (line: string) => void,
  play: (session: Session) => Promise<boolean>,
): Promise<boolean> {
  if (!pty) return play({ path: devicePath, ready: async () => true, end: signal });
  for (let sessions = 0; ; sessions++) {
    const line = await pty.nextLine(signal);
    if (!line) return false;
    // Nothing is made while nobody reads the line, as a scanner with its cable pulled.
    if (sessions > 0) say(`the reader closed ${pty.link}: nothing is sent until a reader opens it again`);
    say(`waiting for a reader to open ${pty.link}`);
    const left = new AbortController();
    line.readerClosed.then(() => left.abort());
    const end = AbortSignal.any([signal, left.signal]);
    const ready = async () => {
      const opened = await Promise.race([line.readerOpened, abortion(end).then(() => false)]);
      if (opened) say(`a reader opened ${pty.link}: sending`);
      return opened;
    };
    if (await play({ path: line.devicePath, ready, end })) return true;
    if (signal.aborted) return false;
  }
}

/** Starts socat; resolves once both links exist and socat waits for the reader. */
async function startPair(link: string, devicePath: string): Promise<Pair> {
  const socat = spawn(
    'socat',
    [
      '-d',
      '-d',
      // When the reader closes LINK, end at once: the next pair waits behind LINK.
      '-t',
      '0.05',
      `pty,raw,echo=0,link=${devicePath}`,
      `pty,raw,echo=0,link=${link},wait-slave,pty-interval=0.05`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const errors: string[] = [];
  let ptys = 0;
  let transferring = false;
  let readerLeft = false;
  let openedBy: () => void = () => {};
  let closedBy: () => void = () => {};
  const opened = new Promise<void>((r) => {
    openedBy = r;
  });
  const readerClosed = new Promise<void>((r) => {
    closedBy = r;
  });
  createInterface({ input: socat.stderr! }).on('line', (line) => {
    if (/ [EF] /.test(line)) errors.push(line.replace(/^.*? [EF] /, ''));
    else if (line.includes(' PTY is ')) ptys++;
    else if (line.includes('starting data transfer loop')) {
      transferring = true;
      openedBy();
    } else if (transferring && /socket 2 \(fd \d+\) is at EOF/.test(line)) {
      // The reader's end hung up (the last reader closed LINK). LINK goes at once: a reader that
      // opens it again before socat has ended would get a line about to hang up.
      readerLeft = true;
      if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(link, { force: true });
      closedBy();
    }
  });
  // socat ends by itself with 0 only at an EOF: with the transfer on and our end open, the
  // reader's (the EOF line above only says so sooner).
  const exited = new Promise<boolean>((r) =>
    socat.once('exit', (code) => {
      closedBy();
      r((readerLeft || transferring) && code === 0);
    }),
  );
  await new Promise<void>((ready, fail) => {
    socat.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        new SimulatePtyError(
          err.code === 'ENOENT'
            ? 'readpoint simulate --pty needs socat (apt-get install socat); or give --device'
            : `cannot start socat: ${err.message}`,
        ),
      ),
    );
    socat.once('exit', (code) =>
      fail(
        new SimulatePtyError(
          `socat ended (${code}) before the PTY pair was ready: ${errors.at(-1) ?? 'no reason given'}`,
        ),
      ),
    );
    // Both links exist once socat has made both PTYs; it then waits for the reader.
    const check = setInterval(() => {
      if (ptys >= 2 && existsSync(link) && existsSync(devicePath)) {
        clearInterval(check);
        ready();
      }
    }, 10);
    socat.once('exit', () => clearInterval(check));
  });
  return { socat, opened, readerClosed, exited };
}

const abortion = (signal: AbortSignal) =>
  new Promise<undefined>((r) => {
    if (signal.aborted) r(undefined);
    else signal.addEventListener('abort', () => r(undefined), { once: true });
  });

async function stopSocat(socat: ChildProcess): Promise<void> {
  if (socat.exitCode !== null || socat.signalCode !== null || socat.pid === undefined) return;
  const exited = new Promise((r) => socat.once('exit', r));
  socat.kill('SIGTERM');
  const timer = setTimeout(() => socat.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
