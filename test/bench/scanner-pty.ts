/**
 * The scanner's line of the PTY bench, shared by both sides (pty-lines.ts, serial-flow.ts): a socat
 * PTY pair, a writer process holding its device end with the lines ready (pty-writer.ts), and the
 * result both sides report. Kept apart from the gateway's side so the flow's process does not load
 * the daemon's modules.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPtyDevice } from '../support/pty-device.js';
import type { Measured } from './cpu.js';

export interface PtyResult extends Measured {
  readonly lines: number;
  /** Peak RSS of the process during its run, MB. */
  readonly rssMb: number;
}

/** How long a run may go without a line getting further before it is called stuck. */
export const STUCK_MS = 30_000;

/**
 * Resolves once `done()` holds, checking every `everyMs`; rejects with `stuck()` once `progress()`
 * has not moved for STUCK_MS.
 */
export async function until(
  done: () => boolean,
  progress: () => number,
  stuck: () => string,
  everyMs: number,
): Promise<void> {
  let last = progress();
  let movedAt = performance.now();
  while (!done()) {
    await new Promise((r) => setTimeout(r, everyMs));
    const now = progress();
    if (now !== last) {
      last = now;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > STUCK_MS) throw new Error(stuck());
  }
}

/** A line of the writer's stdout, or its exit as an error. */
function said(writer: ChildProcess, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: string) => {
      out += chunk;
      if (out.split('\n').includes(word)) {
        writer.stdout?.off('data', onData);
        writer.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`the line writer exited with ${code}`));
    writer.stdout?.setEncoding('utf8').on('data', onData);
    writer.once('exit', onExit);
  });
}

/**
 * A socat PTY and a writer holding its device end with `lines` lines ready; `run` gets the path
 * the reader opens and `go`, which starts the writing. Everything is gone when `run` settles.
 */
export async function withScannerLines<T>(
  lines: number,
  run: (readerPath: string, go: () => void) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-pty-'));
  const pty = await openPtyDevice(dir, 'scanner');
  let writer: ChildProcess | undefined;
  try {
    writer = spawn(
      process.execPath,
      [fileURLToPath(new URL('./pty-writer.js', import.meta.url)), pty.devicePath, String(lines)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await said(writer, 'ready');
    const w = writer;
    return await run(pty.readerPath, () => w.stdin?.write('go\n'));
  } finally {
    writer?.kill('SIGKILL');
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
