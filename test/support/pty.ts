/**
 * A real pseudo-terminal pair made by socat, standing in for a serial scanner: the daemon opens
 * `readerPath`; the test writes the scanner's bytes into the other end. Killing socat makes the
 * device vanish, as an unplugged USB-serial adapter does.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { openPtyDevice } from './pty-device.js';

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

export async function openPty(dir: string, name = 'reader'): Promise<Pty> {
  const pair = await openPtyDevice(dir, name);
  let feeder: FileHandle | undefined = await open(pair.devicePath, 'r+');
  const closeFeeder = async () => {
    await feeder?.close().catch(() => undefined);
    feeder = undefined;
  };
  return {
    readerPath: pair.readerPath,
    async write(bytes) {
      if (!feeder) throw new Error('the PTY is not running');
      const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      for (let off = 0; off < buf.length; )
        off += (await feeder.write(buf, off, Math.min(4096, buf.length - off))).bytesWritten;
    },
    async kill() {
      await closeFeeder();
      await pair.kill();
    },
    async restart() {
      await closeFeeder();
      await pair.restart();
      feeder = await open(pair.devicePath, 'r+');
    },
    async close() {
      await closeFeeder();
      await pair.close();
    },
  };
}
