/**
 * The uplink over MQTT.js v5 (see uplink.ts for the contract).
 *
 * One retransmission path, ours: each connection gets a fresh mqtt.js client with
 * `reconnectPeriod: 0` and a clean session, so mqtt.js never resends its own outgoing store
 * behind our back. When a connection dies every pending publish rejects with
 * `UplinkDisconnectedError`, the client is thrown away, and the caller (the dispatcher)
 * republishes from the outbox after the next `up`.
 *
 * Dead-link detection: a LinkWatchdog per connection (link-watchdog.ts) pings after keepaliveS/4
 * of silence from the broker and drops the connection after keepaliveS of silence with a PINGREQ
 * unanswered: a black-holed link (no FIN, no RST) is noticed within 1.25 x keepaliveS of the
 * broker's last packet. mqtt.js's own keepalive (1.5 x from the last packet, which can land just
 * past 1.5 x from the stall) stays armed behind it.
 *
 * Nodes: with several broker URLs (the nodes of one cluster) the first attempt goes to the node
 * the client id hashes to, and each attempt after to the next node (broker-node.ts); a killed
 * node resets or closes its sockets, so the loss is seen at once and the next attempt, after the
 * first backoff step, goes to another node. Between long backoff waits a
 * TCP probe (node-probe.ts) notices a broker that is back, so the gateway resumes within a probe
 * interval of its return rather than at the end of a wait of up to retry.maxMs.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { Backoff } from '../backoff.js';
import type { Logger } from '../log.js';
import { BrokerNodes, firstNode } from './broker-node.js';
import { clientOptions, passwordIn, readTlsFiles, type TlsFiles } from './client-options.js';
import { gatherWrites } from './gathered-writes.js';
import { type LinkWatchdog, watchLink } from './link-watchdog.js';
import { ReturnProbe } from './node-probe.js';
import { PendingPublishes } from './pending-publishes.js';
import { redactSecrets } from './redact.js';
import {
  type InboundSink,
  type Uplink,
  UplinkClosedError,
  UplinkDisconnectedError,
  type UplinkState,
  type UplinkStatus,
  type UplinkSubscription,
} from './uplink.js';
import { UplinkListener } from './uplink-listener.js';
import { type StreamOpener, upstreamClient } from './upstream-client.js';

export interface UplinkOptions {
  /** The broker's URL; with `stream`, only named in logs and status. */
  url: string;
  /**
   * The nodes of one clustered broker, tried in turn (`url` first); absent for one broker. Every
   * node takes the same login and TLS files.
   */
  nodes?: readonly string[];
  /** An in-process connection per attempt (the embedded broker's) instead of a socket to `url`. */
  stream?: StreamOpener;
  clientId: string;
  username?: string;
  password?: string;
  /** PEM file paths, read at start(); an unreadable file makes start() throw. */
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  keepaliveS: number;
  /** Publishes awaiting PUBACK at most. */
  inflight: number;
  retry: { minMs: number; maxMs: number };
  /** Retained `online` on connect; retained `offline` on stop and as the last will. */
  statusTopic: string;
  /** MQTT 3.1.1 (4, the default) or 5. */
  protocolVersion?: 4 | 5;
  /** The largest message taken from the broker, bytes; under MQTT 5 told to it in CONNECT. */
  maxInboundBytes?: number;
}

/** The options of every event publish (one object: mqtt.js copies what it needs). */
const EVENT_PUBLISH = { qos: 1, retain: false } as const;
/** Room beyond a message's payload in its PUBLISH packet: the topic and the MQTT 5 properties. */
const PACKET_HEADROOM = 64 * 1024;
/** The protocol's largest packet (Remaining Length of 4 bytes, plus the fixed header). */
const MQTT_MAX_PACKET = 268_435_460;
/** How long one connection attempt may take (TCP + TLS + CONNACK). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Probes run while a backoff wait is longer than twice this, spaced by this to twice this, so a
 * gateway is back within about 2 x PROBE_MS of its broker's return and a fleet's attempts spread
 * over PROBE_MS.
 */
const PROBE_MS = 1_500;
/** A probe's TCP handshake gets this long; a node that says nothing counts as not there. */
const PROBE_TIMEOUT_MS = 1_000;
/** How long stop() waits for the broker to acknowledge the `offline` status. */
const STOP_STATUS_MS = 2_000;
/** How long stop() waits for a clean DISCONNECT before dropping the socket. */
const STOP_END_MS = 1_000;

