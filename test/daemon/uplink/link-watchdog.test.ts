/**
 * The uplink's dead-link watchdog: on a clock it does not own (fake timers) for its exact rules,
 * then on a real connection to Mosquitto through a proxy that withholds the broker's packets.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LinkWatchdog } from '../../../daemon/uplink/link-watchdog.js';
import type { UplinkStatus } from '../../../daemon/uplink/uplink.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { eventPayload, eventTopic, until, uplinkKinds, uplinkOptions } from './helpers.js';
import { wireProxy } from './wire-proxy.js';

const KEEPALIVE_MS = 2000;
/** One turn of the (real) event loop: lets a verdict scheduled with setImmediate run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Advances the fake clock and timers, then lets a pending verdict run. */
async function advance(ms: number): Promise<void> {
  vi.advanceTimersByTime(ms);
  await turn();
}

function watched() {
  const pings: number[] = [];
  const deaths: { at: number; silentMs: number }[] = [];
  const dog = new LinkWatchdog(
    KEEPALIVE_MS,
    () => pings.push(Date.now()),
    (silentMs) => deaths.push({ at: Date.now(), silentMs }),
    () => Date.now(),
  );
  return { dog, pings, deaths };
}

describe('LinkWatchdog', () => {
  beforeAll(() => {
    // setImmediate stays real: the verdict waits one real turn of the event loop (`turn()`).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it('pings after keepalive/4 of silence and calls a silent link dead at keepalive', async () => {
    vi.setSystemTime(0);
    const { dog, pings, deaths } = watched();
    dog.start();
    await advance(499);
    expect(pings).toEqual([]);
    await advance(1);
    expect(pings).toEqual([500]);
    await advance(1499);
    expect(deaths).toEqual([]);
    await advance(1);
    expect(deaths).toEqual([{ at: 2000, silentMs: 2000 }]);
    // Once dead it stays quiet: no more pings, no second verdict.
    await advance(10 * KEEPALIVE_MS);
    expect(pings).toHaveLength(1);
    expect(deaths).toHaveLength(1);
  });

  it('notices a link that falls silent just after a check within 1.25 x keepalive', async () => {
    vi.setSystemTime(0);
    const { dog, pings, deaths } = watched();
    dog.start();
    await advance(1);
    dog.heard(); // the last packet, just after the timer was armed: the worst phase
    await advance(2498);
    expect(pings).toEqual([1000]);
    expect(deaths).toEqual([]);
    await advance(1);
    expect(deaths).toEqual([{ at: 2500, silentMs: 2499 }]);
    expect(deaths[0]!.at - 1).toBeLessThanOrEqual(1.25 * KEEPALIVE_MS);
  });

  it('never calls a link dead while the broker answers its pings', async () => {
    vi.setSystemTime(0);
    const { dog, pings, deaths } = watched();
    dog.start();
    for (let t = 0; t < 20 * KEEPALIVE_MS; t += 10) {
      await advance(10);
      if (pings.length > 0 && Date.now() - pings.at(-1)! === 300) dog.heard(); // PINGRESP after 300 ms
    }
    expect(deaths).toEqual([]);
    // One ping per silence of keepalive/4 plus the answer: 40 s / (0.5 s .. 1 s).
    expect(pings.length).toBeGreaterThanOrEqual(40);
    expect(pings.length).toBeLessThanOrEqual(80);
  });

  it('does not ping while packets keep arriving', async () => {
    vi.setSystemTime(0);
    const { dog, pings, deaths } = watched();
    dog.start();
    for (let t = 0; t < 10 * KEEPALIVE_MS; t += 100) {
      await advance(100);
      dog.heard(); // PUBACKs
    }
    expect(pings).toEqual([]);
    expect(deaths).toEqual([]);
    dog.stop();
  });

  it('does not blame the broker for a pause of this process: it pings late and waits keepalive/2', async () => {
    vi.setSystemTime(0);
    const { dog, pings, deaths } = watched();
    dog.start();
    await advance(100);
    dog.heard();
    // The event loop is blocked for 5 s: the clock moves, no timer runs.
    vi.setSystemTime(5100);
    await advance(400); // the next check, 5.4 s of silence, but no ping went out yet
    expect(pings).toEqual([5500]);
    expect(deaths).toEqual([]);
    await advance(500);
    expect(deaths).toEqual([]);
    dog.heard(); // the PINGRESP, at 6 s
    // From here the broker stays silent: pinged at 6.5 s, dead at 8 s (keepalive of silence).
    await advance(KEEPALIVE_MS - 1);
    expect(pings).toEqual([5500, 6500]);
    expect(deaths).toEqual([]);
    await advance(1);
    expect(deaths).toEqual([{ at: 8000, silentMs: 2000 }]);
  });

  it("tells mqtt.js's keepalive the broker is there once per check in which it was heard", async () => {
    vi.setSystemTime(0);
    const alive: number[] = [];
    const dog = new LinkWatchdog(
      KEEPALIVE_MS,
      () => {},
      () => {},
      () => Date.now(),
      () => alive.push(Date.now()),
    );
    dog.start();
    for (let t = 0; t < 10 * KEEPALIVE_MS; t += 100) {
      await advance(100);
      dog.heard(); // PUBACKs, 5 per check
    }
    // Checks every keepalive/4 = 500 ms: 40 of them in 20 s, each after PUBACKs.
    expect(alive).toEqual(Array.from({ length: 40 }, (_, i) => 500 * (i + 1)));
    await advance(5 * KEEPALIVE_MS); // silent from here: nothing more to tell
    expect(alive).toHaveLength(41); // the check right after the last PUBACK
    dog.stop();
  });

  it('stop() cancels a pending verdict', async () => {
    vi.setSystemTime(0);
    const { dog, deaths } = watched();
    dog.start();
    await advance(1999);
    dog.stop();
    await advance(10 * KEEPALIVE_MS);
    expect(deaths).toEqual([]);
  });
});

