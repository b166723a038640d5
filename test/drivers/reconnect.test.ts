/**
 * Reconnect (drivers/reconnect.ts) with a flapping device: it connects, works a while, drops,
 * again and again. The journal gets its first loss at once and then one warn line per interval
 * with the count, not a line per flap; every flap is still at debug, and the reader's state and
 * retries are unchanged.
 */
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LimiterClock } from '../../daemon/log-limit.js';
import { ReaderBook } from '../../drivers/reader-book.js';
import { Reconnect } from '../../drivers/reconnect.js';

/** Wall time stands still unless advanced; timers fire when advanced past. */
class ManualClock implements LimiterClock {
  time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now = () => this.time;
  setTimer(fn: () => void, ms: number): unknown {
    this.timers.push({ at: this.time + ms, fn, id: ++this.ids });
    return this.ids;
  }
  clearTimer(timer: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== timer);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const t of this.timers.filter((x) => x.at <= this.time).sort((a, b) => a.at - b.at)) {
      this.timers = this.timers.filter((x) => x !== t);
      t.fn();
    }
  }
}

const WARN = 40;
const DEBUG = 20;

describe('Reconnect with a flapping device', () => {
  it('logs its losses at warn once per interval with a count, each one at debug, and keeps reconnecting', async () => {
    const clock = new ManualClock();
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'debug', base: null, timestamp: false },
      { write: (s: string) => void lines.push({ at: clock.time, ...JSON.parse(s) }) },
    );
    const driver = Object.assign(new EventEmitter(), { id: 'rfid-1' });
    const book = new ReaderBook(driver, 'test');
    const states: string[] = [];
    driver.on('state', (s: { state: string }) => states.push(s.state));
    let connects = 0;
    let connected: () => void = () => {};
    const reconnect = new Reconnect(
      { minMs: 50, maxMs: 100 },
      book,
      log,
      async () => {
        connects++;
        book.connected();
        connected();
      },
      { lossLogIntervalMs: 60_000, clock },
    );
    const nextConnect = () =>
      new Promise<void>((resolve) => {
        connected = resolve;
      });

    await reconnect.start();
    expect(connects).toBe(1);
    // Eight flaps, 10 s of wall time apart; each worked long enough to start its retries afresh.
    for (let flap = 1; flap <= 8; flap++) {
      clock.advance(10_000);
      reconnect.backoff.reset();
      const back = nextConnect();
      reconnect.failed(`device closed: EIO ${flap}`, 'reader lost its device');
      await back; // the real retry timer (50-100 ms) connected it again
    }
    expect(connects).toBe(9);
    reconnect.halt();

    const warns = lines.filter((l) => l.level === WARN).map((l) => [l.at, l.reason, l.repeated]);
    expect(warns).toEqual([
      [10_000, 'device closed: EIO 1', undefined], // the first at once
      [70_000, 'device closed: EIO 6', 5], // flaps 2-6 (20-60 s), summed up 60 s after the first
      [80_000, 'device closed: EIO 8', 2], // flaps 7-8, written by halt()
    ]);
    const debugs = lines.filter((l) => l.level === DEBUG);
    expect(debugs.map((l) => l.reason)).toEqual([2, 3, 4, 5, 6, 7, 8].map((n) => `device closed: EIO ${n}`));
    expect(debugs.every((l) => l.msg === 'reader lost its device; retrying' && l.attempt === 1)).toBe(true);
    expect(states).toEqual([
      'connecting',
      'connected',
      ...Array(8).fill(['disconnected', 'connected']).flat(),
    ]);
    expect(book.counts.reconnects).toBe(8);
  });

  it('still logs a device that stays away once at warn, then each retry at debug', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'debug', base: null },
      { write: (s: string) => void lines.push(JSON.parse(s)) },
    );
    const book = new ReaderBook(Object.assign(new EventEmitter(), { id: 'scanner-1' }), 'test');
    let attempts = 0;
    let reconnect: Reconnect | undefined;
    const done = new Promise<void>((resolve) => {
      reconnect = new Reconnect({ minMs: 50, maxMs: 60 }, book, log, async () => {
        attempts++;
        if (attempts === 4) return resolve();
        reconnect!.failed('ENOENT', 'reader unavailable');
      });
    });
    await reconnect!.start();
    await done;
    reconnect!.halt();
    expect(lines.map((l) => [l.level, l.msg, l.attempt])).toEqual([
      [WARN, 'reader unavailable; retrying', undefined],
      [DEBUG, 'reader unavailable; still retrying', 2],
      [DEBUG, 'reader unavailable; still retrying', 3],
    ]);
  });
});
