/**
 * A real pseudo-terminal pair made by socat, standing in for a serial scanner: the daemon opens
 * `readerPath`; the test writes the scanner's bytes into the other end. Killing socat makes the
 * device vanish, as an unplugged USB-serial adapter does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface Pty {
  /** The path the daemon opens: a symlink to the reader's end, made by socat. */
  readonly readerPath: string;
  /** Sends bytes as the scanner would (into the other end); resolves once all are written. */
  write(bytes: Buffer | string): Promise<void>;
  /** SIGKILLs socat: the reader's device vanishes mid-stream and its link is gone. */
  kill(): Promise<void>;
  /** A new PTY pair behind the same links: the device is back. */
  restart(): Promise<void>;
  /** Ends socat and removes the links; safe to call twice. */
  close(): Promise<void>;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function openPty(dir: string, name = 'reader'): Promise<Pty> {
  const readerPath = join(dir, name);
  const feederPath = join(dir, `${name}.feeder`);
  let socat: ChildProcess | undefined;
  let feeder: FileHandle | undefined;

  // A SIGKILLed socat leaves its links behind, pointing at /dev/pts numbers the kernel hands to
  // the next PTY, maybe another test's: remove them so nobody opens a stranger's terminal.
  const unlink = () => {
    rmSync(readerPath, { force: true });
    rmSync(feederPath, { force: true });
  };
  const start = async () => {
    unlink();
    socat = spawn('socat', [`pty,raw,echo=0,link=${readerPath}`, `pty,raw,echo=0,link=${feederPath}`], {
      stdio: 'ignore',
    });
    const proc = socat;
    await until(
      () => (existsSync(readerPath) && existsSync(feederPath)) || proc.exitCode !== null,
      'socat PTYs',
    );
    if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}`);
    feeder = await open(feederPath, 'r+');
  };
  const stop = async (signal: NodeJS.Signals) => {
    await feeder?.close().catch(() => undefined);
    feeder = undefined;
    const proc = socat;
    socat = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    }
    unlink();
  };
  await start();
  return {
    readerPath,
    async write(bytes) {
      if (!feeder) throw new Error('the PTY is not running');
      const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      for (let off = 0; off < buf.length; )
        off += (await feeder.write(buf, off, Math.min(4096, buf.length - off))).bytesWritten;
    },
    kill: () => stop('SIGKILL'),
    async restart() {
      await stop('SIGKILL');
      await start();
    },
    close: () => stop('SIGTERM'),
  };
}
