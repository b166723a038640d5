/**
 * The embedded broker's resource limits in one place (config: broker.limits): packet size
 * (packet-guard.ts), connections (connection-cap.ts), retained messages (retained-store.ts) and
 * each client's publish rate (publish-rate.ts). Every refusal is counted under its reason in
 * health's `broker.refused` and logged through a repeat limiter, so a flood costs one line a
 * minute per reason, with the count.
 */
import type { Server, Socket } from 'node:net';
import type { Aedes, AedesOptions, Client } from 'aedes';
import type { BrokerLimitsConfig } from '../../config/broker-limits.js';
import type { Logger } from '../log.js';
import { RepeatLimiter } from '../log-limit.js';
import { ConnectionCap } from './connection-cap.js';
import { guardPacketSize } from './packet-guard.js';
import { PublishRate } from './publish-rate.js';
import { capRetained, RetainedBudget, type RetainedStore } from './retained-store.js';

/** Health's `broker.refused` keys of these limits. */
export type LimitRefusal =
  | 'connections'
  | 'pending-connections'
  | 'packet-size'
  | 'retained'
  | 'publish-rate';

export class ResourceLimits {
  private readonly cap: ConnectionCap;
  private readonly rate: PublishRate<Client>;
  private readonly retained: RetainedBudget;
  private readonly lines: RepeatLimiter;

  constructor(
    private readonly limits: BrokerLimitsConfig,
    private readonly count: (reason: LimitRefusal) => void,
    log: Logger,
  ) {
    this.cap = new ConnectionCap(limits);
    this.rate = new PublishRate(limits);
    this.retained = new RetainedBudget(limits);
    this.lines = new RepeatLimiter(log);
  }

  /**
   * The aedes options: the connect timeout, and the publish rate in front of `authorizePublish`
   * for every client but those `unpaced` names (the gateway's own session).
   */
  options<O extends Pick<AedesOptions, 'authorizePublish'>>(
    hooks: O,
    unpaced: (client: Client) => boolean = () => false,
  ): O & AedesOptions {
    const inner = hooks.authorizePublish;
    return {
      ...hooks,
      connectTimeout: this.limits.connectTimeoutS * 1000,
      authorizePublish: (client, packet, done) => {
        const go = () => (inner ? inner(client, packet, done) : done(null));
        if (!client || unpaced(client)) return go(); // the broker's own messages, the gateway's
        // A publish that waited for its turn is dropped once its client is gone (refused as too
        // fast, or disconnected): it was never acknowledged, aedes handles nothing else of a closed
        // client, and a reader sends it again after reconnecting. Only the client's last will
        // comes after it closed, and goes on.
        const will = client.closed;
        this.rate.pace(
          client,
          () => (client.closed && !will ? done(new Error('the client is gone')) : go()),
          () => {
            this.refuse(
              'publish-rate',
              { clientId: client.id, publishRate: this.limits.publishRate },
              'a client publishes far faster than broker.limits.publishRate; disconnected',
            );
            done(new Error(`publishing faster than ${this.limits.publishRate} messages a second`));
          },
          // Not a refusal (nothing is lost), but an operator should know a reader is held back.
          () =>
            this.lines.log(
              'publish-slowed',
              'warn',
              { clientId: client.id, publishRate: this.limits.publishRate },
              'a client publishes faster than broker.limits.publishRate; its publishes are slowed down',
            ),
        );
      },
    };
  }

  /** Installs the connection cap on the listener and the retained budget on the store. */
  install(aedes: Aedes, server: Server): void {
    this.cap.install(server, (address) =>
      this.refuse(
        'connections',
        { address, maxConnections: this.limits.maxConnections },
        'broker connection refused: broker.limits.maxConnections reached',
      ),
    );
    aedes.on('client', (client) => this.cap.loggedIn(client.conn as Socket));
    capRetained((aedes as unknown as { persistence: RetainedStore }).persistence, this.retained, (r) =>
      this.refuse(
        'retained',
        { topic: r.topic, bytes: r.bytes, limit: r.limit },
        `retained message not kept: broker.limits.${r.limit} reached`,
      ),
    );
  }

  /** A socket just accepted: false (and it is closed) when it may not stay. */
  admit(socket: Socket): boolean {
    const refusal = this.cap.admit(socket);
    if (refusal === undefined) return true;
    this.refuse(
      refusal,
      {
        address: socket.remoteAddress,
        maxPendingConnections: this.limits.maxPendingConnections,
        maxPendingPerAddress: this.limits.maxPendingPerAddress,
      },
      'broker connection refused: too many connections that have not logged in',
    );
    socket.destroy();
    return false;
  }

  /** Watches the packets the broker reads from `socket` (call once aedes handles it). */
  guard(socket: Socket): void {
    guardPacketSize(socket, this.limits.maxPacketBytes, (announced) =>
      this.refuse(
        'packet-size',
        { address: socket.remoteAddress, announced, maxPacketBytes: this.limits.maxPacketBytes },
        'broker closed a connection: a packet larger than broker.limits.maxPacketBytes',
      ),
    );
  }

  close(): void {
    this.lines.close();
  }

  private refuse(reason: LimitRefusal, fields: object, msg: string): void {
    this.count(reason);
    this.lines.log(reason, 'warn', { reason, ...fields }, msg);
  }
}
