/**
 * Runs the real daemon (`node dist/daemon/cli/main.js run`) as a child process, reads its JSON
 * log lines, and kills it like a power cut (SIGKILL) or stops it like systemd (SIGTERM).
 * The build in dist/ is made by `npm test` before the suite runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './schemas.js';

export const cliPath = join(repoRoot, 'dist', 'daemon', 'cli', 'main.js');

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly stderr: string[];
  /**
   * Resolves with the first log line matching, or rejects after timeoutMs (or if the process exits).
   * With `since`, lines before that index of `logs` are not considered (what happened after a fault).
   */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number, since?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

/**
 * `launcher` runs the daemon through another program that execs it, e.g. `['setpriv',
 * '--reuid=65534', ...]` (as another user) or `['sh', '-c', 'umask 000 && exec "$@"', 'sh']`.
 */
export function startDaemon(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  launcher: readonly string[] = [],
): DaemonProcess {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  const command = [...launcher, process.execPath, cliPath, 'run', '--config', configFile];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const listeners = new Set<(line: LogLine) => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 0, msg: text, notJson: true };
    }
    logs.push(line);
    for (const l of listeners) l(line);
  });
  createInterface({ input: child.stderr! }).on('line', (text) => stderr.push(text));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let done = false;
  exited.then(() => {
    done = true;
  });
  return {
    child,
    logs,
    stderr,
    exited,
    waitForLog(match, timeoutMs = 20_000, since = 0) {
      const found = logs.slice(since).find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `no matching log line within ${timeoutMs} ms; last lines:\n${logs
                .slice(-5)
                .map((l) => JSON.stringify(l))
                .join('\n')}\nstderr:\n${stderr.join('\n')}`,
            ),
          );
        }, timeoutMs);
        const listener = (line: LogLine) => {
          if (!match(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        exited.then((code) => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`daemon exited (${code}) before the log line; stderr:\n${stderr.join('\n')}`));
        });
      });
    },
    kill(signal) {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}
