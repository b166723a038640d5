/**
 * The embedded MQTT broker (aedes) that serves the floor: local consumers, network readers that
 * publish over MQTT, and the uplink's default upstream when no central broker is configured (the
 * gateway's own session then runs in process, over `gatewayStream()`, not over the network).
 * In-memory only: durability lives in the outbox, not here.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { anonymousAllowed } from '../../config/broker.js';
import { brokerLimits } from '../../config/broker-limit-defaults.js';
import type { BrokerLimitsConfig } from '../../config/broker-limits.js';
import type { BrokerHealth } from '../contract/topics.js';
import type { Logger } from '../log.js';
import { AccessControl } from './access-control.js';
import { duplexPair } from './duplex-pair.js';
import {
  type PreparedLogins,
  ReaderAccess,
  type ReaderAttachment,
  type ReaderIntake,
  type ReaderLogin,
  type ReaderPort,
} from './reader-access.js';
import { ResourceLimits } from './resource-limits.js';
import {
  type ConsumerLogin,
  consumerChanges,
  consumerLogins,
  gatewayCredentials,
  type PreparedConsumers,
  prepareConsumers,
} from './roles.js';

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port; address() tells which. */
  port: number;
  /** The floor login: a consumer (reads the gateway's topics, writes nothing). */
  username?: string;
  password?: string;
  /** More consumer logins. */
  consumers?: readonly ConsumerLogin[];
  /** Let clients without a login in (as consumers) even when consumer logins exist. */
  allowAnonymous?: boolean;
  /**
   * Network readers that publish into this broker (readerLogins() of the config): each logs in
   * with its own credentials and may publish only to its own topic.
   */
  readers?: readonly ReaderLogin[];
  /** Packet size, connections, retained messages, publish rate (resource-limits.ts); absent: the defaults. */
  limits?: Partial<BrokerLimitsConfig>;
  /** `<prefix>/<site>/<gateway>`: only the gateway's own login publishes below it; consumers read only below it. */
  topicBase: string;
  /** The uplink's client id, reserved for the gateway's own login. */
  gatewayClientId?: string;
  /**
   * The read points now (the config in force, reloads included): a transaction context may be
   * published only for one of them. Absent: for any read point id.
   */
  readPoints?: () => readonly { readonly id: string }[];
}

/** Reader and consumer logins read and checked, ready for `replaceLogins()`. */
export interface PreparedBrokerLogins {
  readonly readers: PreparedLogins;
  readonly consumers: PreparedConsumers;
}

export class EmbeddedBroker implements ReaderPort {
  private aedes: Aedes | undefined;
  private access: ReaderAccess | undefined;
  private control: AccessControl | undefined;
  private server: Server | undefined;
  private limits: ResourceLimits | undefined;
  private readonly sockets = new Set<Socket>();
  /** The broker's ends of the gateway's in-process sessions, and those of them logged in. */
  private readonly internal = new Set<Duplex>();
  private readonly internalClients = new Set<Client>();
  private failedLogins = 0;
  private readonly refused = new Map<string, number>();
  private gateway: { readonly username: string; readonly password: string } | undefined;

