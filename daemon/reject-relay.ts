/**
 * Relays one reader's rejects to the rejects topic at a bounded rate, with exact counts of what it
 * held back. A scanner at the wrong baud rate rejects thousands of lines a second; the topic must
 * not carry them all, and a consumer must still be able to count every one.
 *
 * Contract:
 * - A token bucket: up to `burst` rejects are published at once, then `perSecond` on average.
 * - A reject that finds no token is held; a later one replaces it and the replaced one is counted
 *   in `skipped` (in all, and by code). When a token is due, the held reject (the latest) is
 *   published carrying `skipped`: the rejects of this reader not published since its previous
 *   published one, not counting itself. So every published reject stands for `1 + skipped.total`
 *   rejects, and the messages of a reader add up exactly to its rejects.
 * - A burst's last reject is published once a token is due (within `1 / perSecond` s), so the
 *   counts of a burst that has ended are never left unreported; `close()` publishes the one held
 *   at once, beyond the rate.
 * - `publish` returns false when the message could not be handed to the uplink (it is down): the
 *   reject stays held with its counts and goes out at the next chance (a later reject's token, or
 *   `close()`). A failed attempt still takes its token, so attempts too stay within the rate.
 * - Memory is bounded: one held reject and a count per reject code.
 */
import type { RejectPayload } from './contract/topics.js';
import { type LimiterClock, SYSTEM_CLOCK } from './log-limit.js';

export interface RejectRelayOptions {
  /** Rejects published at once before the rate applies. */
  readonly burst: number;
  /** Rejects published per second on average beyond the burst. */
  readonly perSecond: number;
  readonly clock?: LimiterClock;
}

/** Publishes a reject; false when it could not be handed to the uplink. */
export type PublishReject = (reject: RejectPayload) => boolean;

export class RejectRelay {
  private readonly clock: LimiterClock;
  private tokens: number;
  private refilledAt: number;
  /** The latest reject not yet published. */
  private held: RejectPayload | undefined;
  /** Rejects not published before `held` (it not counted): the next message's `skipped`. */
  private skippedTotal = 0;
  private readonly skippedByCode = new Map<string, number>();
  private timer: unknown;

  constructor(
    private readonly publish: PublishReject,
    private readonly options: RejectRelayOptions,
  ) {
    const { burst, perSecond } = options;
    if (!(Number.isInteger(burst) && burst >= 1))
      throw new TypeError(`burst must be an integer >= 1, got ${burst}`);
    if (!(perSecond > 0 && Number.isFinite(perSecond)))
      throw new TypeError(`perSecond must be a number > 0, got ${perSecond}`);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.tokens = burst;
    this.refilledAt = this.clock.now();
  }

  /** One reject of the reader: published now, or held and counted (see the contract). */
  offer(reject: RejectPayload): void {
    this.refill();
    if (this.held) {
      this.skippedTotal++;
      this.skippedByCode.set(this.held.code, (this.skippedByCode.get(this.held.code) ?? 0) + 1);
    }
    this.held = reject;
    if (this.tokens >= 1) this.send();
    else this.arm();
  }

  /** Rejects counted but not yet published (the held one included). */
  get pending(): number {
    return this.held ? 1 + this.skippedTotal : 0;
  }

  /** Publishes the held reject with its counts now, whatever the rate; stops the timer. */
  close(): void {
    this.disarm();
    this.send();
  }

  private send(): void {
    const held = this.held;
    if (!held) return;
    const message: RejectPayload =
      this.skippedTotal > 0
        ? { ...held, skipped: { total: this.skippedTotal, byCode: Object.fromEntries(this.skippedByCode) } }
        : held;
    this.tokens = Math.max(0, this.tokens - 1);
    if (!this.publish(message)) return; // held, with its counts, for the next chance
    this.held = undefined;
    this.skippedTotal = 0;
    this.skippedByCode.clear();
  }

  private refill(): void {
    const now = this.clock.now();
    const { burst, perSecond } = this.options;
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
  }

  /** A timer for when the next token is due, unless one is set. */
  private arm(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.options.perSecond));
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.refill();
      if (this.tokens >= 1) this.send();
      else if (this.held) this.arm();
    }, wait);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}
