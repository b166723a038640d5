/**
 * Starts a bench phase in a process of its own (test/bench/phase.ts), so that its memory and CPU
 * figures are its own work's, and resolves with its result (or rejects with its error).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type PhaseName =
  | 'gateway'
  | 'raw-mqtt'
  | 'latency'
  | 'backlog'
  | 'identity'
  | 'rfid'
  | 'replay'
  | 'unit-memory'
  | 'hold-index'
  | 'hold-load'
  | 'pty-gateway'
  | 'serial-flow'
  | 'node-red'
  | 'where'
  | 'console';

/** How a phase's process is started. */
export interface PhaseLaunch {
  /** Flags for node, before the script (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** A program that execs the phase, e.g. into a memory cgroup (test/support/memory-cgroup.ts). */
  readonly launcher?: readonly string[];
  /** Environment variables added to the bench's own for the phase's process. */
  readonly env?: Readonly<Record<string, string>>;
}

export function runPhase<T>(phase: PhaseName, options: object, how: PhaseLaunch = {}): Promise<T> {
  const script = fileURLToPath(new URL('./phase.js', import.meta.url));
  const command = [
    ...(how.launcher ?? []),
    process.execPath,
    ...(how.nodeFlags ?? []),
    script,
    phase,
    JSON.stringify(options),
  ];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(how.env ? { env: { ...process.env, ...how.env } } : {}),
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = out.trim().split('\n').at(-1);
      let result: unknown;
      try {
        result = last ? JSON.parse(last) : undefined;
      } catch {
        result = undefined;
      }
      const error = (result as { error?: unknown } | undefined)?.error;
      if (code === 0 && result !== undefined && error === undefined) resolve(result as T);
      else
        reject(new Error(typeof error === 'string' ? error : `phase ${phase} exited with ${code ?? signal}`));
    });
  });
}
