/**
 * Network readers on the embedded broker: who they are and what they may do (the other roles
 * are in roles.ts, the hooks that judge every client in access-control.ts).
 *
 * - Authentication: a client presenting a reader's username must present that reader's password
 *   (compared in constant time).
 * - Authorisation: a reader may publish only to its own topic and subscribe to nothing (its SUBACK
 *   says 0x80). A refused publish closes the client's connection (MQTT 3.1.1 has no other
 *   answer), so nothing of it is acknowledged.
 * - Intake: a message a reader publishes to its own topic goes to that reader's driver, attached
 *   through `ReaderPort`; the broker acknowledges it once the driver has handed its reads over.
 *   Without a driver attached (the gateway still starting), the message is refused and the reader
 *   sends it again after it reconnects.
 * - A live reload replaces the logins (`prepare` reads and checks them, `replace` swaps them):
 *   the sessions of a reader whose login was removed or changed (username, password, topic) are
 *   closed, and it logs in again under the new one; every other session is left alone.
 */
import type { Aedes, Client } from 'aedes';
import { DEFAULT_READER_TOPIC, isMqttReader } from '../../config/readers/mqtt-reader-kind.js';
import { segment } from '../contract/topics.js';
import type { Logger } from '../log.js';
import { RepeatLimiter } from '../log-limit.js';
import { sameSecret, secret } from './secrets.js';

/** A reader's login as configured (the password may still be in a file). */
export interface ReaderLogin {
  readonly id: string;
  readonly username: string;
  readonly password?: string;
  readonly passwordFile?: string;
  readonly topic: string;
}

/** What a reader's driver gives the broker: where its messages and its connection go. */
export interface ReaderIntake {
  /** Resolves once the message's reads are handed over (then it is acknowledged); rejects to refuse it. */
  message(payload: Buffer): Promise<void>;
  /** The reader's first session began (true) or its last one ended (false). */
  connection(connected: boolean, clientId: string): void;
}

export interface ReaderAttachment {
  /** Whether the reader holds a session now. */
  readonly connected: boolean;
  detach(): void;
}

/** The embedded broker as a reader's driver sees it. */
export interface ReaderPort {
  attachReader(readerId: string, intake: ReaderIntake): ReaderAttachment;
}

export interface ReaderAccount {
  readonly id: string;
  readonly username: string;
  readonly password: Buffer;
  readonly topic: string;
}

/** The topic a reader publishes to; every level is checked, so nothing can widen it. */
export function readerTopic(reader: { readonly id: string; readonly topic?: string }): string {
  const topic = reader.topic ?? DEFAULT_READER_TOPIC(segment(reader.id, 'reader id'));
  for (const level of topic.split('/')) segment(level, `reader ${reader.id} topic level`);
  return topic;
}

/** The logins of the configured readers that publish over MQTT (none: the broker is as before). */
export function readerLogins(readers: readonly { readonly driver: string }[]): ReaderLogin[] {
  return readers.filter(isMqttReader).map((r) => ({
    id: r.id,
    username: r.username,
    ...(r.password !== undefined ? { password: r.password } : {}),
    ...(r.passwordFile !== undefined ? { passwordFile: r.passwordFile } : {}),
    topic: readerTopic(r),
  }));
}

/** Logins read and checked, ready for `replace()`. */
export interface PreparedLogins {
  readonly accounts: readonly ReaderAccount[];
}

export class ReaderAccess implements ReaderPort {
  private byUsername = new Map<string, ReaderAccount>();
  private byTopic = new Map<string, ReaderAccount>();
  private byId = new Map<string, ReaderAccount>();
  private readonly accountOf = new WeakMap<Client, ReaderAccount>();
  private readonly sessions = new Map<string, Set<Client>>();
  private readonly intakes = new Map<string, ReaderIntake>();
  /** A reader that reconnects and misbehaves all night writes a line a minute, not one per try. */
  private readonly limited: RepeatLimiter;

  private constructor(
    accounts: readonly ReaderAccount[],
    private readonly log: Logger,
  ) {
    this.limited = new RepeatLimiter(log);
    this.index(accounts);
  }

  private index(accounts: readonly ReaderAccount[]): void {
    this.byUsername = new Map(accounts.map((a) => [a.username, a]));
    this.byTopic = new Map(accounts.map((a) => [a.topic, a]));
    this.byId = new Map(accounts.map((a) => [a.id, a]));
    for (const a of accounts) if (!this.sessions.has(a.id)) this.sessions.set(a.id, new Set());
  }

  /** The access of logins read and checked by `prepare`. */
  static from(prepared: PreparedLogins, log: Logger): ReaderAccess {
    return new ReaderAccess(prepared.accounts, log);
  }

  /** Reads password files and checks the logins, changing nothing; throws naming every problem. */
  static async prepare(logins: readonly ReaderLogin[], taken: ReadonlySet<string>): Promise<PreparedLogins> {
    const problems: string[] = [];
    const accounts: ReaderAccount[] = [];
    const used = { id: new Set<string>(), username: new Set<string>(), topic: new Set<string>() };
    for (const login of logins) {
      const what = `reader ${login.id}`;
      if (used.id.has(login.id)) problems.push(`${what}: a second reader with this id`);
      if (used.username.has(login.username) || taken.has(login.username))
        problems.push(`${what}: username ${login.username} is already used by another client`);
      if (used.topic.has(login.topic)) problems.push(`${what}: topic ${login.topic} is another reader's`);
      used.id.add(login.id);
      used.username.add(login.username);
      used.topic.add(login.topic);
      const password = await secret(login).catch((err: Error) => {
        problems.push(`${what}: ${err.message}`);
        return undefined;
      });
      if (password) accounts.push({ id: login.id, username: login.username, password, topic: login.topic });
    }
    if (problems.length > 0) throw new Error(`broker reader logins: ${problems.join('; ')}`);
    return { accounts };
  }

