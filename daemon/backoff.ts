/**
 * Reconnect delays with decorrelated jitter: each delay is drawn between `minMs` and three times
 * the previous one, capped at `maxMs`. The jitter keeps a fleet of gateways from reconnecting in
 * lockstep after the central broker restarts; the growth keeps a dead broker from being hammered.
 */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
}

export class Backoff {
  private previous: number;

  constructor(
    private readonly options: BackoffOptions,
    /** A uniform [0, 1) source; injectable so tests can pin the sequence. */
    private readonly random: () => number = Math.random,
  ) {
    if (!(options.minMs > 0) || !(options.maxMs >= options.minMs)) {
      throw new TypeError(
        `backoff needs 0 < minMs <= maxMs, got minMs ${options.minMs}, maxMs ${options.maxMs}`,
      );
    }
    this.previous = options.minMs;
  }

  /** The delay before the next attempt, ms. */
  next(): number {
    const { minMs, maxMs } = this.options;
    const upper = Math.min(maxMs, this.previous * 3);
    this.previous = Math.round(minMs + this.random() * (upper - minMs));
    return this.previous;
  }

  /** After a successful connect the next loss starts again from `minMs`. */
  reset(): void {
    this.previous = this.options.minMs;
  }
}
