/**
 * watchDevice on real socat PTYs: a device that vanishes while its port is paused (so serialport
 * itself notices nothing) is reported by the probe, by its path or by its hung-up tty; a live PTY
 * (which does not support the modem-status query) is not; and the loss is reported once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchDevice } from '../../drivers/device-watch.js';
import { closeQuietly } from '../../drivers/serial-port.js';
import { openPtyDevice, type PtyDevice } from '../support/pty-device.js';

let dir: string;
const cleanup: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-watch-'));
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

/** A PTY, its reader end open and paused (no read in flight), and a count of the probe's queries. */
async function pausedPort(): Promise<{ pty: PtyDevice; port: SerialPort; queries: () => number }> {
  const pty = await openPtyDevice(dir, 'scanner');
  cleanup.push(() => pty.close());
  const port = new SerialPort({ path: pty.readerPath, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  cleanup.push(() => closeQuietly(port));
  port.pause();
  let count = 0;
  const get = port.get.bind(port);
  port.get = ((cb: Parameters<typeof get>[0]) => {
    count++;
    return get(cb);
  }) as typeof port.get;
  return { pty, port, queries: () => count };
}

describe('watchDevice', () => {
  it('reports a paused port whose device vanished, by its path', async () => {
    const { pty, port } = await pausedPort();
    const reasons: string[] = [];
    watchDevice(port, pty.readerPath, (r) => reasons.push(r), 20);
    await pty.kill();
    await expect.poll(() => reasons).toEqual([`device vanished: ${pty.readerPath} no longer exists`]);
  });

  it('reports a hung-up tty whose path is still there, by its I/O error', async () => {
    const { pty, port, queries } = await pausedPort();
    const stillThere = join(dir, 'still-there');
    writeFileSync(stillThere, '');
    const reasons: string[] = [];
    watchDevice(port, stillThere, (r) => reasons.push(r), 20);
    // Alive: a PTY answers the query with "not supported", which is not a loss.
    await expect.poll(queries).toBeGreaterThanOrEqual(5);
    expect(reasons).toEqual([]);
    await pty.kill();
    await expect.poll(() => reasons).toEqual(['device hung up: its tty answers with an I/O error']);
  });

  it('reports the close serialport notices once, and the probe stays quiet after it', async () => {
    const pty = await openPtyDevice(dir, 'scanner');
    cleanup.push(() => pty.close());
    const port = new SerialPort({ path: pty.readerPath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    cleanup.push(() => closeQuietly(port));
    const reasons: string[] = [];
    watchDevice(port, pty.readerPath, (r) => reasons.push(r), 20);
    port.on('data', () => {}); // flowing: the read loop is what notices here
    await pty.kill();
    await expect.poll(() => reasons.length).toBe(1);
    expect(reasons[0]).toMatch(/^device (closed|error|ended|vanished|hung up)/);
  });
});
