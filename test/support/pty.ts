/**
 * A real pseudo-terminal pair made by socat, standing in for a serial scanner: the daemon opens
 * `readerPath`; the test writes the scanner's bytes into the other end. Killing socat makes the
 * device vanish, as an unplugged USB-serial adapter does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface Pty {
  readonly readerPath: string;
  write(bytes: Buffer | string): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
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

  const start = async () => {
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
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
    await until(() => !existsSync(readerPath) || signal === 'SIGKILL', 'socat links removed', 2000).catch(
      () => undefined,
    );
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
