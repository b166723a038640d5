/**
 * A client's publish rate on the embedded broker, as a token bucket: `burst` messages at once,
 * then `rate` per second on average. A publish beyond it waits for its turn, and since aedes
 * reads a client's next packets only once the current ones are handled, the client's TCP stream
 * is slowed with it: a reader reporting a full pallet, or the gateway's own uplink replaying a
 * backlog through this broker, is slowed and loses nothing. A client that sends far ahead anyway
 * (more than `burst` publishes waiting: a QoS 0 flood written without pause) is refused, which
 * closes its connection.
 */

export interface PublishRateLimits {
  /** Messages per second on average. */
  readonly publishRate: number;
  /** Messages at once above the rate; also how many may wait before the client is refused. */
  readonly publishBurst: number;
}

/** Time, injectable so the bucket can be tested without waiting. */
export type Clock = () => number;

/** One client's bucket. */
export class PublishBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limits: PublishRateLimits,
    private readonly now: Clock = () => performance.now(),
  ) {
    this.tokens = limits.publishBurst;
    this.last = now();
  }

  /**
   * Takes one message: the milliseconds it must wait before it goes on (0: at once), or
   * 'too-fast' when more than a burst of messages would be waiting.
   */
  take(): number | 'too-fast' {
    const now = this.now();
    const { publishRate, publishBurst } = this.limits;
    this.tokens = Math.min(publishBurst, this.tokens + ((now - this.last) * publishRate) / 1000);
    this.last = now;
    if (this.tokens - 1 < -publishBurst) return 'too-fast';
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / publishRate;
  }
}

/**
 * The buckets of all clients, each kept as long as its client. `wait` resolves when the publish
 * may go on, in the order the client sent them, or rejects when the client is too fast.
 */
export class PublishRate<C extends object> {
  private readonly buckets = new WeakMap<C, PublishBucket>();

  constructor(
    private readonly limits: PublishRateLimits,
    private readonly now?: Clock,
  ) {}

  /**
   * Calls `go` now or once the client's turn comes (then `slowed` first), or `tooFast` (once per
   * refused publish).
   */
  pace(client: C, go: () => void, tooFast: () => void, slowed: () => void = () => {}): void {
    let bucket = this.buckets.get(client);
    if (!bucket) {
      bucket = new PublishBucket(this.limits, this.now);
      this.buckets.set(client, bucket);
    }
    const wait = bucket.take();
    if (wait === 'too-fast') tooFast();
    else if (wait === 0) go();
    // Waits only grow within a client's run of publishes, so the timers fire in the order sent.
    else {
      slowed();
      setTimeout(go, Math.ceil(wait));
    }
  }
}
