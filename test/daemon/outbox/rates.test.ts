/** Fill and drain rates and the runway, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { RateMeter, runwaySeconds } from '../../../daemon/outbox/rates.js';
import { baseOptions, put, tempDirs } from './helpers.js';

const dir = tempDirs();
const counters = (appended: number, acked: number, bytesPerEvent = 100) => ({
  appended,
  acked,
  appendedBytes: appended * bytesPerEvent,
  ackedBytes: acked * bytesPerEvent,
});

describe('RateMeter', () => {
  it('measures over the last ~30 s, forgetting older samples', () => {
    const m = new RateMeter(30_000, 1_000);
    m.sample(0, counters(0, 0));
    m.sample(500, counters(999, 999)); // younger than a step: not kept
    m.sample(10_000, counters(1000, 0));
    expect(m.rates(10_000, counters(1000, 0))).toEqual({
      appendRate: 100,
      ackRate: 0,
      appendBytesRate: 10_000,
      ackBytesRate: 0,
    });
    m.sample(40_000, counters(1000, 600));
    // The base is now the sample at 10 s: nothing appended since, 600 acknowledged in 30 s.
    expect(m.rates(40_000, counters(1000, 600))).toMatchObject({ appendRate: 0, ackRate: 20 });
  });

  it('reports no rate before any time has passed', () => {
    const m = new RateMeter();
    m.sample(5, counters(10, 0));
    expect(m.rates(5, counters(10, 0)).appendRate).toBe(0);
  });
});

describe('runwaySeconds', () => {
  const r = (appendRate: number, ackRate: number, appendBytesRate = 0, ackBytesRate = 0) => ({
    appendRate,
    ackRate,
    appendBytesRate,
    ackBytesRate,
  });
  it('is the room over the net fill rate, whichever of events or bytes runs out first', () => {
    expect(runwaySeconds({ events: 850, bytes: 1e9 }, r(10, 5, 1000, 500))).toBe(170);
    expect(runwaySeconds({ events: 850, bytes: 5000 }, r(10, 5, 1000, 500))).toBe(10);
  });
  it('is null when not filling and 0 when full', () => {
    expect(runwaySeconds({ events: 850, bytes: 1e9 }, r(5, 10, 500, 1000))).toBeNull();
    expect(runwaySeconds({ events: 850, bytes: 1e9 }, r(5, 5, 500, 500))).toBeNull();
    expect(runwaySeconds({ events: 0, bytes: 1e9 }, r(10, 0, 1000, 0))).toBe(0);
  });
});

describe('LevelOutbox rates and runway', () => {
  it('reports append and ack rates and the runway from what it stored and what was acknowledged', async () => {
    let now = 0;
    const o = new LevelOutbox(dir(), { ...baseOptions, maxEvents: 1000 }, silentLogger(), { now: () => now });
    await o.open();
    await put(o, 100); // t = 0: the base sample
    expect(o.stats()).toMatchObject({ appendRate: 0, ackRate: 0, runwayS: null });
    now = 10_000;
    await put(o, 100);
    for (const e of await o.take(50)) o.ack(e.seq);
    await expect.poll(() => o.stats().depth).toBe(150);
    const filling = o.stats();
    expect(filling.appendRate).toBe(10); // 100 in 10 s
    expect(filling.ackRate).toBe(5);
    expect(filling.runwayS).toBe(170); // 850 free / (10 - 5) per s; the bytes bound is far away
    now = 20_000;
    for (const e of await o.take(150)) o.ack(e.seq);
    await expect.poll(() => o.stats().depth).toBe(0);
    const draining = o.stats();
    expect(draining).toMatchObject({ appendRate: 5, ackRate: 10, runwayS: null }); // over the 20 s since the base
    await o.close();
  });

  it('says 0 when full', async () => {
    const o = new LevelOutbox(dir(), { ...baseOptions, maxEvents: 10 }, silentLogger());
    await o.open();
    await put(o, 10);
    expect(o.stats().runwayS).toBe(0);
    await o.close();
  });
});
