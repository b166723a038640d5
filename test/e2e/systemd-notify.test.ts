/**
 * The daemon under a service manager: a real notify socket (the perl receiver systemd's stand-in,
 * test/support/notify-socket.ts) gets READY=1 only once the daemon runs, watchdog pings from its
 * event loop, RELOADING=1 ... READY=1 around a reload, and STOPPING=1 at the stop. The same
 * daemon serves Prometheus metrics on localhost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { freePort } from '../support/mosquitto.js';
import { NotifySocket } from '../support/notify-socket.js';

let dir: string;
let socket: NotifySocket;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-notify-'));
  socket = await NotifySocket.open(join(dir, 'notify.sock'));
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  socket?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readpoint run under systemd (Type=notify, WatchdogSec)', () => {
  it('says READY once running, pings the watchdog, reports reloads and the stop', async () => {
    const config = join(dir, 'readpoint.yaml');
    writeFileSync(
      config,
      `gateway: { id: gw-notify, site: site-test }
dataDir: ${join(dir, 'data')}
broker: { enabled: true, host: 127.0.0.1, port: ${await freePort()} }
uplink: { healthIntervalS: 1 }
metrics: { enabled: true, port: 0 }
readPoints: [{ id: line-1 }]
readers: [{ id: sim-1, driver: simulator, readPoint: line-1, readsPerSecond: 20 }]
`,
    );
    daemon = startDaemon(config, { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '400000' });
    await socket.until((s) => s.messages().some((m) => m.startsWith('READY=1')), 'READY=1', 20_000);
    // Nothing but watchdog pings before READY, and READY only after the daemon said it runs.
    const ready = socket.messages().findIndex((m) => m.startsWith('READY=1'));
    expect(new Set(socket.messages().slice(0, ready))).toEqual(new Set(ready > 0 ? ['WATCHDOG=1'] : []));
    expect(socket.messages()[ready]).toBe('READY=1|STATUS=running: 1 reader(s)');
    // (The log line is written before READY=1 is sent; stdout may reach the test later.)
    await daemon.waitForLog((l) => l.msg === 'readpoint running', 5000);

    // Pings every WATCHDOG_USEC / 2, from the event loop.
    const pings = () => socket.messages().filter((m) => m === 'WATCHDOG=1').length;
    const before = pings();
    await socket.until(() => pings() >= before + 3, 'three more watchdog pings', 10_000);
    // The heartbeat's status line.
    await socket.until(
      (s) =>
        s.messages().some((m) => /^STATUS=1\/1 readers connected, uplink connected, outbox \d+$/.test(m)),
      'a status line from the heartbeat',
      10_000,
    );

    // The Prometheus endpoint on localhost carries what the health topic does.
    const served = await daemon.waitForLog((l) => l.msg === 'metrics served at /metrics', 5000);
    expect(served.host).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${served.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain(
      'readpoint_reader_connected{gateway="gw-notify",site="site-test",reader="sim-1",driver="simulator"} 1\n',
    );
    expect(text).toContain('readpoint_uplink_connected{gateway="gw-notify",site="site-test"} 1\n');
    expect(text).toMatch(/^readpoint_config_generation\{gateway="gw-notify",site="site-test"\} 1$/m);

    const sent = socket.messages().length;
    daemon.child.kill('SIGHUP');
    await socket.until(
      (s) =>
        s
          .messages()
          .slice(sent)
          .some((m) => m.startsWith('READY=1')),
      'READY=1 after the reload',
      10_000,
    );
    const reload = socket
      .messages()
      .slice(sent)
      .filter((m) => m !== 'WATCHDOG=1' && !m.startsWith('STATUS='));
    expect(reload[0]).toMatch(/^RELOADING=1\|MONOTONIC_USEC=\d+$/);
    expect(reload[1]).toBe('READY=1|STATUS=reloaded: nothing changed');

    const stopAt = socket.messages().length;
    expect(await daemon.kill('SIGTERM')).toBe(0);
    daemon = undefined;
    await socket.until(
      (s) =>
        s
          .messages()
          .slice(stopAt)
          .some((m) => m.startsWith('STOPPING=1')),
      'STOPPING=1',
      10_000,
    );
    expect(
      socket
        .messages()
        .slice(stopAt)
        .filter((m) => m.startsWith('STOPPING=1')),
    ).toEqual(['STOPPING=1|STATUS=stopping (SIGTERM)']);
  });
});
