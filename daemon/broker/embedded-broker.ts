/**
 * The embedded MQTT broker (aedes) that serves the floor: local consumers, network readers that
 * publish over MQTT, and the uplink's default upstream when no central broker is configured.
 * In-memory only: durability lives in the outbox, not here.
 */
import { timingSafeEqual } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import type { Logger } from '../log.js';

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port; address() tells which. */
  port: number;
  /** When both are set, every client must present them. */
  username?: string;
  password?: string;
}

/** MQTT 3.1.1 CONNACK return code 4: bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;

export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly options: BrokerOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.server) throw new Error('broker already started');
    const { username, password } = this.options;
    const aedes = await Aedes.createBroker(
      username !== undefined || password !== undefined
        ? {
            authenticate: (client, user, pass, done) => {
              if (sameSecret(user, username) && sameSecret(pass?.toString('utf8'), password)) {
                done(null, true);
                return;
              }
              this.log.warn({ clientId: client.id }, 'broker refused a client: bad username or password');
              const err = new Error('bad username or password') as AuthenticateError;
              err.returnCode = BAD_USERNAME_OR_PASSWORD;
              done(err, false);
            },
          }
        : {},
    );
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
      aedes.handle(socket);
    });
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
    this.server = server;
    const { host, port } = this.address();
    this.log.info({ host, port, auth: username !== undefined }, 'broker listening');
  }

  /** Closes every client and the listener; resolves once the port is free. */
  async stop(): Promise<void> {
    const { server, aedes } = this;
    this.server = undefined;
    this.aedes = undefined;
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

  /** Connected MQTT clients. */
  clients(): number {
    return this.aedes?.connectedClients ?? 0;
  }
}

/** Constant-time comparison, so the time to refuse does not reveal how much of a secret matched. */
function sameSecret(given: string | undefined, expected: string | undefined): boolean {
  if (expected === undefined) return given === undefined;
  const a = Buffer.from(given ?? '', 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Compare equal lengths always; a length mismatch still costs one full comparison.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length && given !== undefined;
}
