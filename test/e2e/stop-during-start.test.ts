/**
 * A stop signal while the daemon is still starting (systemd stopping a unit it just started, a
 * technician's Ctrl-C): the real CLI is sent SIGTERM at its first log line (the process is up,
 * the code and the configuration not yet loaded) and at the outbox's opening (half the stages
 * started). Each time it says it was asked to stop during start-up, stops what had started, exits
 * 0, and leaves the data directory free for the next start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

  it('with the outbox open: stops what had started, in reverse order, and exits 0', async () => {
    const daemon = startDaemon(config);
    await daemon.waitForLog((l) => l.msg === 'outbox open');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const msgs = messages(daemon.logs);
    expect(msgs).toContain('asked to stop during start-up');
    expect(msgs).not.toContain('readpoint running');
    // What had started stops, the last started first; then the outbox closes.
    const after = msgs.slice(msgs.indexOf('asked to stop during start-up'));
    expect(after.at(-1)).toBe('stopped cleanly');
    expect(after.includes('broker stopped')).toBe(msgs.includes('broker listening'));
    if (after.includes('uplink stopped'))
      expect(after.indexOf('uplink stopped')).toBeLessThan(after.indexOf('broker stopped'));
    expect(daemon.logs.filter((l) => l.level >= 50)).toEqual([]);
    await startsAgain();
  });
});
