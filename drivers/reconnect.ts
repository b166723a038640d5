/**
 * Connecting with retries, as every driver of a device that can vanish does: `start()` makes the
 * first attempt (the driver's `connect`); when an attempt or a connected device fails, the driver
 * calls `failed()`: the reader is disconnected, the reason is its last error, it is logged once
 * at warn and then quietly at debug (a device left unplugged all weekend must not fill the
 * journal), and the next attempt comes after the backoff delay, until `halt()`.
 *
 * A flapping device (connects, works a while, drops, again and again) starts a fresh series of
 * attempts each time; its first failures are written at warn at most once per `lossLogIntervalMs`
 * per kind of failure (`repeated: N` counts the others, which go to debug), so the journal shows
 * that it flaps and how often without a line per flap.
 */
import { Backoff, type RetryDelays } from '../daemon/backoff.js';
import type { Logger } from '../daemon/log.js';
import { type LimiterClock, RepeatLimiter } from '../daemon/log-limit.js';
import type { ReaderBook } from './reader-book.js';

export interface ReconnectLogOptions {
  /** At most one warn line per kind of failure per this many ms; default 60 000. */
  readonly lossLogIntervalMs?: number;
  readonly clock?: LimiterClock;
}

export class Reconnect {
  /** True from `start()` to `halt()`: the driver wants its device. */
  running = false;
  /** Failed attempts since the device was last connected for good (drivers reset it). */
  readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  /**
   * This reader's limiter of repeating warn lines, keyed by what failed; drivers may use it for
   * their own repeating lines (e.g. `reader reconnected`) with keys of their own.
   */
  readonly limiter: RepeatLimiter;

  constructor(
    retry: RetryDelays,
    private readonly book: ReaderBook,
    private readonly log: Logger,
    private readonly connect: () => Promise<void>,
    logOptions: ReconnectLogOptions = {},
  ) {
    this.backoff = new Backoff(retry);
    this.limiter = new RepeatLimiter(log, {
      intervalMs: logOptions.lossLogIntervalMs ?? 60_000,
      maxKeys: 16,
      ...(logOptions.clock ? { clock: logOptions.clock } : {}),
    });
  }

  /** The first attempt; resolves once it has connected or failed. */
  start(): Promise<void> {
    this.running = true;
    this.book.set('connecting');
    return this.attempt();
  }

  /**
   * No more attempts (one in flight sees `running` false and closes what it opened). Failures
   * counted but not yet written are written now, with their `repeated` count.
   */
  halt(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.limiter.close();
  }

  /** Resolves once no attempt is in flight. */
  async idle(): Promise<void> {
    await this.connecting;
  }

  /**
   * The attempt or the device failed: disconnected, and another try after the backoff delay, or
   * after `atMostMs` when sooner (a device whose absence is cheap to check).
   */
  failed(reason: string, what: string, atMostMs = Number.POSITIVE_INFINITY): void {
    this.book.lastError = reason;
    const retryInMs = Math.min(this.backoff.next(), atMostMs);
    const attempt = this.backoff.attempt;
    if (attempt > 1) this.log.debug({ reason, attempt, retryInMs }, `${what}; still retrying`);
    else if (!this.limiter.log(what, 'warn', { reason, retryInMs }, `${what}; retrying`))
      this.log.debug({ reason, attempt, retryInMs }, `${what}; retrying`);
    this.book.set('disconnected');
    if (this.running) this.timer = setTimeout(() => void this.attempt(), retryInMs);
  }

  private attempt(): Promise<void> {
    this.timer = undefined;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}
