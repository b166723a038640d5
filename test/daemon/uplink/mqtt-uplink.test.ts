/**
 * The uplink seam (MqttUplink, ThreadedUplink) against a real Mosquitto, with a wire-reading proxy
 * where the broker's view matters.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import {
  UplinkClosedError,
  UplinkDisconnectedError,
  type UplinkStatus,
} from '../../../daemon/uplink/uplink.js';
import { freePort, type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import {
  eventPayload,
  eventTopic,
  memoryLogger,
  sequenceOf,
  statusTopic,
  until,
  uplinkKinds,
  uplinkOptions,
} from './helpers.js';
import { wireProxy } from './wire-proxy.js';

let broker: Mosquitto;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await broker?.stop();
});

/** Settles to the error a promise rejected with (or 'resolved'). */
const outcome = (p: Promise<void>) =>
  p.then(
    () => 'resolved' as const,
    (err: Error) => err,
  );

describe.each(uplinkKinds)('$name', ({ make }) => {
  async function started(url: string, overrides = {}) {
    const uplink = make(uplinkOptions(url, overrides), silentLogger());
    const states: UplinkStatus[] = [];
    uplink.on('state', (s: UplinkStatus) => states.push(s));
    cleanup.push(() => uplink.stop());
    await uplink.start();
    return { uplink, states };
  }

  it('delivers 2,000 events in order and never has more than 100 outstanding on the wire', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const events = await collect(broker.url, eventTopic);
    cleanup.push(() => events.close());
    const { uplink } = await started(proxy.url, { inflight: 100 });
    expect(uplink.status().state).toBe('connected');

    const total = 2000;
    let next = 1;
    let acked = 0;
    let held = false;
    const allAcked = new Promise<void>((resolve, reject) => {
      const fill = () => {
        while (next <= total && uplink.canPublish()) {
          const seq = next++;
          uplink.publish(eventTopic, eventPayload(seq)).then(() => {
            acked++;
            if (acked === 500 && !held) {
              held = true;
              proxy.hold(); // the broker's PUBACKs stop reaching the uplink: its window must fill, not overflow
            }
            if (acked === total) resolve();
            else fill();
          }, reject);
        }
      };
      fill();
      cleanup.push(async () => reject(new Error('test ended')));
    });
    await until(() => held && proxy.outstanding === 100 && !uplink.canPublish(), 'a full window');
    expect(uplink.status().inflight).toBe(100);
    const extra = await outcome(uplink.publish(eventTopic, eventPayload(-1)));
    expect(extra).toBeInstanceOf(Error);
    expect((extra as Error).message).toMatch(/in-flight window full \(100\)/);
    proxy.release();
    await allAcked;

    await events.waitFor(total, 10_000);
    expect(events.messages.map((m) => sequenceOf(m.payload))).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    expect(events.messages.every((m) => m.topic === eventTopic && !m.retain)).toBe(true);
    expect(proxy.published).toBe(total);
    expect(proxy.maxOutstanding).toBe(100);
    expect(proxy.outstanding).toBe(0);
    const status = uplink.status();
    expect(status.inflight).toBe(0);
    expect(status.connects).toBe(1);
    expect(status.rttMs).toBeGreaterThan(0);
  });

  it('publishes retained online on connect and retained offline on stop', async () => {
    const { uplink, states } = await started(broker.url);
    const online = await collect(broker.url, statusTopic);
    cleanup.push(() => online.close());
    await online.waitFor(1, 5000);
    expect(online.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['online', true]]);

    await uplink.stop();
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected', 'stopped']);
    const after = await collect(broker.url, statusTopic);
    cleanup.push(() => after.close());
    await after.waitFor(1, 5000);
    expect(after.messages.map((m) => [m.payload.toString(), m.retain])).toEqual([['offline', true]]);
    // The live subscriber saw the stop too.
    await online.waitFor(2, 5000);
    expect(online.messages[1]?.payload.toString()).toBe('offline');
    expect(await outcome(uplink.publish(eventTopic, 'late'))).toBeInstanceOf(UplinkClosedError);
  });

  it('treats an absent broker as disconnected, retries with backoff and connects when it appears', async () => {
    const port = await freePort();
    const { uplink, states } = await started(`mqtt://127.0.0.1:${port}`, {
      retry: { minMs: 50, maxMs: 200 },
    });
    expect(uplink.status()).toMatchObject({ state: 'disconnected', connects: 0, inflight: 0 });
    expect(uplink.status().lastError).toMatch(/ECONNREFUSED/);
    expect(uplink.canPublish()).toBe(false);
    expect(await outcome(uplink.publish(eventTopic, 'x'))).toBeInstanceOf(UplinkDisconnectedError);

    const attempts: number[] = [];
    uplink.on('state', (s: UplinkStatus) => s.state === 'connecting' && attempts.push(performance.now()));
    await until(() => attempts.length >= 3, 'three retries');
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(45);
    for (const gap of gaps) expect(gap).toBeLessThan(200 + 500); // maxMs, plus the attempt itself on a busy machine

    const up = new Promise<void>((resolve) => uplink.once('up', resolve));
    const late = await startMosquitto({ port });
    cleanup.push(() => late.stop());
    await up;
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
    expect(states.filter((s) => s.state === 'connected')).toHaveLength(1);
    await expect(uplink.publish(eventTopic, eventPayload(1))).resolves.toBeUndefined();
  });

  it('rejects every pending publish with UplinkDisconnectedError when the link dies, then reconnects', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { uplink } = await started(proxy.url);
    const downs: number[] = [];
    uplink.on('down', () => downs.push(uplink.status().inflight));
    proxy.hold();
    const pending = [1, 2, 3, 4, 5].map((seq) => outcome(uplink.publish(eventTopic, eventPayload(seq))));
    await until(() => proxy.outstanding === 5, 'five publishes on the wire');
    expect(uplink.status().inflight).toBe(5);

    const up = new Promise<void>((resolve) => uplink.once('up', resolve));
    proxy.cut();
    const results = await Promise.all(pending);
    expect(results.map((r) => (r as Error).name)).toEqual(Array(5).fill('UplinkDisconnectedError'));
    expect(downs).toEqual([0]);
    await up;
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 2, inflight: 0 });
    await expect(uplink.publish(eventTopic, eventPayload(6))).resolves.toBeUndefined();
  });

  it('notices a silent link within 1.5 x keepalive (the link watchdog)', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { uplink } = await started(proxy.url, { keepaliveS: 1 });
    await until(() => uplink.status().inflight === 0, 'online status acknowledged');
    // From now on nothing comes back from the broker, not even PINGRESP; the socket stays open.
    proxy.hold();
    const t0 = performance.now();
    const pending = outcome(uplink.publish(eventTopic, eventPayload(1)));
    await new Promise<void>((resolve) => uplink.once('down', resolve));
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2500);
    expect(uplink.status().lastError).toMatch(/^Keepalive timeout/);
    expect(((await pending) as Error).name).toBe('UplinkDisconnectedError');
  });

  it('stop() waits (bounded) for the offline PUBACK, then rejects what is pending with UplinkClosedError', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { uplink } = await started(proxy.url);
    proxy.hold();
    const pending = [1, 2, 3].map((seq) => outcome(uplink.publish(eventTopic, eventPayload(seq))));
    await until(() => proxy.outstanding === 3, 'three publishes on the wire');
    const t0 = performance.now();
    await uplink.stop();
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(4000);
    expect((await Promise.all(pending)).map((r) => (r as Error).name)).toEqual(
      Array(3).fill('UplinkClosedError'),
    );
    expect(uplink.status()).toMatchObject({ state: 'stopped', inflight: 0 });
  });

  it('stop() while retrying cancels the retry timer', async () => {
    const port = await freePort();
    const { uplink, states } = await started(`mqtt://127.0.0.1:${port}`, {
      retry: { minMs: 50, maxMs: 100 },
    });
    await until(() => states.filter((s) => s.state === 'connecting').length >= 2, 'a retry');
    await uplink.stop();
    const seen = states.length;
    // Watch for several retry periods: nothing may happen after stop.
    await new Promise((r) => setTimeout(r, 400));
    expect(states.length).toBe(seen);
    expect(states.at(-1)?.state).toBe('stopped');
  });

  it('writes its log lines with the logger it was given: connected, lost, stopped', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { log, lines } = memoryLogger();
    const uplink = make(
      uplinkOptions(proxy.url, { retry: { minMs: 50, maxMs: 50 } }),
      log.child({ component: 'uplink' }),
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();
    const up = new Promise<void>((resolve) => uplink.once('up', resolve));
    proxy.cut();
    await up;
    await uplink.stop();
    // (Debug lines depend on where the cut lands: whether the online status was acknowledged.)
    const records = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => (r.level as number) >= 30);
    const base = { pid: process.pid, component: 'uplink' };
    expect(records).toEqual([
      {
        ...base,
        level: 30,
        time: expect.any(Number),
        hostname: expect.any(String),
        url: proxy.url,
        connects: 1,
        msg: 'uplink connected',
      },
      {
        ...base,
        level: 40,
        time: expect.any(Number),
        hostname: expect.any(String),
        url: proxy.url,
        lastError: expect.any(String), // closed, or a reset: where the cut lands
        retryInMs: expect.toSatisfy((ms: number) => ms >= 25 && ms <= 50), // jittered over [minMs / 2, minMs]
        msg: 'uplink connection lost',
      },
      {
        ...base,
        level: 30,
        time: expect.any(Number),
        hostname: expect.any(String),
        url: proxy.url,
        connects: 2,
        msg: 'uplink connected',
      },
      { ...base, level: 30, time: expect.any(Number), hostname: expect.any(String), msg: 'uplink stopped' },
    ]);
  });

  it('start() throws naming an unreadable CA file', async () => {
    const uplink = make(uplinkOptions('mqtts://127.0.0.1:1', { ca: '/nonexistent/ca.pem' }), silentLogger());
    await expect(uplink.start()).rejects.toThrow(/^uplink\.ca: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });
});
