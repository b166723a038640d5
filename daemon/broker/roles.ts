/**
 * Who may do what on the embedded broker. Every client is one of:
 *
 * - the gateway: its own uplink session, with a login made at each start (random, held in memory
 *   only, never logged). It alone publishes under the gateway's topics (`<prefix>/<site>/<gateway>/`:
 *   events, status, health, rejects, overflow, summary, its last will).
 * - a reader: a network reader's login (reader-access.ts). It publishes to its own topic only and
 *   reads nothing.
 * - a consumer: the floor login (`broker.username`), a `broker.consumers` login, or an anonymous
 *   client where those are let in. It reads the gateway's topics (and only those: a `#`
 *   subscription gets nothing else, no reader's raw messages) and publishes nothing, unless its
 *   `broker.consumers` entry grants it input kinds (`publish: [holds, context, query]`): then it
 *   may publish to the gateway's input topics of those kinds (contract/topics.ts `inputTopics`),
 *   and nowhere else. The floor login and anonymous clients are never granted anything.
 */
import { randomBytes } from 'node:crypto';
import type { InputKind } from '../contract/topics.js';
import type { LoginKey } from './client-ids.js';
import { secret } from './secrets.js';

export type Role = 'gateway' | 'reader' | 'consumer';

/** A client's login once authenticated. */
export interface Login {
  readonly key: LoginKey;
  readonly role: Role;
  /** The reader's id, for a reader login. */
  readonly reader?: string;
  /** The username, for a consumer login (not for anonymous). */
  readonly username?: string;
}

export const GATEWAY: Login = Object.freeze({ key: 'gateway', role: 'gateway' });
export const ANONYMOUS: Login = Object.freeze({ key: 'anonymous', role: 'consumer' });
export const consumer = (username: string): Login => ({
  key: `consumer:${username}`,
  role: 'consumer',
  username,
});
export const reader = (id: string): Login => ({ key: `reader:${id}`, role: 'reader', reader: id });

/** A consumer login as configured (the password may still be in a file). */
export interface ConsumerLogin {
  readonly username: string;
  readonly password?: string;
  readonly passwordFile?: string;
  /** The input kinds it may publish (none when absent). */
  readonly publish?: readonly InputKind[];
}

/** Consumer logins read and checked: username -> password; and whether anonymous clients get in. */
export interface PreparedConsumers {
  readonly passwords: ReadonlyMap<string, Buffer>;
  readonly anonymous: boolean;
  /** username -> the input kinds it may publish; absent: none. */
  readonly grants?: ReadonlyMap<string, ReadonlySet<InputKind>>;
}

/** The consumer logins of a broker config: the floor login first, then `consumers`. */
export function consumerLogins(broker: {
  readonly username?: string;
  readonly password?: string;
  readonly consumers?: readonly ConsumerLogin[];
}): ConsumerLogin[] {
  const floor =
    broker.username !== undefined && broker.password !== undefined
      ? [{ username: broker.username, password: broker.password }]
      : [];
  return [...floor, ...(broker.consumers ?? [])];
}

/** Reads password files and checks the consumer logins; throws one error naming every problem. */
export async function prepareConsumers(
  logins: readonly ConsumerLogin[],
  anonymous: boolean,
  taken: ReadonlySet<string>,
): Promise<PreparedConsumers> {
  const problems: string[] = [];
  const passwords = new Map<string, Buffer>();
  const grants = new Map<string, ReadonlySet<InputKind>>();
  for (const login of logins) {
    if (login.publish && login.publish.length > 0) grants.set(login.username, new Set(login.publish));
    const what = `consumer ${login.username}`;
    if (passwords.has(login.username) || taken.has(login.username))
      problems.push(`${what}: username is already used by another client`);
    const password = await secret(login).catch((err: Error) => {
      problems.push(`${what}: ${err.message}`);
      return undefined;
    });
    if (password) passwords.set(login.username, password);
  }
  if (problems.length > 0) throw new Error(`broker consumer logins: ${problems.join('; ')}`);
  return { passwords, anonymous, grants };
}

/** The consumers whose login `next` adds, removes or changes (by username; `anonymous` for anonymous access). */
export function consumerChanges(before: PreparedConsumers, next: PreparedConsumers): string[] {
  const names = new Set([...before.passwords.keys(), ...next.passwords.keys()]);
  const changed = [...names].filter((name) => {
    const a = before.passwords.get(name);
    const b = next.passwords.get(name);
    return !a || !b || !a.equals(b) || grantsOf(before, name) !== grantsOf(next, name);
  });
  if (before.anonymous !== next.anonymous) changed.push('anonymous');
  return changed;
}

/** A consumer's grants as one comparable string. */
function grantsOf(consumers: PreparedConsumers, username: string): string {
  return [...(consumers.grants?.get(username) ?? [])].sort().join(',');
}

/** The gateway's own login for this run: random, never written anywhere. */
export function gatewayCredentials(): { readonly username: string; readonly password: string } {
  return {
    username: `readpoint-gateway-${randomBytes(6).toString('hex')}`,
    password: randomBytes(32).toString('base64url'),
  };
}

/** Whether `topic` is one of the gateway's own (under `<prefix>/<site>/<gateway>/`). */
export function isGatewayTopic(topic: string, base: string): boolean {
  return topic.startsWith(`${base}/`);
}