  constructor(
    private readonly options: BrokerOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.server) throw new Error('broker already started');
    const { readers = [] } = this.options;
    const logins = await this.prepare(readers, this.options);
    const access = ReaderAccess.from(logins.readers, this.log);
    const gateway = gatewayCredentials();
    const limitsConfig = brokerLimits(this.options.limits);
    const control = new AccessControl(
      {
        readers: access,
        maxConsumers: limitsConfig.maxConsumers,
        internal: (client) => this.internal.has(client.conn as Duplex),
        consumers: logins.consumers,
        gateway,
        topicBase: this.options.topicBase,
        ...(this.options.gatewayClientId !== undefined
          ? { gatewayClientId: this.options.gatewayClientId }
          : {}),
        ...(this.options.readPoints ? { readPoints: this.options.readPoints } : {}),
      },
      { failedLogin: () => this.countFailedLogin(), refusal: (reason) => this.countRefusal(reason) },
      this.log,
    );
    const limits = new ResourceLimits(limitsConfig, (r) => this.countRefusal(r), this.log);
    const aedes = await Aedes.createBroker(
      limits.options(control.hooks(), (client) => control.isGateway(client)),
    );
    control.install(aedes);
    aedes.on('client', (client) => {
      if (this.internal.has(client.conn as Duplex)) this.internalClients.add(client);
      this.log.debug({ clientId: client.id }, 'broker client connected');
    });
    aedes.on('clientDisconnect', (client) => {
      this.internalClients.delete(client);
      this.log.debug({ clientId: client.id }, 'broker client disconnected');
    });
    aedes.on('clientError', (client, err) =>
      this.log.debug({ clientId: client.id, err: err.message }, 'broker client error'),
    );
    aedes.on('connectionError', (client, err) =>
      this.log.debug({ clientId: client?.id, err: err.message }, 'broker connection error'),
    );

    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      if (!limits.admit(socket)) return;
      aedes.handle(socket);
      limits.guard(socket);
    });
    limits.install(aedes, server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.options.port, this.options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      control.close();
      throw new Error(
        `broker cannot listen on ${this.options.host}:${this.options.port}: ${(err as Error).message}`,
      );
    }
    server.on('error', (err) => this.log.error({ err: err.message }, 'broker server error'));
    this.aedes = aedes;
    this.access = access;
    this.control = control;
    this.gateway = gateway;
    this.server = server;
    this.limits = limits;
    const { host, port } = this.address();
    this.log.info(
      {
        host,
        port,
        consumers: logins.consumers.passwords.size,
        anonymous: control.anonymous,
        readers: readers.length,
      },
      'broker listening',
    );
  }

  /** Closes every client and the listener; resolves once the port is free. */
  async stop(): Promise<void> {
    const { server, aedes, control } = this;
    this.server = undefined;
    this.aedes = undefined;
    this.access = undefined;
    this.limits?.close();
    this.limits = undefined;
    this.control = undefined;
    this.gateway = undefined;
    if (!server || !aedes) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    // Sockets that never finished CONNECT are not aedes clients; they would hold the server open.
    for (const socket of this.sockets) socket.destroy();
    for (const stream of this.internal) stream.destroy();
    this.internalClients.clear();
    await closed;
    control?.close();
    this.log.info('broker stopped');
  }

  /** The bound address; the real port when started with port 0. */
  address(): { host: string; port: number } {
    const bound = this.server?.address() as AddressInfo | null | undefined;
    if (!bound) throw new Error('broker is not listening');
    return { host: this.options.host, port: bound.port };
  }

  /** Counts a refused connection, packet, subscription or publish under its reason (health's `refused`). */
  countRefusal(reason: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
  }

  /** Counts a refused login (health's `failedLogins`). */
  countFailedLogin(): void {
    this.failedLogins++;
  }

  /** The broker in a health report; undefined when it is not listening. */
  health(): BrokerHealth | undefined {
    if (!this.server?.listening) return undefined;
    const { host, port } = this.address();
    return {
      host,
      port,
      anonymous: this.control?.anonymous ?? false,
      clients: this.clients(),
      failedLogins: this.failedLogins,
      refused: Object.fromEntries([...this.refused].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  /** MQTT clients logged in over the network: the gateway's own in-process session is not one of them. */
  clients(): number {
    return Math.max(0, (this.aedes?.connectedClients ?? 0) - this.internalClients.size);
  }

  /**
   * A fresh in-process connection for the gateway's own session (one per connection attempt):
   * the broker serves one end, the caller's MQTT client speaks over the other, which it logs in
   * on with `gatewayLogin()`. It never touches the listener, so sockets on the network (idle ones
   * holding the pending slots, a full `maxConnections`) cannot keep the gateway from its broker.
   * The packet guard is left out: every byte on it comes from this process. Closed when the
   * session ends and when the broker stops.
   */
  gatewayStream(): Duplex {
    const aedes = this.aedes;
    if (!aedes) throw new Error('the embedded broker is not running');
    const [gatewayEnd, brokerEnd] = duplexPair();
    this.internal.add(brokerEnd);
    brokerEnd.once('close', () => this.internal.delete(brokerEnd));
    aedes.handle(brokerEnd);
    return gatewayEnd;
  }

  /**
   * The gateway's own login for this run, for its uplink session: made at start, in memory only.
   * Only this login may publish under the gateway's topics.
   */
  gatewayLogin(): { readonly username: string; readonly password: string } {
    if (!this.gateway) throw new Error('the embedded broker is not running');
    return this.gateway;
  }

  /** Reads and checks new reader and consumer logins (a reload's first step); changes nothing. */
  prepareLogins(
    readers: readonly ReaderLogin[],
    consumers: Pick<BrokerOptions, 'username' | 'password' | 'consumers' | 'allowAnonymous'>,
  ): Promise<PreparedBrokerLogins> {
    return this.prepare(readers, consumers);
  }

  /** What `prepared` would change: the readers whose login changes, and the consumers (`anonymous` for anonymous access). */
  loginChanges(prepared: PreparedBrokerLogins): { readers: string[]; consumers: string[] } {
    const { access, control } = this;
    if (!access || !control) return { readers: [], consumers: [] };
    return {
      readers: access.changes(prepared.readers),
      consumers: consumerChanges(control.currentConsumers(), prepared.consumers),
    };
  }

  /** Swaps in prepared logins; sessions under changed ones are closed. Returns the readers whose login changed. */
  replaceLogins(prepared: PreparedBrokerLogins): string[] {
    const { access, control } = this;
    if (!access || !control) throw new Error('the embedded broker is not running');
    const consumers = consumerChanges(control.currentConsumers(), prepared.consumers);
    if (consumers.length > 0) {
      control.replaceConsumers(prepared.consumers, consumers);
      this.log.info({ consumers }, 'broker consumer logins replaced');
    }
    const readers = access.replace(prepared.readers);
    for (const id of readers) control.releaseReader(id);
    return readers;
  }

  private async prepare(
    readers: readonly ReaderLogin[],
    o: Pick<BrokerOptions, 'username' | 'password' | 'consumers' | 'allowAnonymous'>,
  ): Promise<PreparedBrokerLogins> {
    const logins = consumerLogins(o);
    // A username used by both a reader and a consumer is reported on the reader.
    const readerLogins = await ReaderAccess.prepare(readers, new Set(logins.map((c) => c.username)));
    return {
      readers: readerLogins,
      consumers: await prepareConsumers(logins, anonymousAllowed(o), new Set()),
    };
  }

  /** A reader's driver takes its messages and connection state from here (see reader-access.ts). */
  attachReader(readerId: string, intake: ReaderIntake): ReaderAttachment {
    if (!this.access) throw new Error(`the embedded broker is not running with reader ${readerId}'s login`);
    return this.access.attachReader(readerId, intake);
  }
}
