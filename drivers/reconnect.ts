/**
 * Connecting with retries, as every driver of a device that can vanish does: `start()` makes the
 * first attempt (the driver's `connect`); when an attempt or a connected device fails, the driver
 * calls `failed()`: the reader is disconnected, the reason is its last error, it is logged once
 * at warn and then quietly at debug (a device left unplugged all weekend must not fill the
 * journal), and the next attempt comes after the backoff delay, until `halt()`.
 */
import { Backoff, type RetryDelays } from '../daemon/backoff.js';
import type { Logger } from '../daemon/log.js';
import type { ReaderBook } from './reader-book.js';

export class Reconnect {
  /** True from `start()` to `halt()`: the driver wants its device. */
  running = false;
  /** Failed attempts since the device was last connected for good (drivers reset it). */
  readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  constructor(
    retry: RetryDelays,
    private readonly book: ReaderBook,
    private readonly log: Logger,
    private readonly connect: () => Promise<void>,
  ) {
    this.backoff = new Backoff(retry);
  }

  /** The first attempt; resolves once it has connected or failed. */
  start(): Promise<void> {
    this.running = true;
    this.book.set('connecting');
    return this.attempt();
  }

  /** No more attempts (one in flight sees `running` false and closes what it opened). */
  halt(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
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
    if (this.backoff.attempt === 1) this.log.warn({ reason, retryInMs }, `${what}; retrying`);
    else this.log.debug({ reason, attempt: this.backoff.attempt, retryInMs }, `${what}; still retrying`);
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
