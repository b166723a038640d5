/**
 * The embedded MQTT broker (aedes) that serves the floor: local consumers, network readers that
 * publish over MQTT, and the uplink's default upstream when no central broker is configured.
 * In-memory only: durability lives in the outbox, not here.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError } from 'aedes';
import { type BrokerLimitsConfig, brokerLimits } from '../../config/broker-limits.js';
import type { BrokerHealth } from '../contract/topics.js';
import type { Logger } from '../log.js';
import {
  type PreparedLogins,
  ReaderAccess,
  type ReaderAttachment,
  type ReaderIntake,
  type ReaderLogin,
  type ReaderPort,
  sameSecret,
} from './reader-access.js';
import { ResourceLimits } from './resource-limits.js';

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port; address() tells which. */
  port: number;
  /** When both are set, every client must present them. */
  username?: string;
  password?: string;
  /**
   * Network readers that publish into this broker (readerLogins() of the config): each logs in
   * with its own credentials and may publish only to its own topic. None: the broker is as before.
   */
  readers?: readonly ReaderLogin[];
  /** Packet size, connections, retained messages, publish rate (resource-limits.ts); absent: the defaults. */
  limits?: Partial<BrokerLimitsConfig>;
}

/** MQTT 3.1.1 CONNACK return code 4: bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;

export class EmbeddedBroker implements ReaderPort {
  private aedes: Aedes | undefined;
  private access: ReaderAccess | undefined;
  private server: Server | undefined;
  private limits: ResourceLimits | undefined;
  private readonly sockets = new Set<Socket>();
  private failedLogins = 0;
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly options: BrokerOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.server) throw new Error('broker already started');
    const { username, password, readers = [] } = this.options;
    const floor: AedesOptions['authenticate'] =
      username !== undefined || password !== undefined
        ? (client, user, pass, done) => {
            if (sameSecret(user, username) && sameSecret(pass?.toString('utf8'), password)) {
              done(null, true);
              return;
            }
            this.countFailedLogin();
            this.log.warn({ clientId: client.id }, 'broker refused a client: bad username or password');
            const err = new Error('bad username or password') as AuthenticateError;
            err.returnCode = BAD_USERNAME_OR_PASSWORD;
            done(err, false);
          }
        : undefined;
    // The reader hooks are installed even with no reader: a reload may add one. With none, they
    // judge every client as the floor credentials (or nothing) would, and let every topic through.
    const access = await ReaderAccess.create(readers, username, floor, this.log);
    const limits = new ResourceLimits(
      brokerLimits(this.options.limits),
      (r) => this.countRefusal(r),
      this.log,
    );
    const aedes = await Aedes.createBroker(limits.options(access.hooks()));
    access.install(aedes);
    aedes.on('client', (client) => this.log.debug({ clientId: client.id }, 'broker client connected'));
    aedes.on('clientDisconnect', (client) =>
      this.log.debug({ clientId: client.id }, 'broker client disconnected'),
    );
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
      throw new Error(
        `broker cannot listen on ${this.options.host}:${this.options.port}: ${(err as Error).message}`,
      );
    }
    server.on('error', (err) => this.log.error({ err: err.message }, 'broker server error'));
    this.aedes = aedes;
    this.access = access;
    this.server = server;
    this.limits = limits;
    const { host, port } = this.address();
    this.log.info({ host, port, auth: username !== undefined, readers: readers.length }, 'broker listening');
  }

  /** Closes every client and the listener; resolves once the port is free. */
  async stop(): Promise<void> {
    const { server, aedes } = this;
    this.server = undefined;
    this.aedes = undefined;
    this.access = undefined;
    this.limits?.close();
    this.limits = undefined;
    if (!server || !aedes) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    // Sockets that never finished CONNECT are not aedes clients; they would hold the server open.
    for (const socket of this.sockets) socket.destroy();
    await closed;
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
      anonymous: this.options.username === undefined,
      clients: this.clients(),
      failedLogins: this.failedLogins,
      refused: Object.fromEntries([...this.refused].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  /** Connected MQTT clients. */
  clients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  /** Reads and checks new reader logins (a reload's first step); changes nothing. */
  prepareReaders(logins: readonly ReaderLogin[]): Promise<PreparedLogins> {
    return ReaderAccess.prepare(logins, this.options.username);
  }

  /** The readers whose login `prepared` would add, remove or change. */
  readerLoginChanges(prepared: PreparedLogins): string[] {
    return this.access?.changes(prepared) ?? [];
  }

  /** Swaps in prepared logins; sessions under changed ones are closed (reader-access.ts). */
  replaceReaders(prepared: PreparedLogins): string[] {
    if (!this.access) throw new Error('the embedded broker is not running');
    return this.access.replace(prepared);
  }

  /** A reader's driver takes its messages and connection state from here (see reader-access.ts). */
  attachReader(readerId: string, intake: ReaderIntake): ReaderAttachment {
    if (!this.access) throw new Error(`the embedded broker is not running with reader ${readerId}'s login`);
    return this.access.attachReader(readerId, intake);
  }
}
