/**
 * Keeps a repeating log line from flooding the journal: a reader that flaps all night, a broker
 * that refuses every retry. The first occurrence of a key is written at once; later ones within
 * `intervalMs` are counted, not written, and one line per interval says how often it happened
 * (`repeated: N`), carrying the fields of the latest occurrence. Nothing is silently lost: the
 * count of the last interval is written on `close()`.
 */
import type { Logger } from './log.js';

/** The pino levels a limited line can be written at. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Time and timers, injectable so tests can drive the interval by hand. */
export interface LimiterClock {
  /** Milliseconds on a monotonic or wall clock; only differences matter. */
  now(): number;
  /** Calls `fn` after `ms`; must not keep the process alive (unref'd). */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export const SYSTEM_CLOCK: LimiterClock = Object.freeze({
  now: () => performance.now(),
  setTimer: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
  clearTimer: (timer: unknown) => clearTimeout(timer as NodeJS.Timeout),
});

export interface RepeatLimiterOptions {
  /** At most one line per key per this many ms; default 60 000. */
  readonly intervalMs?: number;
  /** Keys remembered at most; the least recently used one is flushed and forgotten. Default 1000. */
  readonly maxKeys?: number;
  readonly clock?: LimiterClock;
}

interface Entry {
  /** When the last line of this key was written. */
  writtenAt: number;
  /** Occurrences since then that were not written. */
  suppressed: number;
  level: LogLevel;
  fields: object;
  msg: string;
  timer: unknown;
}

/**
 * Writes at most one line per key per interval. Use one limiter per logger (e.g. one per
 * reader, keyed by what happened: `lost its device`, or a reader state).
 */
export class RepeatLimiter {
  readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly clock: LimiterClock;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    options: RepeatLimiterOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 1000;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    if (!(this.intervalMs > 0)) throw new TypeError(`intervalMs must be > 0, got ${this.intervalMs}`);
    if (!(Number.isInteger(this.maxKeys) && this.maxKeys > 0))
      throw new TypeError(`maxKeys must be a positive integer, got ${this.maxKeys}`);
  }

  /**
   * One occurrence of `key`. Written now (true) when the key was not written within the
   * interval; otherwise counted (false) and reported by the key's next summary line: the fields
   * and message of the latest occurrence plus `repeated`, the occurrences since the last line.
   */
  log(key: string, level: LogLevel, fields: object, msg: string): boolean {
    const now = this.clock.now();
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-inserted below: the map's order is least recently used first
      if (entry.suppressed > 0 && now - entry.writtenAt >= this.intervalMs) this.summarise(entry, now);
    }
    if (!entry || now - entry.writtenAt >= this.intervalMs) {
      this.logger[level](fields, msg);
      entry ??= { writtenAt: now, suppressed: 0, level, fields, msg, timer: undefined };
      entry.writtenAt = now;
      this.remember(key, entry);
      return true;
    }
    entry.suppressed++;
    entry.level = level;
    entry.fields = fields;
    entry.msg = msg;
    const due = entry;
    entry.timer ??= this.clock.setTimer(
      () => this.summarise(due, this.clock.now()),
      entry.writtenAt + this.intervalMs - now,
    );
    this.remember(key, entry);
    return false;
  }

  /** Keys remembered now (bounded by `maxKeys`). */
  get size(): number {
    return this.entries.size;
  }

  /** Writes the summary of every key with occurrences not yet written, and forgets every key. */
  close(): void {
    const now = this.clock.now();
    for (const entry of this.entries.values()) this.summarise(entry, now);
    this.entries.clear();
  }

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    if (this.entries.size <= this.maxKeys) return;
    const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
    this.summarise(oldest, this.clock.now());
    this.entries.delete(oldestKey);
  }

  private summarise(entry: Entry, now: number): void {
    if (entry.timer !== undefined) this.clock.clearTimer(entry.timer);
    entry.timer = undefined;
    if (entry.suppressed === 0) return;
    this.logger[entry.level]({ ...entry.fields, repeated: entry.suppressed }, entry.msg);
    entry.suppressed = 0;
    entry.writtenAt = now;
  }
}