export class MqttUplink extends EventEmitter implements Uplink {
  private client: MqttClient | undefined;
  private state: UplinkState = 'disconnected';
  private started = false;
  private tls: TlsFiles = {};
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly pending = new PendingPublishes();
  private connects = 0;
  private lastError: string | undefined;
  private rttMs: number | undefined;
  private firstAttempt: (() => void) | undefined;
  private watchdog: LinkWatchdog | undefined;
  private readonly nodes: BrokerNodes;
  private readonly probe: ReturnProbe;
  /** The current attempt opened a socket: the broker host answered, so no probe can tell more. */
  private reached = false;
  private readonly listener: UplinkListener;

  constructor(
    private readonly options: UplinkOptions,
    private readonly log: Logger,
  ) {
    super();
    this.backoff = new Backoff(options.retry);
    const urls = options.nodes ?? [options.url];
    this.nodes = new BrokerNodes(urls, firstNode(options.clientId, urls.length));
    this.probe = new ReturnProbe(this.nodes, PROBE_MS, PROBE_TIMEOUT_MS, (node) => this.onProbed(node));
    this.listener = new UplinkListener(log, options.maxInboundBytes);
  }

  /** Resolves after the first connection attempt, connected or not; throws only on unreadable TLS files. */
  async start(): Promise<void> {
    if (this.started || this.state === 'stopped') throw new Error('uplink already started or stopped');
    this.started = true;
    this.tls = await readTlsFiles(this.options);
    const attempted = new Promise<void>((resolve) => {
      this.firstAttempt = resolve;
    });
    this.connect();
    await attempted;
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopped');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.probe.stop();
    this.watchdog?.stop();
    this.watchdog = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.listener.detach(client);
      client.removeAllListeners('connect');
      client.removeAllListeners('close');
      client.removeAllListeners('error');
      client.on('error', () => {});
      const clean = client.connected && (await this.sayOffline(client)) && this.pending.size === 0;
      this.rejectAll(new UplinkClosedError('uplink stopped'));
      await this.end(client, clean);
    }
    this.rejectAll(new UplinkClosedError('uplink stopped'));
    this.firstAttempt?.();
    this.log.info('uplink stopped');
  }

  publish(topic: string, payload: string | Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.send(topic, payload, (err) => (err ? reject(err) : resolve())),
    );
  }

  /**
   * publish() with a callback instead of a promise (the threaded uplink's thread sends many):
   * `settled` is called once, with the error publish() would reject with, at once where it
   * would reject at once.
   */
  send(topic: string, payload: string | Buffer, settled: (err?: Error) => void): void {
    const client = this.client;
    let refused: Error | undefined;
    if (this.state === 'stopped') refused = new UplinkClosedError('uplink stopped');
    else if (this.state !== 'connected' || !client?.connected)
      refused = new UplinkDisconnectedError(`uplink is ${this.state}`);
    // Callers are meant to check canPublish(); refusing keeps packet ids and memory bounded.
    else if (this.pending.size >= this.options.inflight)
      refused = new Error(`uplink in-flight window full (${this.options.inflight})`);
    if (refused || !client) {
      settled(refused ?? new UplinkDisconnectedError(`uplink is ${this.state}`));
      return;
    }
    const ticket = this.pending.add(settled, performance.now());
    client.publish(topic, payload, EVENT_PUBLISH, (err) => {
      const sentAt = this.pending.sentAtOf(ticket);
      const done = this.pending.take(ticket);
      if (!done) return; // already rejected with the connection
      if (err) {
        // mqtt.js fails a QoS 1 callback only as the link goes ('Connection closed', on a
        // keepalive timeout even before it emits 'close'): the caller republishes after `up`.
        done(new UplinkDisconnectedError(`connection lost: ${err.message}`));
        return;
      }
      this.rttMs = performance.now() - sentAt;
      done();
    });
  }

  publishStatus(topic: string, payload: string | Buffer, retain = false): void {
    const client = this.client;
    if (this.state !== 'connected' || !client?.connected) return;
    client.publish(topic, payload, { qos: 0, retain }, (err) => {
      if (err) this.log.debug({ topic, err: err.message }, 'status message not sent');
    });
  }

  canPublish(): boolean {
    return this.state === 'connected' && this.pending.size < this.options.inflight;
  }

  listen(subscriptions: readonly UplinkSubscription[], sink: InboundSink): void {
    this.listener.set(subscriptions, sink);
  }

  reply(topic: string, payload: string, correlationData?: Buffer): boolean {
    const client = this.client;
    if (this.state !== 'connected' || !client?.connected) return false;
    const v5 = this.options.protocolVersion === 5 && correlationData !== undefined;
    client.publish(
      topic,
      payload,
      { qos: 1, retain: false, ...(v5 ? { properties: { correlationData } } : {}) },
      (err) => {
        if (err) this.log.debug({ topic, err: err.message }, 'reply not acknowledged');
      },
    );
    return true;
  }

  status(): UplinkStatus {
    return {
      state: this.state,
      url: this.nodes.shown(),
      ...(this.nodes.count > 1 ? { node: this.nodes.index, nodeSwitches: this.nodes.switches } : {}),
      connects: this.connects,
      inflight: this.pending.size,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.rttMs !== undefined ? { rttMs: Math.round(this.rttMs * 100) / 100 } : {}),
    };
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    this.probe.stop();
    if (this.state === 'stopped') return;
    const node = this.nodes.take();
    this.setState('connecting');
    const { options } = this;
    const client = upstreamClient(
      this.nodes.url(node),
      options.stream,
      clientOptions(
        {
          clientId: options.clientId,
          ...(options.username !== undefined ? { username: options.username } : {}),
          ...(options.password !== undefined ? { password: options.password } : {}),
          rejectUnauthorized: options.rejectUnauthorized,
          keepaliveS: options.keepaliveS,
          statusTopic: options.statusTopic,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          protocolVersion: options.protocolVersion ?? 4,
          ...(options.maxInboundBytes !== undefined
            ? { maxPacketBytes: Math.min(MQTT_MAX_PACKET, options.maxInboundBytes + PACKET_HEADROOM) }
            : {}),
        },
        this.tls,
      ),
    );
    this.client = client;
    this.reached = options.stream !== undefined; // in process: nothing between the two
    client.stream?.once?.('connect', () => {
      this.reached = true;
    });
    // Small PUBLISHes and a window of acknowledgements: Nagle plus delayed ACKs would cost ~40 ms
    // stalls and a tenfold drop in rate on some runs (measured against Mosquitto). An in-process
    // stream has no such setting.
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    if (client.stream instanceof Socket) gatherWrites(client.stream);
    client.on('connect', () => this.onConnect(client));
    // Every error mqtt.js emits ends the connection (stream, TLS, CONNACK refusal, keepalive).
    client.on('error', (err) => this.onLost(client, err));
    client.on('close', () => this.onLost(client));
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client) return;
    this.connects++;
    this.backoff.reset();
    this.watchdog = watchLink(client, this.options.keepaliveS, (err) => this.onLost(client, err));
    const from = this.nodes.previous;
    const switched = this.nodes.connected();
    this.setState('connected');
    const url = this.nodes.shown();
    const node = this.nodes.count > 1 ? { node: this.nodes.index } : {};
    this.log.info({ url, ...node, connects: this.connects }, 'uplink connected');
    if (switched && from !== undefined)
      this.log.warn(
        {
          url,
          node: this.nodes.index,
          from: this.nodes.shown(from),
          fromNode: from,
          switches: this.nodes.switches,
        },
        'uplink switched to another broker node',
      );
    // Every connection, not only the first: each is one a third party could have answered.
    if (!this.options.rejectUnauthorized && /^(mqtts|ssl):/i.test(this.nodes.url()))
      this.log.warn(
        { url, connects: this.connects, warning: 'uplink.rejectUnauthorized' },
        "uplink connected without verifying the broker's certificate (uplink.rejectUnauthorized: false)",
      );
    client.publish(this.options.statusTopic, 'online', { qos: 1, retain: true }, (err) => {
      if (err) this.log.debug({ err: err.message }, 'online status not acknowledged');
    });
    this.listener.attach(client);
    this.settleFirstAttempt();
    this.emit('up');
  }

  private onLost(client: MqttClient, err?: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.listener.detach(client);
    this.watchdog?.stop();
    this.watchdog = undefined;
    const wasConnected = this.state === 'connected';
    if (err) this.lastError = this.describe(err);
    else if (wasConnected) this.lastError = 'connection closed by the broker or the network';
    else if (this.reached)
      // mqtt.js reports this as a plain close: say what it was, or the log line has no reason.
      this.lastError =
        'the broker closed the connection before CONNACK (a broker may close instead of refusing ' +
        "a login, a client id or the protocol version: the broker's log says which)";
    else this.lastError = 'connection closed before it was open';
    client.removeAllListeners('connect');
    client.removeAllListeners('close');
    client.removeAllListeners('error');
    client.on('error', () => {});
    this.rejectAll(
      new UplinkDisconnectedError(`connection lost${this.lastError ? `: ${this.lastError}` : ''}`),
    );
    client.end(true); // fails mqtt.js's own callbacks too; ours are settled already
    this.setState('disconnected');
    const delayMs = this.backoff.next();
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
    this.reconnectTimer.unref();
    // A broker that answered and refused (a login, a close before CONNACK) gets no probes, only
    // the backoff: a probe would find it there and bring the next refusal forward.
    const refused = this.reached && !wasConnected;
    if (!refused && !this.options.stream && delayMs > 2 * PROBE_MS) this.probe.start();
    const node = this.nodes.count > 1 ? { node: this.nodes.index } : {};
    const fields = { url: this.nodes.shown(), ...node, lastError: this.lastError, retryInMs: delayMs };
    if (wasConnected) this.log.warn(fields, 'uplink connection lost');
    else this.log.warn(fields, 'uplink cannot connect');
    this.settleFirstAttempt();
    if (wasConnected) this.emit('down');
  }

  /** A probe found the broker back during a long wait: the wait ends here. */
  private onProbed(node: number): void {
    if (this.state !== 'disconnected') return;
    clearTimeout(this.reconnectTimer);
    const fields =
      this.nodes.count > 1 ? { url: this.nodes.shown(node), node } : { url: this.nodes.shown(node) };
    this.log.info(fields, 'uplink probe reached the broker; connecting now');
    this.connect();
  }

  /** A short, secret-free reason, with a hint for the failures an operator can fix. */
  private describe(err: Error): string {
    const code = (err as { code?: unknown }).code;
    let text = err.message;
    if (code === 4 || code === 5 || code === 134 || code === 135) {
      text += ' (not-authorized: check uplink.username / uplink.password)';
    } else if (code === 1 || code === 132) {
      text += ` (the broker does not take MQTT ${this.options.protocolVersion === 5 ? '5' : '3.1.1'}: check uplink.protocolVersion)`;
    } else if (typeof code === 'string' && !text.includes(code)) {
      text += ` (${code})`;
    }
    const inUrls = (this.options.nodes ?? [this.options.url]).map(passwordIn);
    return redactSecrets(text, [this.options.password, ...inUrls]);
  }

  /** Publishes the retained `offline`; true once the broker acknowledged it (bounded). */
  private sayOffline(client: MqttClient): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (acked: boolean) => {
        clearTimeout(timer);
        client.off('close', lost);
        resolve(acked);
      };
      const lost = () => done(false);
      const timer = setTimeout(lost, STOP_STATUS_MS);
      client.once('close', lost);
      client.publish(this.options.statusTopic, 'offline', { qos: 1, retain: true }, (err) => done(!err));
    });
  }

  /**
   * Ends with a DISCONNECT (the broker then discards the last will), bounded. With publishes still
   * unacknowledged mqtt.js would wait for them, so the socket is dropped instead: the will says
   * `offline` just the same.
   */
  private async end(client: MqttClient, clean: boolean): Promise<void> {
    if (!clean || !client.connected) {
      client.end(true);
      return;
    }
    const ended = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), STOP_END_MS);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    // end(true) is a no-op while mqtt.js is already disconnecting, so drop the socket directly.
    if (!ended) client.stream?.destroy();
  }

  private rejectAll(err: Error): void {
    for (const settled of this.pending.takeAll()) settled(err);
  }

  private settleFirstAttempt(): void {
    const settle = this.firstAttempt;
    this.firstAttempt = undefined;
    settle?.();
  }

  private setState(state: UplinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', this.status());
  }
}
