/**
 * The embedded broker's hooks: every client is authenticated into one role (roles.ts) and
 * judged by it. Deny by default: a publish is let through only for the gateway under its own
 * topics, for a reader to its own topic, and for a consumer granted an input kind to the
 * gateway's input topics of that kind (a question is never retained; a context is taken only for a
 * read point of the config in force); a consumer gets only the gateway's topics, whatever it
 * subscribes to. Refusals are counted (health's `broker.failedLogins` and `broker.refused`)
 * and logged through a repeat limiter, so a client that retries all night cannot flood the
 * journal.
 *
 * Logins refused: a bad username or password (CONNACK 4), a client without a login where those
 * are not let in (5), a client id that belongs to another login (2), and any login from an
 * address throttled after repeated failures (5, the password is not checked; login-throttle.ts).
 * Each counts as a failed login; only bad credentials count towards the throttle, so a client id
 * clash cannot lock a reader's address out.
 */
import type { Socket } from 'node:net';
import type { Aedes, AedesOptions, AuthenticateError, Client } from 'aedes';
import { type InputTopics, inputKindOf, inputTopics } from '../contract/topics.js';
import type { Logger } from '../log.js';
import { RepeatLimiter } from '../log-limit.js';
import { ClientIds } from './client-ids.js';
import { LoginThrottle } from './login-throttle.js';
import type { ReaderAccess } from './reader-access.js';
import {
  ANONYMOUS,
  consumer,
  GATEWAY,
  isGatewayTopic,
  type Login,
  type PreparedConsumers,
  reader,
} from './roles.js';
import { sameSecret } from './secrets.js';

/** MQTT 3.1.1 CONNACK return codes. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export interface AccessCounters {
  failedLogin(): void;
  refusal(reason: string): void;
}

export interface AccessOptions {
  readonly readers: ReaderAccess;
  readonly consumers: PreparedConsumers;
  readonly gateway: { readonly username: string; readonly password: string };
  /** The uplink's client id: reserved for the gateway's login from the start. */
  readonly gatewayClientId?: string;
  /** `<prefix>/<site>/<gateway>`. */
  readonly topicBase: string;
  readonly throttle?: LoginThrottle;
  /** Whether a client came in process (the gateway's own session), not over the network. */
  readonly internal?: (client: Client) => boolean;
  /** Consumer sessions at most (broker.limits.maxConsumers); absent: no bound of their own. */
  readonly maxConsumers?: number;
  /**
   * The read points now: a context is taken only for one of them, so a granted login cannot
   * fill the retained budget (which the gateway's status and health need) with made-up ones.
   */
  readonly readPoints?: () => readonly { readonly id: string }[];
}

type Hooks = Required<
  Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>
>;

export class AccessControl {
  private consumers: PreparedConsumers;
  private readonly loginOf = new WeakMap<Client, Login>();
  private readonly ids = new ClientIds();
  private readonly throttle: LoginThrottle;
  private readonly limited: RepeatLimiter;
  private aedes: Aedes | undefined;
  private readonly inputs: InputTopics;

  constructor(
    private readonly options: AccessOptions,
    private readonly counters: AccessCounters,
    private readonly log: Logger,
  ) {
    this.consumers = options.consumers;
    this.throttle = options.throttle ?? new LoginThrottle();
    this.limited = new RepeatLimiter(log);
    this.inputs = inputTopics(options.topicBase);
    if (options.gatewayClientId !== undefined) this.ids.reserve(options.gatewayClientId, GATEWAY.key);
  }

  /** Whether clients without a login are let in now. */
  get anonymous(): boolean {
    return this.consumers.anonymous;
  }

  install(aedes: Aedes): void {
    this.aedes = aedes;
    this.options.readers.install(aedes);
  }

  /** Writes what the repeat limiter still holds (the broker stops). */
  close(): void {
    this.limited.close();
    this.options.readers.close();
  }

  /** The current consumer logins (a reload compares against them). */
  currentConsumers(): PreparedConsumers {
    return this.consumers;
  }

  /** Swaps in consumer logins; sessions under a removed or changed one (or anonymous ones no longer let in) are closed. */
  replaceConsumers(next: PreparedConsumers, changed: readonly string[]): void {
    this.consumers = next;
    const gone = new Set(changed.map((name) => (name === 'anonymous' ? ANONYMOUS.key : consumer(name).key)));
    for (const client of Object.values(this.clients())) {
      const login = this.loginOf.get(client);
      if (login && gone.has(login.key)) client.close();
    }
  }

  /** A reader's login was removed or changed: the client ids it held are free again. */
  releaseReader(id: string): void {
    this.ids.release(reader(id).key);
  }

  /** Whether `id` is a read point of the config in force (any id when none are given). */
  private isReadPoint(id: string): boolean {
    const points = this.options.readPoints?.();
    return points === undefined || points.some((p) => p.id === id);
  }

