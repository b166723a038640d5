/**
 * The virtual serial line of `readpoint simulate --pty LINK`: a pseudo-terminal pair made by
 * socat. The reader (the daemon) opens LINK; the simulator writes to the other end, a link in a
 * private temp directory. socat waits for the reader to open LINK before it passes any bytes
 * (`wait-slave`, and it says so on its log), so nothing is sent into a line nobody reads; it
 * outlives the reader closing LINK (`ignoreeof`), so the daemon can be restarted meanwhile.
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

export interface SimulatorPty {
  /** The end the reader opens. */
  readonly link: string;
  /** The end the simulator writes to. */
  readonly devicePath: string;
  /** Resolves once a reader has opened `link`: from then on bytes pass. */
  readonly readerOpened: Promise<void>;
  /** Resolves when socat ends by itself: the line is gone. */
  readonly ended: Promise<void>;
  /** Ends socat and removes both links and the temp directory; safe to call twice. */
  close(): Promise<void>;
}

/** socat reads `,` `:` `!` quotes and blanks as its own syntax: a link path may not hold them. */
const SAFE_PATH = /^[A-Za-z0-9._/+@~-]+$/;

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
  const socat = spawn(
    'socat',
    [
      '-d',
      '-d',
      `pty,raw,echo=0,link=${devicePath}`,
      `pty,raw,echo=0,link=${link},wait-slave,pty-interval=0.1,ignoreeof`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const killOnExit = () => socat.kill('SIGKILL');
  process.once('exit', killOnExit);
  const removeLinks = () => {
    for (const path of [link, devicePath])
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(path, { force: true });
  };
  const errors: string[] = [];
  let ptys = 0;
  let openedBy: () => void = () => {};
  const readerOpened = new Promise<void>((r) => {
    openedBy = r;
  });
  createInterface({ input: socat.stderr! }).on('line', (line) => {
    if (/ [EF] /.test(line)) errors.push(line.replace(/^.*? [EF] /, ''));
    else if (line.includes(' PTY is ')) ptys++;
    else if (line.includes('starting data transfer loop')) openedBy();
  });
  const ended = new Promise<void>((r) => socat.once('exit', () => r()));
  const close = async () => {
    process.removeListener('exit', killOnExit);
    await stopSocat(socat);
    removeLinks();
    await rm(dir, { recursive: true, force: true });
  };
  try {
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
  } catch (err) {
    await close();
    throw err;
  }
  return { link, devicePath, readerOpened, ended, close };
}

async function stopSocat(socat: ChildProcess): Promise<void> {
  if (socat.exitCode !== null || socat.signalCode !== null || socat.pid === undefined) return;
  const exited = new Promise((r) => socat.once('exit', r));
  socat.kill('SIGTERM');
  const timer = setTimeout(() => socat.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
