/** A readpoint command (not the daemon) as a child process: its output, a wait on its stderr, its exit. */
import { type ChildProcess, spawn } from 'node:child_process';
import { cliPath } from './daemon.js';

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr holds a match; rejects if the process exits first or after `timeoutMs`. */
  waitForStderr(match: RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    for (const w of waiters) w();
  });
  // 'close', not 'exit': by then the output is read to its end.
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const w of waiters) w();
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`no ${match} on stderr within ${timeoutMs} ms: ${err}`)),
          timeoutMs,
        );
        const done = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        };
        const check = () => {
          if (match.test(err)) done();
          else if (child.exitCode !== null || child.signalCode !== null)
            done(
              new Error(`exited (${child.exitCode ?? child.signalCode}) before ${match} on stderr: ${err}`),
            );
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs a readpoint command to its end: its exit code (or signal name) and its whole output. */
export async function runCli(
  args: readonly string[],
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = startCli(args);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