  hooks(): Hooks {
    return {
      authenticate: (client, username, password, done) => {
        const address = (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';
        const refuse = (code: number, why: string, fields: object) => {
          this.counters.failedLogin();
          this.limited.log(
            why,
            'warn',
            { clientId: client.id, address, ...fields },
            `broker refused a login: ${why}`,
          );
          const err = new Error(why) as AuthenticateError;
          err.returnCode = code;
          done(err, false);
        };
        // The gateway's own login is taken only in process: over the network it is refused, like a
        // bad password, whatever the secret. In process it is never throttled (nothing to guess).
        const internal = this.options.internal?.(client) ?? false;
        if (username === this.options.gateway.username && !internal) {
          this.throttle.failed(address);
          return refuse(NOT_AUTHORIZED, "the gateway's own login over the network", { username });
        }
        // Only the gateway's own process opens an in-process session: no address to block.
        const blocked = internal ? 0 : this.throttle.blockedFor(address);
        if (blocked > 0)
          return refuse(NOT_AUTHORIZED, 'too many failed logins from this address', {
            retryInS: Math.ceil(blocked / 1000),
          });
        const login = this.identify(username, password);
        if (typeof login === 'string') {
          const block = this.throttle.failed(address);
          if (block > 0)
            this.limited.log(
              'throttled',
              'warn',
              { address, blockS: block / 1000 },
              'broker blocks an address after failed logins',
            );
          return refuse(username === undefined ? NOT_AUTHORIZED : BAD_USERNAME_OR_PASSWORD, login, {
            ...(username !== undefined ? { username } : {}),
          });
        }
        const live = this.clients()[client.id];
        const holder = this.ids.heldAgainst(
          client.id,
          login.key,
          live ? this.loginOf.get(live)?.key : undefined,
        );
        if (holder !== undefined)
          return refuse(IDENTIFIER_REJECTED, 'client id belongs to another login', { login: login.key });
        if (login.role === 'consumer' && this.consumerSessions() >= (this.options.maxConsumers ?? Infinity)) {
          // Not a failed login: the broker keeps the rest of its connections for readers and the uplink.
          this.counters.refusal('consumers');
          this.limited.log(
            'consumers',
            'warn',
            { clientId: client.id, address, maxConsumers: this.options.maxConsumers },
            'broker refused a consumer: broker.limits.maxConsumers reached',
          );
          const err = new Error('too many consumers') as AuthenticateError;
          err.returnCode = SERVER_UNAVAILABLE;
          return done(err, false);
        }
        // Only a login over the network clears its address's record.
        if (!internal) this.throttle.succeeded(address);
        this.loginOf.set(client, login);
        const account =
          login.reader !== undefined && username !== undefined
            ? this.options.readers.account(username)
            : undefined;
        if (account) this.options.readers.bind(client, account);
        if (login.role !== 'consumer') this.ids.reserve(client.id, login.key);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the broker's own messages ($SYS)
        const login = this.loginOf.get(client);
        if (login?.role === 'reader') {
          if (this.options.readers.strays(client, packet.topic)) this.counters.refusal('publish');
          // A reader's message is for its driver; nobody may read a reader's topic, so a retained
          // one is not kept: it would only take the retained budget the gateway's status needs.
          packet.retain = false;
          return this.options.readers.publish(client, packet, done);
        }
        if (login?.role === 'gateway' && isGatewayTopic(packet.topic, this.options.topicBase))
          return done(null);
        const kind = login?.username !== undefined ? inputKindOf(this.inputs, packet.topic) : undefined;
        if (
          kind &&
          login?.username !== undefined &&
          this.consumers.grants?.get(login.username)?.has(kind) &&
          (kind !== 'context' || this.isReadPoint(packet.topic.slice(this.inputs.context.length)))
        ) {
          // A question is asked once; kept, it would be asked again of every gateway session.
          if (kind === 'query') packet.retain = false;
          return done(null);
        }
        this.counters.refusal('publish');
        this.limited.log(
          `publish ${login?.role}`,
          'warn',
          { clientId: client.id, login: login?.key, topic: packet.topic },
          `broker refused a publish: a ${login?.role ?? 'client'} login may not publish there`,
        );
        done(new Error(`not allowed to publish to ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, done) => {
        const login = this.loginOf.get(client);
        if (login && login.role !== 'reader') return done(null, sub);
        this.counters.refusal('subscribe');
        this.limited.log(
          'subscribe',
          'warn',
          { clientId: client.id, login: login?.key, filter: sub.topic },
          'broker refused a subscription: readers read nothing',
        );
        done(null, null);
      },
      // Consumers subscribe to any filter but are handed the gateway's topics only.
      authorizeForward: (client, packet) => {
        const login = this.loginOf.get(client);
        if (login?.role === 'gateway') return packet;
        if (login?.role === 'consumer' && isGatewayTopic(packet.topic, this.options.topicBase)) return packet;
        return null;
      },
    };
  }

  /** Whether the client is the gateway's own session (its uplink), which no rate limit may slow. */
  isGateway(client: Client): boolean {
    return this.loginOf.get(client)?.role === 'gateway';
  }

  /** Consumer sessions now (at most maxConnections, so counting them is cheap). */
  private consumerSessions(): number {
    let n = 0;
    for (const client of Object.values(this.clients()))
      if (this.loginOf.get(client)?.role === 'consumer') n++;
    return n;
  }

  /** aedes' live sessions by client id (not in its type declarations). */
  private clients(): Readonly<Record<string, Client>> {
    return (this.aedes as unknown as { clients?: Record<string, Client> } | undefined)?.clients ?? {};
  }

  /** The login presented, or why it is refused. */
  private identify(username: string | undefined, password: Buffer | undefined): Login | string {
    if (username === undefined) return this.consumers.anonymous ? ANONYMOUS : 'a login is required';
    if (username === this.options.gateway.username)
      return sameSecret(password, Buffer.from(this.options.gateway.password))
        ? GATEWAY
        : 'bad username or password';
    const account = this.options.readers.account(username);
    if (account) {
      return this.options.readers.verify(account, password) ? reader(account.id) : 'bad username or password';
    }
    const expected = this.consumers.passwords.get(username);
    if (expected !== undefined && sameSecret(password, expected)) return consumer(username);
    return 'bad username or password';
  }
}
