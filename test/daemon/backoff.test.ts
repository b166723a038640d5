import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from '../../daemon/backoff.js';
import { redactSecrets, redactUrl } from '../../daemon/uplink/redact.js';

/** A random source that replays the given values. */
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

const retry = { minMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  it('doubles from minMs per attempt up to maxMs (no jitter when random() is 0)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 20, 1e6].map((a) => backoffDelay(a, retry, () => 0));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('jitters into the upper half of the step, the first retry too', () => {
    const almostOne = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, retry, almostOne))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect(backoffDelay(3, retry, () => 0.5)).toBe(300);
    expect(backoffDelay(1, retry, () => 0.5)).toBe(75);
  });

  it('stays an integer within [step / 2, step], so within [minMs / 2, maxMs], for any attempt and draw', () => {
    for (let attempt = 0; attempt < 80; attempt++) {
      const step = Math.min(1000, 100 * 2 ** Math.max(0, attempt - 1));
      for (const r of [0, 0.1, 0.5, 0.9, 0.999]) {
        const d = backoffDelay(attempt, retry, () => r);
        expect(d).toBeGreaterThanOrEqual(step / 2);
        expect(d).toBeLessThanOrEqual(step);
        expect(Number.isInteger(d)).toBe(true);
      }
    }
  });

  it('spreads the first retry of peers that lost their broker together over [minMs / 2, minMs]', () => {
    const firsts = Array.from({ length: 200 }, () => backoffDelay(1, retry));
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(100);
    // Both halves of the range are used: not a single instant.
    expect(firsts.some((d) => d < 75)).toBe(true);
    expect(firsts.some((d) => d > 75)).toBe(true);
  });

  it('spreads peers that fail together (Math.random by default)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, retry)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(400);
    for (const d of delays) expect(d).toBeLessThanOrEqual(800);
  });
});

describe('Backoff', () => {
  it('counts attempts and grows the delay with them', () => {
    const b = new Backoff({ minMs: 100, maxMs: 2000 }, replay(0));
    expect(Array.from({ length: 6 }, () => b.next())).toEqual([100, 200, 400, 800, 1600, 2000]);
    expect(b.attempt).toBe(6);
  });

  it('starts again from minMs after reset()', () => {
    const b = new Backoff({ minMs: 50, maxMs: 1000 }, replay(0));
    b.next();
    b.next();
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(50);
    const jittered = new Backoff({ minMs: 50, maxMs: 1000 }, replay(0.999999));
    jittered.next();
    jittered.reset();
    expect(jittered.next()).toBe(25);
  });

  it('stays within [minMs / 2, maxMs] with a real random source', () => {
    const b = new Backoff({ minMs: 500, maxMs: 30_000 });
    const delays = Array.from({ length: 1000 }, () => b.next());
    expect(delays[0]).toBeGreaterThanOrEqual(250);
    expect(delays[0]).toBeLessThanOrEqual(500);
    expect(Math.min(...delays.slice(1))).toBeGreaterThanOrEqual(500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new Backoff({ minMs: 0, maxMs: 10 })).toThrow(TypeError);
    expect(() => new Backoff({ minMs: 100, maxMs: 50 })).toThrow(
      /0 < minMs <= maxMs, got minMs 100, maxMs 50/,
    );
  });
});

describe('redaction', () => {
  it('removes user info from broker URLs and leaves others alone', () => {
    expect(redactUrl('mqtts://gw:s3cret@broker.example:8883')).toBe('mqtts://broker.example:8883');
    expect(redactUrl('mqtt://only-user@10.0.0.5:1883/')).toBe('mqtt://10.0.0.5:1883/');
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    expect(redactUrl('not a url with pass:word')).toBe('not a url with pass://<unparsable>');
  });

  it('masks every occurrence of a secret in a message', () => {
    expect(redactSecrets('bad pw hunter2 (hunter2)', ['hunter2', undefined])).toBe('bad pw *** (***)');
    expect(redactSecrets('nothing here', [undefined, ''])).toBe('nothing here');
  });
});
