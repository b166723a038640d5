/**
 * Retry delays for anything that reconnects: a reader to its device, the uplink to its broker.
 * The delay doubles from `minMs` per failed attempt up to `maxMs`, and jitter spreads each one
 * over the upper half of its step, the first one too, so gateways (or readers on one USB hub) that
 * lost their peer together do not retry in lockstep, and a dead peer is not hammered.
 */
export interface RetryDelays {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (1 for the first), ms: an integer within
 * [step / 2, step] for step = minMs * 2^(attempt - 1) capped at maxMs, so within [minMs / 2, maxMs].
 * The first retry is jittered as well, over [minMs / 2, minMs]: a fleet that lost its broker at one
 * instant would otherwise come back at one instant, minMs later.
 */
export function backoffDelay(
  attempt: number,
  retry: RetryDelays,
  random: () => number = Math.random,
): number {
  const { minMs, maxMs } = retry;
  const doublings = Math.min(Math.max(0, Math.floor(attempt) - 1), 40); // 2^40 outgrows any maxMs
  const step = Math.min(maxMs, minMs * 2 ** doublings);
  return Math.max(1, Math.round(step * (1 - random() / 2)));
}

/** The attempt counter around backoffDelay(), for a connection that retries until it is reset. */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly retry: RetryDelays,
    /** A uniform [0, 1) source; injectable so tests can pin the sequence. */
    private readonly random: () => number = Math.random,
  ) {
    if (!(retry.minMs > 0) || !(retry.maxMs >= retry.minMs)) {
      throw new TypeError(`backoff needs 0 < minMs <= maxMs, got minMs ${retry.minMs}, maxMs ${retry.maxMs}`);
    }
  }

  /** Failed attempts since the last reset(). */
  get attempt(): number {
    return this.attempts;
  }

  /** Counts one more failed attempt and returns the delay before the next, ms. */
  next(): number {
    this.attempts++;
    return backoffDelay(this.attempts, this.retry, this.random);
  }

  /** After a connection that held, the next loss starts again from the first step (minMs / 2 to minMs). */
  reset(): void {
    this.attempts = 0;
  }
}
