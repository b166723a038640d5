/**
 * Coming back: with reconnect waits far longer than the test may take, the only way back to a
 * restarted Mosquitto is the probe between waits; the retained `online` is there again after it.
 * And a broker that closes before its CONNACK is named as such in the status and the log.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import { memoryLogger, statusTopic, until, uplinkKinds, uplinkOptions } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Line {
  msg: string;
  retryInMs?: number;
  lastError?: string;
}

describe.each(uplinkKinds)('$name coming back', ({ make }) => {
  it('reconnects after a probe finds the broker back, long before the backoff wait ends', async () => {
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const { log, lines } = memoryLogger();
    // Every wait is 10-20 s: a reconnect within the test can only come from a probe.
    const uplink = make(uplinkOptions(broker.url, { retry: { minMs: 20_000, maxMs: 20_000 } }), log);
    cleanup.push(() => uplink.stop());
    await uplink.start();
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
    const parsed = () => lines.map((line) => JSON.parse(line) as Line);

    await broker.kill();
    await until(() => uplink.status().state === 'disconnected', 'the loss');
    await until(() => parsed().some((l) => l.msg === 'uplink connection lost'), 'the loss logged');
    const lost = parsed().find((l) => l.msg === 'uplink connection lost');
    expect(lost?.retryInMs).toBeGreaterThanOrEqual(10_000);
    await broker.restart();
    const back = performance.now();
    await until(() => uplink.status().state === 'connected', 'the reconnect', 8000);
    const resumedMs = performance.now() - back;
    // A threaded uplink's log lines cross from its thread apart from its state: wait for the line.
    await until(
      () => parsed().filter((l) => l.msg === 'uplink connected').length === 2,
      'the reconnect logged',
    );

    const msgs = parsed().map((l) => l.msg);
    const probed = msgs.indexOf('uplink probe reached the broker; connecting now');
    expect(probed).toBeGreaterThan(msgs.indexOf('uplink connection lost'));
    expect(msgs.lastIndexOf('uplink connected')).toBeGreaterThan(probed);
    expect(msgs.filter((m) => m === 'uplink connected')).toHaveLength(2);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 2 });

    // The restarted broker kept nothing; the reconnect published the retained `online` again.
    const status = await collect(broker.url, statusTopic);
    cleanup.push(() => status.close());
    await status.waitFor(1, 5000);
    expect(status.messages[0]).toMatchObject({ topic: statusTopic, retain: true });
    expect(status.messages[0]?.payload.toString()).toBe('online');
    console.log(`broker return: connected again ${Math.round(resumedMs)} ms after the broker listened`);
  });

  it('names a close before CONNACK as the reason it cannot connect', async () => {
    const sockets = new Set<Socket>();
    // A peer that takes the CONNECT and hangs up, as a broker refusing a client silently does.
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as { port: number };
    const { log, lines } = memoryLogger();
    const uplink = make(
      uplinkOptions(`mqtt://127.0.0.1:${port}`, { retry: { minMs: 20_000, maxMs: 20_000 } }),
      log,
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();

    expect(uplink.status().state).toBe('disconnected');
    expect(uplink.status().lastError).toMatch(/^the broker closed the connection before CONNACK/);
    await until(() => lines.some((l) => l.includes('uplink cannot connect')), 'the failure logged');
    const failed = lines.map((l) => JSON.parse(l) as Line).find((l) => l.msg === 'uplink cannot connect');
    expect(failed?.lastError).toBe(uplink.status().lastError);
    expect(sockets.size).toBe(1);
  });
});