describe.each(uplinkKinds)('$name dead-link detection (real Mosquitto)', ({ make }) => {
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

  async function started(url: string, keepaliveS: number) {
    const uplink = make(uplinkOptions(url, { keepaliveS }), silentLogger());
    const states: UplinkStatus[] = [];
    uplink.on('state', (s: UplinkStatus) => states.push(s));
    cleanup.push(() => uplink.stop());
    await uplink.start();
    return { uplink, states };
  }

  it('drops a link that goes silent right after a PUBACK within 1.25 x keepalive (+ scheduling slack)', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { uplink } = await started(proxy.url, 1);
    await until(() => uplink.status().inflight === 0, 'online status acknowledged');
    let t0 = 0;
    // Stream publishes; right after one PUBACK arrives, everything from the broker stops.
    let seq = 0;
    const down = new Promise<number>((resolve) => uplink.once('down', () => resolve(performance.now())));
    const pump = async () => {
      while (seq < 50) {
        await uplink.publish(eventTopic, eventPayload(++seq)).catch(() => {});
        if (seq === 20) {
          proxy.hold();
          t0 = performance.now();
        }
      }
    };
    // A loaded machine runs timers late: the bound allows what this process's timers were late by.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    void pump();
    const took = (await down) - t0;
    lag.disable();
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(1250 + 100 + lag.max / 1e6);
    expect(uplink.status().lastError).toMatch(/^Keepalive timeout: nothing from the broker for \d+ ms/);
  });

  it('keeps an idle, healthy link up for 3 x keepalive (its pings are answered)', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { uplink, states } = await started(proxy.url, 1);
    await until(() => uplink.status().inflight === 0, 'online status acknowledged');
    const downs: number[] = [];
    uplink.on('down', () => downs.push(performance.now()));
    // Nothing to publish: only the watchdog's PINGREQs (and their PINGRESPs) cross the link.
    await new Promise((r) => setTimeout(r, 3000));
    expect(downs).toEqual([]);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
    expect(states.filter((s) => s.state === 'connected')).toHaveLength(1);
  });

  it('keeps a busy, healthy link up for 3 x keepalive (PUBACKs do not re-arm mqtt.js timers)', async () => {
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const { uplink, states } = await started(proxy.url, 1);
    await until(() => uplink.status().inflight === 0, 'online status acknowledged');
    const downs: number[] = [];
    uplink.on('down', () => downs.push(performance.now()));
    const t0 = performance.now();
    let acked = 0;
    while (performance.now() - t0 < 3000) {
      await uplink.publish(eventTopic, eventPayload(acked + 1));
      acked++;
    }
    expect(acked).toBeGreaterThan(10);
    expect(downs).toEqual([]);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
    expect(states.filter((s) => s.state === 'connected')).toHaveLength(1);
  });
});