  /** The ids whose login `prepared` adds, removes or changes. */
  changes(prepared: PreparedLogins): string[] {
    const next = new Map(prepared.accounts.map((a) => [a.id, a]));
    const ids = new Set([...this.byId.keys(), ...next.keys()]);
    return [...ids].filter((id) => {
      const a = this.byId.get(id);
      const b = next.get(id);
      return !a || !b || a.username !== b.username || a.topic !== b.topic || !a.password.equals(b.password);
    });
  }

  /**
   * Swaps in the prepared logins: sessions under a login that is gone or changed are closed (the
   * reader's driver, if still attached, hears that its reader disconnected). Returns the ids
   * whose login changed.
   */
  replace(prepared: PreparedLogins): string[] {
    const changed = this.changes(prepared);
    this.index(prepared.accounts);
    for (const id of changed) {
      const clients = [...(this.sessions.get(id) ?? [])];
      if (this.byId.has(id)) this.sessions.set(id, new Set());
      else this.sessions.delete(id);
      for (const client of clients) {
        this.accountOf.delete(client);
        client.close();
      }
      const last = clients.at(-1);
      if (last) this.intakes.get(id)?.connection(false, last.id);
    }
    if (changed.length > 0) this.log.info({ readers: changed }, 'broker reader logins replaced');
    return changed;
  }

  /** The aedes hooks, and the session tracking on its events. */
  install(aedes: Aedes): void {
    aedes.on('client', (client) => this.session(client, true));
    aedes.on('clientDisconnect', (client) => this.session(client, false));
  }

  /** The reader account of a username, if it is one. */
  account(username: string): ReaderAccount | undefined {
    return this.byUsername.get(username);
  }

  /** Whether `password` is the account's (constant time). */
  verify(account: ReaderAccount, password: Buffer | undefined): boolean {
    return password !== undefined && sameSecret(password, account.password);
  }

  /** Whether the client is a reader publishing somewhere other than its own topic. */
  strays(client: Client, topic: string): boolean {
    const account = this.accountOf.get(client);
    return account !== undefined && account.topic !== topic;
  }

  /** Writes what the repeat limiter still holds (the broker stops). */
  close(): void {
    this.limited.close();
  }

  /** The client logged in as the account (tracked from its session's start). */
  bind(client: Client, account: ReaderAccount): void {
    this.accountOf.set(client, account);
  }

  /**
   * A reader's publish: to its own topic, handed to its driver and acknowledged once the reads are
   * over; anywhere else refused (the reader's connection is closed).
   */
  publish(
    client: Client,
    packet: { readonly topic: string; readonly payload: string | Buffer },
    done: (err?: Error | null) => void,
  ): void {
    const account = this.accountOf.get(client);
    if (!account) {
      done(new Error('not a reader session'));
      return;
    }
    if (packet.topic !== account.topic) {
      done(this.refuse(client, packet.topic, account, this.byTopic.get(packet.topic)));
      return;
    }
    const intake = this.intakes.get(account.id);
    if (!intake) {
      this.limited.log(
        `early ${account.id}`,
        'warn',
        { clientId: client.id, reader: account.id },
        'reader published before its driver started; refused, it will resend after reconnecting',
      );
      done(new Error(`no driver takes reader ${account.id}'s messages yet`));
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    intake.message(payload).then(
      () => done(null),
      (err: Error) => done(err),
    );
  }

  attachReader(readerId: string, intake: ReaderIntake): ReaderAttachment {
    const account = this.byId.get(readerId);
    if (!account) throw new Error(`reader ${readerId} has no login on the embedded broker`);
    if (this.intakes.has(readerId)) throw new Error(`reader ${readerId} already has a driver attached`);
    this.intakes.set(readerId, intake);
    return {
      connected: (this.sessions.get(readerId)?.size ?? 0) > 0,
      detach: () => {
        if (this.intakes.get(readerId) === intake) this.intakes.delete(readerId);
      },
    };
  }

  private session(client: Client, open: boolean): void {
    const account = this.accountOf.get(client);
    if (!account) return;
    const sessions = this.sessions.get(account.id)!;
    const before = sessions.size;
    if (open) sessions.add(client);
    else sessions.delete(client);
    if ((before === 0) !== (sessions.size === 0))
      this.intakes.get(account.id)?.connection(sessions.size > 0, client.id);
  }

  private refuse(client: Client, topic: string, account: ReaderAccount, owner?: ReaderAccount): Error {
    const why = owner ? `the topic of reader ${owner.id}` : 'a topic other than its own';
    this.limited.log(
      `refused ${account.id}`,
      'warn',
      { clientId: client.id, topic },
      `broker refused a publish: reader ${account.id} to ${why}`,
    );
    return new Error(`reader ${account.id} may not publish to ${topic}`);
  }
}

/** Whether an MQTT topic filter matches a topic (`+` one level, `#` this level and below). */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
