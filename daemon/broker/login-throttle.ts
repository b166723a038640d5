/**
 * Password guessing at the embedded broker, slowed per source address: after `failures` failed
 * logins within `windowMs`, the address is refused for `blockMs` without its password being
 * checked; each further block of the same address doubles, up to `maxBlockMs`. A successful
 * login clears the address. At most `maxAddresses` are remembered (the least recently seen is
 * forgotten first), so a flood of source addresses cannot grow memory without bound.
 */

export interface LoginThrottleOptions {
  readonly failures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly maxBlockMs: number;
  readonly maxAddresses: number;
  /** Milliseconds on a monotonic clock; injectable for tests. */
  readonly now?: () => number;
}

/** Five failures within a minute block the address for 30 s, then 60 s, 120 s, ... up to 15 min. */
export const LOGIN_THROTTLE: LoginThrottleOptions = Object.freeze({
  failures: 5,
  windowMs: 60_000,
  blockMs: 30_000,
  maxBlockMs: 15 * 60_000,
  maxAddresses: 10_000,
});

interface Source {
  /** Failures since `since`, within the window. */
  failures: number;
  since: number;
  blockedUntil: number;
  /** Blocks so far: each next one lasts twice as long. */
  blocks: number;
  lastSeen: number;
}

export class LoginThrottle {
  private readonly sources = new Map<string, Source>();
  private readonly now: () => number;

  constructor(private readonly options: LoginThrottleOptions = LOGIN_THROTTLE) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Milliseconds the address is still refused for; 0 when it may try. */
  blockedFor(address: string): number {
    const source = this.sources.get(address);
    return source ? Math.max(0, source.blockedUntil - this.now()) : 0;
  }

  /** Notes a failed login; returns the block it starts (ms), or 0. */
  failed(address: string): number {
    const now = this.now();
    let source = this.sources.get(address);
    // Quiet for longer than the longest block: start over.
    if (source && now - source.lastSeen > this.options.maxBlockMs + this.options.windowMs) source = undefined;
    source ??= { failures: 0, since: now, blockedUntil: 0, blocks: 0, lastSeen: now };
    if (now - source.since > this.options.windowMs) {
      source.failures = 0;
      source.since = now;
    }
    source.failures++;
    source.lastSeen = now;
    let block = 0;
    if (source.failures >= this.options.failures) {
      block = Math.min(this.options.blockMs * 2 ** source.blocks, this.options.maxBlockMs);
      source.blockedUntil = now + block;
      source.blocks++;
      source.failures = 0;
      source.since = now;
    }
    this.remember(address, source);
    return block;
  }

  /** A login from the address succeeded: its failures are forgotten. */
  succeeded(address: string): void {
    this.sources.delete(address);
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.sources.size;
  }

  private remember(address: string, source: Source): void {
    this.sources.delete(address); // re-inserted last: the map's order is least recently seen first
    this.sources.set(address, source);
    if (this.sources.size > this.options.maxAddresses)
      this.sources.delete(this.sources.keys().next().value as string);
  }
}
