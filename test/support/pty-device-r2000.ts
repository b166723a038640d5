/**
 * A socat PTY pair whose both ends are paths: the driver opens `readerPath`, a simulated module
 * (drivers/r2000/simulator.ts) opens `devicePath`, so the module can read commands as well as
 * answer them. Killing socat makes the device vanish, as an unplugged USB-serial adapter does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface DevicePty {
  /** The path the driver opens. */
  readonly readerPath: string;
  /** The path the simulated module opens. */
  readonly devicePath: string;
  /** SIGKILLs socat: both ends vanish mid-stream and the links are gone. */
  kill(): Promise<void>;
  /** A new PTY pair behind the same links: the device is back (the module must reopen). */
  restart(): Promise<void>;
  /** Ends socat and removes the links; safe to call twice. */
  close(): Promise<void>;
}

export async function openDevicePty(dir: string, name = 'r2000'): Promise<DevicePty> {
  const readerPath = join(dir, name);
  const devicePath = join(dir, `${name}.device`);
  let socat: ChildProcess | undefined;

  // Links left by a SIGKILLed socat point at /dev/pts numbers the kernel hands out again.
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
    const deadline = Date.now() + 5000;
    while (!(existsSync(readerPath) && existsSync(devicePath)) && proc.exitCode === null) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the socat PTYs');
      await new Promise((r) => setTimeout(r, 10));
    }
    if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}`);
  };
  const stop = async (signal: NodeJS.Signals) => {
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
    devicePath,
    kill: () => stop('SIGKILL'),
    async restart() {
      await stop('SIGKILL');
      await start();
    },
    close: () => stop('SIGTERM'),
  };
}
