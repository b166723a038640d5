/**
 * A stop signal while the daemon is still starting (systemd stopping a unit it just started, a
 * technician's Ctrl-C): the real CLI is sent SIGTERM at its first log line (the process is up,
 * the code and the configuration not yet loaded), and while start-up waits on an upstream that
 * never answers (the outbox open, the uplink trying). Each time it says it was asked to stop
 * during start-up, stops what had started, exits 0, and leaves the data directory free.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogLine, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';

let dir: string;
let config: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-stop-start-'));
  config = writeE2eConfig({
    dir,
    readers: '  - id: sim-1\n    driver: simulator\n    readPoint: conveyor-1\n',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The data directory is free: a daemon starts on it, runs, and stops cleanly. */
async function startsAgain(): Promise<void> {
  const again = startDaemon(config);
  try {
    await again.waitForLog((l) => l.msg === 'readpoint running');
  } finally {
    expect(await again.kill('SIGTERM')).toBe(0);
  }
  expect(again.logs.filter((l) => l.level >= 50)).toEqual([]);
}

const messages = (logs: LogLine[]) => logs.map((l) => l.msg);

describe('a stop signal during start-up', () => {
  it('at the first log line: stops before starting anything and exits 0', async () => {
    const daemon = startDaemon(config);
    await daemon.waitForLog(() => true);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const asked = daemon.logs.find((l) => l.msg === 'asked to stop during start-up');
    expect(asked).toMatchObject({ level: 30, signal: 'SIGTERM' });
    expect(messages(daemon.logs)).not.toContain('readpoint running');
    expect(messages(daemon.logs).at(-1)).toBe('stopped cleanly');
    expect(daemon.logs.filter((l) => l.level >= 50)).toEqual([]);
    await startsAgain();
  });

  it('while the uplink tries its first connection: ends the attempt, stops what had started, exits 0', async () => {
    // An upstream that takes the connection and never answers: start waits on it (up to the
    // connect timeout) with the outbox open, when the signal comes.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const stalled = writeE2eConfig({
      dir: mkdtempSync(join(dir, 'silent-')),
      uplinkUrl: `mqtt://127.0.0.1:${port}`,
      readers: '  - id: sim-1\n    driver: simulator\n    readPoint: conveyor-1\n',
    });
    const daemon = startDaemon(stalled);
    try {
      await daemon.waitForLog((l) => l.msg === 'outbox open');
      daemon.child.kill('SIGTERM');
      expect(await daemon.exited).toBe(0);
    } finally {
      silent.close();
    }
    const msgs = messages(daemon.logs);
    const asked = msgs.indexOf('asked to stop during start-up');
    expect(asked).toBeGreaterThan(msgs.indexOf('outbox open'));
    // The attempt was ended, not waited out (it would end in 'uplink cannot connect').
    expect(msgs.slice(asked + 1)).toEqual(['uplink stopped', 'stopped cleanly']);
    expect(msgs).not.toContain('readpoint running');
    expect(daemon.logs.filter((l) => l.level >= 40)).toEqual([]);
    await startsAgain();
  });
});
