/**
 * `readpoint tail` as a child process of the real CLI (dist/), with its stdout and stderr lines
 * and conditions to wait on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliPath } from '../support/daemon.js';

export interface Tail {
  child: ChildProcess;
  lines: string[];
  /** Every byte of stdout, as written. */
  stdout: Buffer[];
  stderr: string[];
  /** Resolves once `n` stdout lines arrived; rejects after 15 s saying what did. */
  waitForLines(n: number): Promise<void>;
  waitForStderr(match: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

export function startTail(args: string[], env: Record<string, string> = {}): Tail {
  const child = spawn(process.execPath, [cliPath, 'tail', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stdout: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => stdout.push(b));
  const lines: string[] = [];
  const stderr: string[] = [];
  const wake = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of wake) w();
  });
  createInterface({ input: child.stderr! }).on('line', (l) => {
    stderr.push(l);
    for (const w of wake) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = (done: () => boolean, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        wake.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        wake.delete(check);
        reject(new Error(`${what()}\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr.join('\n')}`));
      }, 15_000);
      wake.add(check);
      exited.then(() => {
        if (!wake.has(check)) return;
        clearTimeout(timer);
        wake.delete(check);
        reject(new Error(`tail exited early\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr.join('\n')}`));
      });
    });
  return {
    child,
    lines,
    stdout,
    stderr,
    exited,
    waitForLines: (n) =>
      until(
        () => lines.length >= n,
        () => `${lines.length} of ${n} lines`,
      ),
    waitForStderr: (match) =>
      until(
        () => stderr.some((l) => match.test(l)),
        () => `no stderr line matching ${match}`,
      ),
  };
}
