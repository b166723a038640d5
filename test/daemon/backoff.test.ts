import { describe, expect, it } from 'vitest';
import { Backoff } from '../../daemon/backoff.js';
import { redactSecrets, redactUrl } from '../../daemon/uplink/redact.js';

/** A random source that replays the given values. */
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('Backoff', () => {
  it('draws each delay between minMs and three times the previous one, capped at maxMs', () => {
    const top = new Backoff({ minMs: 100, maxMs: 2000 }, replay(0.999999));
    expect(Array.from({ length: 6 }, () => top.next())).toEqual([300, 900, 2000, 2000, 2000, 2000]);
    const bottom = new Backoff({ minMs: 100, maxMs: 2000 }, replay(0));
    expect(Array.from({ length: 3 }, () => bottom.next())).toEqual([100, 100, 100]);
    const middle = new Backoff({ minMs: 100, maxMs: 2000 }, replay(0.5));
    expect(Array.from({ length: 5 }, () => middle.next())).toEqual([200, 350, 575, 913, 1050]);
  });

  it('starts again from minMs after reset()', () => {
    const b = new Backoff({ minMs: 50, maxMs: 1000 }, replay(0.999999));
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(150);
  });

  it('stays within [minMs, maxMs] with a real random source', () => {
    const b = new Backoff({ minMs: 500, maxMs: 30_000 });
    const delays = Array.from({ length: 1000 }, () => b.next());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(500);
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
