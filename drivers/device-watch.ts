/**
 * How a serial driver learns that its device is gone.
 *
 * serialport reports most losses as a `close`, `error` or `end` event, but not all of them:
 * - it missed the hang-up of a PTY whose other end vanished about 1 in 300 times under load
 *   (measured outside the tests). The likely cause: a hung-up tty reads 0 bytes, and the
 *   binding's read loop takes a 0-byte read as "read again", not as the end, so only its poller
 *   can tell, and only when the hang-up comes while it is the one waiting. An unplugged
 *   USB-serial adapter hangs up its tty the same way;
 * - a port paused for back-pressure reads nothing, so it notices nothing.
 * So a probe looks once a second: the device's path gone (an unplugged adapter's node and its
 * by-id link go, a PTY's /dev/pts node goes with its other end), or the tty answering a
 * modem-status query with an I/O error, which only a hung-up tty does (a live one answers, or
 * says the query is not supported, as a PTY does).
 *
 * Contract: `lost` is called at most once per port, with a reason starting with `device`. The
 * probe ends by itself once the port is closed.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { SerialPort } from 'serialport';

export const DEVICE_PROBE_MS = 1000;

export function watchDevice(
  port: SerialPort,
  path: string,
  lost: (reason: string) => void,
  probeMs = DEVICE_PROBE_MS,
): void {
  let gone = false;
  const once = (reason: string) => {
    if (gone) return;
    gone = true;
    clearInterval(timer);
    lost(reason);
  };
  port.once('close', (err?: Error | null) => once(err ? `device closed: ${err.message}` : 'device closed'));
  port.on('error', (err: Error) => once(`device error: ${err.message}`));
  // A read of zero bytes ends the stream: the device is as gone as if it had closed.
  port.once('end', () => once('device ended the stream'));

  // A path that was never a file (a test's mock binding) is not looked for.
  const watchPath = existsSync(path);
  let probing = false;
  const timer = setInterval(() => {
    if (!port.isOpen) return clearInterval(timer); // closed by its driver: nothing left to watch
    if (probing) return;
    probing = true;
    void probe(port, path, watchPath).then((reason) => {
      probing = false;
      if (reason !== undefined && port.isOpen) once(reason);
    });
  }, probeMs);
  timer.unref();
}

async function probe(port: SerialPort, path: string, watchPath: boolean): Promise<string | undefined> {
  if (watchPath) {
    const missing = await stat(path).then(
      () => false,
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
    );
    if (missing) return `device vanished: ${path} no longer exists`;
  }
  const err = await new Promise<Error | null>((resolve) => port.get((e) => resolve(e ?? null)));
  if (err && /input\/output error/i.test(err.message))
    return 'device hung up: its tty answers with an I/O error';
  return undefined;
}
