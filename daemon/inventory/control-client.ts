/**
 * The CLI's side of the control socket (control-server.ts): one request, one answer.
 */
import { createConnection } from 'node:net';
import { controlSocketPath } from './control-server.js';

/** No daemon listens on the data dir's control socket (not running, or another data dir). */
export class DaemonNotRunning extends Error {
  override readonly name = 'DaemonNotRunning';
}

/** The daemon answered with an error (a bad argument, an unknown command): its message. */
export class ControlRefused extends Error {
  override readonly name = 'ControlRefused';
}

/** Largest answer taken, bytes: lists are paged by the commands that return them. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface AskOptions {
  /** Give up after this long without an answer; default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * Sends `command` with `args` to the daemon running on `dataDir` and resolves with its result.
 * Rejects with DaemonNotRunning when nobody listens, ControlRefused when the daemon said no.
 */
export function askDaemon(
  dataDir: string,
  command: string,
  args: unknown,
  options: AskOptions = {},
): Promise<unknown> {
  const path = controlSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let received: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, result?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(`the daemon did not answer ${command} within ${(options.timeoutMs ?? 30_000) / 1000} s`),
        ),
      options.timeoutMs ?? 30_000,
    );
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, command, args: args ?? null })}\n`));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
        finish(new DaemonNotRunning(`no daemon is running on ${dataDir} (no one answers on ${path})`));
      else finish(new Error(`control socket ${path}: ${err.message}`));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const nl = received.indexOf(10);
      if (nl < 0) {
        if (received.length > MAX_ANSWER_BYTES)
          finish(new Error(`the daemon's answer to ${command} is too long`));
        return;
      }
      let answer: { ok?: unknown; result?: unknown; error?: unknown };
      try {
        answer = JSON.parse(received.subarray(0, nl).toString('utf8'));
      } catch {
        return finish(new Error(`the daemon's answer to ${command} is not JSON`));
      }
      if (answer.ok === true) finish(undefined, answer.result);
      else finish(new ControlRefused(typeof answer.error === 'string' ? answer.error : `${command} failed`));
    });
    socket.once('end', () =>
      finish(new Error(`the daemon closed the control socket before answering ${command}`)),
    );
  });
}
