/**
 * The service-manager seam against a real notify socket (test/support/notify-socket.ts: a perl
 * receiver that behaves as systemd does with systemd-notify's barrier).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serviceManager } from '../../../daemon/service/notify.js';
import { NotifySocket } from '../../support/notify-socket.js';

/** Resolves once `done()` holds, checking every 5 ms; rejects after timeoutMs. */
async function until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A pino logger whose lines land in `lines`, parsed. */
function capturedLogger() {
  const lines: { level: number; msg: string; notify?: string; component?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

/**
 * Resolves once `periods` periods of `everyMs` have passed on this process's own timers. A
 * watchdog interval of the same period started earlier fires before each of them (the timers of
 * one event loop fire in order of due time, however loaded the machine), so a ping that should
 * not exist has been handed over by then, and a message sent afterwards arrives after it.
 */
function periodsPassed(periods: number, everyMs: number): Promise<void> {
  return new Promise((resolve) => {
    let fired = 0;
    const timer = setInterval(() => {
      if (++fired < periods) return;
      clearInterval(timer);
      resolve();
    }, everyMs);
  });
}

let dir: string;
let socket: NotifySocket | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-notify-'));
});

afterEach(() => {
  socket?.close();
  socket = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const baseEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin' });

/** A stand-in for systemd-notify that appends its arguments to `record` as one line. */
function recordingCommand(record: string, releaseFile?: string): string {
  const path = join(dir, 'fake-notify');
  const wait = releaseFile ? `while [ ! -e '${releaseFile}' ]; do sleep 0.01; done\n` : '';
  writeFileSync(path, `#!/bin/sh\necho "$*" >> '${record}'\n${wait}`);
  chmodSync(path, 0o755);
  return path;
}

const recorded = (record: string): string[] =>
  existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [];

describe('serviceManager under systemd (a real notify socket)', () => {
  it('sends ready, status, reloading and stopping in order, each followed by its barrier', async () => {
    socket = await NotifySocket.open(join(dir, 'notify'));
    const sm = serviceManager({ ...baseEnv(), NOTIFY_SOCKET: socket.path });
    expect(sm.active).toBe(true);

    sm.ready('3 readers connected, outbox 0');
    sm.status('outbox 12\nWATCHDOG=1');
    const before = process.hrtime.bigint() / 1000n;
    sm.reloading();
    const after = process.hrtime.bigint() / 1000n;
    sm.ready('reloaded');
    sm.stopping('stopping: SIGTERM');
    sm.stopping();
    await sm.settled();
    await socket.until((s) => s.arrivals.length === 12, '6 messages and 6 barriers');

    const lines = socket.arrivals.map((a) => a.line);
    expect(lines.filter((_, i) => i % 2 === 1)).toEqual(Array(6).fill('BARRIER=1'));
    const messages = socket.messages();
    expect(messages[0]).toBe('READY=1|STATUS=3 readers connected, outbox 0');
    // A newline in a status text must not smuggle in another assignment.
    expect(messages[1]).toBe('STATUS=outbox 12 WATCHDOG=1');
    const reload = /^RELOADING=1\|MONOTONIC_USEC=(\d+)$/.exec(messages[2] ?? '');
    expect(reload, messages[2]).not.toBeNull();
    const usec = BigInt(reload![1]!);
    expect(usec >= before && usec <= after).toBe(true);
    expect(messages.slice(3)).toEqual([
      'READY=1|STATUS=reloaded',
      'STOPPING=1|STATUS=stopping: SIGTERM',
      'STOPPING=1',
    ]);
  });

  it('pings the watchdog every WATCHDOG_USEC/2 from the event loop, and stops when told', async () => {
    socket = await NotifySocket.open(join(dir, 'notify'));
    const sm = serviceManager({
      ...baseEnv(),
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: '200000',
      WATCHDOG_PID: String(process.pid),
    });
    const started = performance.now();
    const stop = sm.startWatchdog();
    const pings = () => socket!.arrivals.filter((a) => a.line === 'WATCHDOG=1');
    await socket.until(() => pings().length >= 5, '5 watchdog pings');
    stop();
    await sm.settled();

    const at = pings().map((a) => a.at);
    // Every 100 ms: a timer never fires early, so five pings take at least 500 ms; at the
    // WATCHDOG_USEC pace (200 ms) instead of half of it, they would be 200 ms apart.
    expect(at[4]! - started).toBeGreaterThanOrEqual(490);
    expect((at[4]! - at[0]!) / 4).toBeLessThan(190);
    expect(socket.messages().every((m) => m === 'WATCHDOG=1')).toBe(true);

    // Every ping sent before the stop arrives before this marker: the count below is complete.
    sm.status('stopped');
    await socket.until((s) => s.messages().includes('STATUS=stopped'), 'the marker after the stop');
    const count = pings().length;
    await periodsPassed(3, 100);
    sm.status('later');
    await socket.until((s) => s.messages().includes('STATUS=later'), 'the marker three periods on');
    expect(pings().length).toBe(count);
    expect(socket.messages().slice(-2)).toEqual(['STATUS=stopped', 'STATUS=later']);
  });

  it('sends no pings when WATCHDOG_PID names another process', async () => {
    socket = await NotifySocket.open(join(dir, 'notify'));
    const sm = serviceManager({
      ...baseEnv(),
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: '20000',
      WATCHDOG_PID: String(process.ppid),
    });
    const stop = sm.startWatchdog();
    await periodsPassed(20, 10);
    sm.status('marker');
    await sm.settled();
    await socket.until((s) => s.arrivals.length >= 2, 'the marker and its barrier');
    stop();
    expect(socket.arrivals.map((a) => a.line)).toEqual(['STATUS=marker', 'BARRIER=1']);
  });

  it('skips a ping due while a message is still in flight instead of queueing it', async () => {
    const record = join(dir, 'record');
    const release = join(dir, 'release');
    const sm = serviceManager(
      { ...baseEnv(), NOTIFY_SOCKET: join(dir, 'unused'), WATCHDOG_USEC: '40000' },
      undefined,
      { notifyCommand: recordingCommand(record, release) },
    );
    sm.status('slow');
    await until(() => recorded(record).length === 1, 'the status to be in flight');
    const stop = sm.startWatchdog();
    await periodsPassed(15, 20); // at least 15 pings (every 20 ms) fall due while the status is in flight
    expect(recorded(record)).toEqual(['STATUS=slow']);
    // Stopped in the same turn as the release, no ping can fall due after it: queued pings would
    // all go out now, one after the other; skipped ones leave nothing.
    writeFileSync(release, '');
    stop();
    await sm.settled();
    expect(recorded(record)).toEqual(['STATUS=slow']);
    // Nothing in flight any more, the pings go out again.
    const again = sm.startWatchdog();
    await until(() => recorded(record).includes('WATCHDOG=1'), 'a ping after the status went out');
    again();
    await sm.settled();
    expect(recorded(record)[0]).toBe('STATUS=slow');
    expect(
      recorded(record)
        .slice(1)
        .every((l) => l === 'WATCHDOG=1'),
    ).toBe(true);
  });

  it('does not throw when the socket is gone, and warns once per kind of message', async () => {
    const { log, lines } = capturedLogger();
    const sm = serviceManager({ ...baseEnv(), NOTIFY_SOCKET: join(dir, 'missing') }, log);
    expect(() => {
      sm.ready('up');
      sm.status('a');
      sm.status('b');
      sm.ready('again');
    }).not.toThrow();
    await sm.settled();
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((w) => w.notify)).toEqual(['READY', 'STATUS']);
    expect(warnings[0]?.component).toBe('service');
    expect(warnings[0]?.msg).toContain('could not notify systemd (READY)');
    expect(warnings[0]?.msg).toContain('No such file or directory');
    expect(warnings[0]?.msg).toContain('NotifyAccess=all');
  });

  it('says what to install when systemd-notify itself is missing', async () => {
    const { log, lines } = capturedLogger();
    const sm = serviceManager({ ...baseEnv(), NOTIFY_SOCKET: join(dir, 'notify') }, log, {
      notifyCommand: join(dir, 'no-such-systemd-notify'),
    });
    sm.ready('up');
    await sm.settled();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toContain('was not found: install the systemd package');
  });
});

describe('serviceManager outside systemd', () => {
  it('spawns nothing and starts no timers when NOTIFY_SOCKET is unset', async () => {
    const record = join(dir, 'record');
    const command = recordingCommand(record);
    const env = { ...baseEnv(), WATCHDOG_USEC: '20000' };
    const sm = serviceManager(env, undefined, { notifyCommand: command });
    expect(sm.active).toBe(false);
    sm.ready('up');
    sm.status('s');
    sm.reloading();
    sm.stopping('bye');
    const stop = sm.startWatchdog();
    await sm.settled();
    await periodsPassed(10, 10);
    stop();
    expect(recorded(record)).toEqual([]);

    // The same calls with a socket do reach the stand-in: the check above can fail. A ping the
    // manager above sent in those 10 periods would have been spawned before this message.
    const live = serviceManager({ ...env, NOTIFY_SOCKET: join(dir, 'unused') }, undefined, {
      notifyCommand: command,
    });
    live.ready('up');
    await live.settled();
    expect(recorded(record)).toEqual(['READY=1 STATUS=up']);
  });
});
