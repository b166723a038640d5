/**
 * RepeatLimiter (daemon/log-limit.ts) with a hand-driven clock: the first line at once, then one
 * line per interval per key with the count of what was held back, a summary on close, and a
 * bounded number of keys.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RepeatLimiter } from '../../daemon/log-limit.js';
import { FakeClock } from '../support/fake-clock.js';

type Line = Record<string, unknown>;

function setup(options: { intervalMs?: number; maxKeys?: number } = {}) {
  const clock = new FakeClock();
  /** Each line as `t=<ms when written> <level> <msg> <fields>`. */
  const seen: string[] = [];
  const write = (s: string) => {
    const { level, msg, ...fields } = JSON.parse(s) as Line;
    seen.push(`t=${clock.time} ${level} ${msg} ${JSON.stringify(fields)}`);
  };
  const log = pino({ level: 'debug', base: null, timestamp: false }, { write });
  const limiter = new RepeatLimiter(log, { clock, ...options });
  return { limiter, clock, take: () => seen.splice(0) };
}

describe('RepeatLimiter', () => {
  it('writes the first occurrence at once, then one line per interval with how often it repeated', () => {
    const { limiter, clock, take } = setup({ intervalMs: 60_000 });
    expect(limiter.log('lost', 'warn', { reason: 'EIO 1' }, 'reader lost its device')).toBe(true);
    expect(take()).toEqual(['t=0 40 reader lost its device {"reason":"EIO 1"}']);
    for (let i = 2; i <= 5; i++) {
      clock.advance(10_000);
      expect(limiter.log('lost', 'warn', { reason: `EIO ${i}` }, 'reader lost its device')).toBe(false);
    }
    expect(take()).toEqual([]);
    clock.advance(19_999); // t = 59 999: not yet
    expect(take()).toEqual([]);
    clock.advance(1); // t = 60 000: the summary, with the latest fields
    expect(take()).toEqual(['t=60000 40 reader lost its device {"reason":"EIO 5","repeated":4}']);
    expect(clock.pending).toBe(0);

    // Within the next interval: held back again, and summed up 60 s after the summary.
    clock.advance(30_000);
    expect(limiter.log('lost', 'warn', { reason: 'EIO 6' }, 'reader lost its device')).toBe(false);
    clock.advance(29_999);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual(['t=120000 40 reader lost its device {"reason":"EIO 6","repeated":1}']);

    // Quiet for a whole interval: the next one is written at once, without a count.
    clock.advance(60_000);
    expect(limiter.log('lost', 'warn', { reason: 'EIO 7' }, 'reader lost its device')).toBe(true);
    expect(take()).toEqual(['t=180000 40 reader lost its device {"reason":"EIO 7"}']);
    expect(clock.pending).toBe(0);
  });

  it('keeps keys apart, and writes what is held back on close', () => {
    const { limiter, clock, take } = setup({ intervalMs: 1000 });
    limiter.log('rfid-1:disconnected', 'info', { state: 'disconnected' }, 'reader state');
    limiter.log('rfid-1:connected', 'info', { state: 'connected' }, 'reader state');
    clock.advance(100);
    limiter.log('rfid-1:disconnected', 'info', { state: 'disconnected' }, 'reader state');
    limiter.log('rfid-1:connected', 'info', { state: 'connected' }, 'reader state');
    limiter.log('rfid-1:disconnected', 'error', { state: 'disconnected', lastError: 'gone' }, 'reader state');
    expect(limiter.log('other', 'debug', {}, 'something else')).toBe(true);
    clock.advance(100);
    limiter.close();
    expect(take()).toEqual([
      't=0 30 reader state {"state":"disconnected"}',
      't=0 30 reader state {"state":"connected"}',
      't=100 20 something else {}',
      't=200 30 reader state {"state":"connected","repeated":1}',
      't=200 50 reader state {"state":"disconnected","lastError":"gone","repeated":2}',
    ]);
    expect(clock.pending).toBe(0);
    expect(limiter.size).toBe(0);
    // Usable again after close: a fresh start.
    expect(limiter.log('rfid-1:connected', 'info', { state: 'connected' }, 'reader state')).toBe(true);
    expect(take()).toEqual(['t=200 30 reader state {"state":"connected"}']);
  });

  it('remembers at most maxKeys keys, summing up the one it forgets', () => {
    const { limiter, clock, take } = setup({ intervalMs: 1000, maxKeys: 2 });
    limiter.log('a', 'warn', {}, 'a');
    limiter.log('a', 'warn', {}, 'a'); // held back
    limiter.log('b', 'warn', {}, 'b');
    limiter.log('a', 'warn', {}, 'a'); // held back; a is now the most recently used
    expect(limiter.log('c', 'warn', {}, 'c')).toBe(true); // b is forgotten (nothing held back)
    expect(limiter.size).toBe(2);
    expect(limiter.log('b', 'warn', {}, 'b')).toBe(true); // b again: new, so written; a is forgotten
    expect(take()).toEqual([
      't=0 40 a {}',
      't=0 40 b {}',
      't=0 40 c {}',
      't=0 40 b {}',
      't=0 40 a {"repeated":2}',
    ]);
    expect(clock.pending).toBe(0);
    expect(limiter.size).toBe(2);
  });

  it('refuses options that cannot work', () => {
    const log = pino({ level: 'silent' });
    expect(() => new RepeatLimiter(log, { intervalMs: 0 })).toThrow('intervalMs must be > 0, got 0');
    expect(() => new RepeatLimiter(log, { maxKeys: 0 })).toThrow('maxKeys must be a positive integer, got 0');
  });
});
