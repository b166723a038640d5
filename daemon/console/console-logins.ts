/**
 * Who may look at the console: HTTP Basic logins, each password kept only as a keyed hash
 * (HMAC-SHA-256 under a key made at start), compared in constant time, and password guessing
 * slowed per source address by the broker's login throttle (5 failures in a minute block the
 * address for 30 s, doubling up to 15 min; the password is not checked while blocked).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LoginThrottle, type LoginThrottleOptions } from '../broker/login-throttle.js';
import { secret } from '../broker/secrets.js';

export interface ConsoleLoginConfig {
  readonly username: string;
  readonly password?: string;
  readonly passwordFile?: string;
}

/** What a request's credentials earned. */
export type Verdict =
  | { readonly ok: true; readonly username?: string }
  | { readonly ok: false; readonly why: 'missing' | 'wrong' }
  | { readonly ok: false; readonly why: 'throttled'; readonly retryAfterS: number };

export class ConsoleLogins {
  private readonly key = randomBytes(32);
  private readonly digests = new Map<string, Buffer>();
  private readonly unknownUser: Buffer;
  private readonly throttle: LoginThrottle;
  /** Refused logins since start (wrong credentials and throttled addresses). */
  failed = 0;

  private constructor(throttle?: LoginThrottleOptions) {
    this.throttle = new LoginThrottle(throttle);
    this.unknownUser = this.digest(randomBytes(16));
  }

  /** Reads every login's password (password files too); rejects naming the login that fails. */
  static async prepare(
    logins: readonly ConsoleLoginConfig[],
    throttle?: LoginThrottleOptions,
  ): Promise<ConsoleLogins> {
    const set = new ConsoleLogins(throttle);
    for (const login of logins) {
      try {
        set.digests.set(login.username, set.digest(await secret(login)));
      } catch (err) {
        throw new Error(`console login ${login.username}: ${(err as Error).message}`);
      }
    }
    return set;
  }

  /** No login configured: the console is open (allowed on loopback only, config/console.ts). */
  get open(): boolean {
    return this.digests.size === 0;
  }

  /** Checks an `Authorization` header from `address`. */
  check(authorization: string | undefined, address: string): Verdict {
    if (this.open) return { ok: true };
    const blocked = this.throttle.blockedFor(address);
    if (blocked > 0) {
      this.failed++;
      return { ok: false, why: 'throttled', retryAfterS: Math.ceil(blocked / 1000) };
    }
    const given = basic(authorization);
    if (!given) return { ok: false, why: 'missing' };
    const expected = this.digests.get(given.username);
    const match = timingSafeEqual(
      this.digest(Buffer.from(given.password, 'utf8')),
      expected ?? this.unknownUser,
    );
    if (match && expected) {
      this.throttle.succeeded(address);
      return { ok: true, username: given.username };
    }
    this.failed++;
    this.throttle.failed(address);
    return { ok: false, why: 'wrong' };
  }

  private digest(password: Buffer): Buffer {
    return createHmac('sha256', this.key).update(password).digest();
  }
}

/** `Basic base64(user:password)` -> its parts; undefined when absent or malformed. */
function basic(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
