/**
 * A real pseudo-terminal pair made by socat, standing in for a serial device that talks back: the
 * driver opens `readerPath`, a device simulator opens `devicePath` and both read and write. Unlike
 * test/support/pty.ts nothing here holds the device end, so the simulator owns it. Killing socat
 * makes both ends vanish, as an unplugged USB-serial adapter does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface PtyDevice {
  /** The path the driver opens: a symlink to its end, made by socat. */
  readonly readerPath: string;
  /** The path the device simulator opens. */
  readonly devicePath: string;
  /** SIGKILLs socat: the device vanishes mid-stream for both ends. */
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

export async function openPtyDevice(dir: string, name = 'module'): Promise<PtyDevice> {
  const readerPath = join(dir, name);
  const devicePath = join(dir, `${name}.device`);
  let socat: ChildProcess | undefined;

  // A SIGKILLed socat leaves its links behind, pointing at /dev/pts numbers the kernel hands to
  // the next PTY, maybe another test's: remove them so nobody opens a stranger's terminal.
  const unlink = () => {
    rmSync(readerPath, { force: true });
    rmSync(devicePath, { force: true });
  };
  const start = async () => {
    unlink();
    const proc = spawn('socat', [`pty,raw,echo=0,link=${readerPath}`, `pty,raw,echo=0,link=${devicePath}`], {
      stdio: 'ignore',
    });
    socat = proc;
    await until(
      () => (existsSync(readerPath) && existsSync(devicePath)) || proc.exitCode !== null,
      'socat PTYs',
    );
    if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}`);
  };
  const stop = async (signal: NodeJS.Signals) => {
    const proc = socat;
    socat = undefined;
    // The links go first, as udev removes an unplugged adapter's by-id link: a driver retrying
    // between socat's death and its exit event must find no path, not a /dev/pts number the
    // kernel may already have given to another test's PTY (seen in CI: an R2000 driver
    // "reconnected" to the module simulator of a test running beside it).
    unlink();
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    }
  };
  await start();
  return {
    readerPath,
    devicePath,
    kill: () => stop('SIGKILL'),
    async restart() {
      await stop('SIGKILL');
      await start();
    },
    close: () => stop('SIGTERM'),
  };
}
