/**
 * The way out of the outbox: the MQTT uplink, the dispatcher that feeds it and the overflow
 * notices, built from the config and started and stopped together, so a live reload can
 * reconnect to a changed upstream without touching the outbox.
 *
 * Contract: `stop()` stops taking events, waits (bounded) for the PUBACKs in flight and closes
 * the connection; events not acknowledged stay in the outbox. The next stage must be started
 * only after `outbox.rewind()`, so those events are sent again.
 *
 * The inbound link (messages from upstream, replies) is the gateway's, not the stage's: each
 * stage built with it attaches its uplink to it, so subscriptions carry over a swap.
 */
import { brokerNodes } from '../config/broker-nodes.js';
import type { Config } from '../config/schema.js';
import type { EmbeddedBroker } from './broker/embedded-broker.js';
import type { Topics } from './contract/topics.js';
import { Dispatcher } from './dispatcher.js';
import type { Logger } from './log.js';
import type { LevelOutbox } from './outbox/level-outbox.js';
import { OverflowNotifier } from './outbox/overflow-notices.js';
import type { InboundStats } from './uplink/inbound-link.js';
import { InboundLink } from './uplink/inbound-link.js';
import { MqttUplink, type UplinkOptions } from './uplink/mqtt-uplink.js';
import { ThreadedUplink } from './uplink/threaded-uplink.js';
import type { Uplink } from './uplink/uplink.js';
import type { StreamOpener } from './uplink/upstream-client.js';

/** The uplink's MQTT client id: `uplink.clientId`, or one made of the site and the gateway id. */
export function uplinkClientId(config: Config): string {
  return config.uplink.clientId ?? `readpoint-${config.gateway.site}-${config.gateway.id}`;
}

/** Where the uplink connects: the configured broker, or the embedded one. */
export interface Upstream {
  /** The broker's URL (with `stream`, named in logs and status only). */
  readonly url: string;
  /** Every node of a clustered broker, `url` first; absent for a single broker. */
  readonly nodes?: readonly string[];
  /** The embedded broker's in-process connection, opened afresh for each attempt. */
  readonly stream?: StreamOpener;
  readonly username?: string;
  readonly password?: string;
}

export class UplinkStage {
  readonly uplink: Uplink;
  readonly dispatcher: Dispatcher;
  private readonly notices: OverflowNotifier;
  private started = false;
  /** Messages from upstream and replies, on this stage's uplink (and the next one's after a swap). */
  readonly inbound: InboundLink;

  constructor(
    config: Config,
    upstream: Upstream,
    outbox: LevelOutbox,
    topics: Topics,
    log: Logger,
    inbound?: InboundLink,
  ) {
    const up = config.uplink;
    const options: UplinkOptions = {
      url: upstream.url,
      ...(upstream.nodes ? { nodes: upstream.nodes } : {}),
      ...(upstream.stream ? { stream: upstream.stream } : {}),
      clientId: uplinkClientId(config),
      ...(upstream.username ? { username: upstream.username } : {}),
      ...(upstream.password ? { password: upstream.password } : {}),
      ...(up.ca ? { ca: up.ca } : {}),
      ...(up.cert ? { cert: up.cert } : {}),
      ...(up.key ? { key: up.key } : {}),
      rejectUnauthorized: up.rejectUnauthorized,
      keepaliveS: up.keepaliveS,
      // One slot beyond the dispatcher's window, for the overflow notice in flight.
      inflight: up.inflight + 1,
      retry: up.retry,
      statusTopic: topics.status,
      protocolVersion: up.protocolVersion,
      maxInboundBytes: up.maxInboundBytes,
    };
    const uplinkLog = log.child({ component: 'uplink' });
    // The embedded broker's in-process connection cannot cross to a thread.
    this.uplink =
      up.thread && !upstream.stream
        ? new ThreadedUplink(options, uplinkLog)
        : new MqttUplink(options, uplinkLog);
    this.inbound = inbound ?? new InboundLink(topics, log.child({ component: 'inbound' }));
    this.inbound.attach(this.uplink);
    this.dispatcher = new Dispatcher(outbox, this.uplink, log.child({ component: 'dispatcher' }), {
      window: up.inflight,
      liveShare: up.liveShare,
    });
    this.notices = new OverflowNotifier(
      outbox,
      this.uplink,
      {
        topic: topics.overflow,
        gateway: config.gateway.id,
        site: config.gateway.site,
        policy: config.outbox.overflow,
      },
      log.child({ component: 'overflow' }),
    );
  }

  /** The inbound counters for the health report. */
  inboundStats(): InboundStats {
    return this.inbound.stats();
  }

  async start(): Promise<void> {
    await this.uplink.start();
    // Stopped while its first connection was tried (a stop signal during start-up).
    if (this.uplink.status().state === 'stopped') return;
    this.started = true;
    this.dispatcher.start();
    this.notices.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return this.uplink.stop();
    this.started = false;
    this.notices.stop();
    await this.dispatcher.stop();
    await this.uplink.stop();
  }
}

/**
 * The upstream of a config: uplink.url, or the embedded broker and a login (the one given, e.g.
 * the gateway's own; else the floor login). With the broker's in-process `stream` (the gateway's
 * own session) its URL is `embedded://host:port`, for logs only; without, its TCP address.
 */
export function upstreamOf(
  config: Config,
  embedded?: { host: string; port: number; username?: string; password?: string; stream?: StreamOpener },
): Upstream {
  const nodes = brokerNodes(config.uplink.url);
  if (nodes[0] !== undefined) {
    return {
      url: nodes[0],
      ...(nodes.length > 1 ? { nodes } : {}),
      ...(config.uplink.username ? { username: config.uplink.username } : {}),
      ...(config.uplink.password ? { password: config.uplink.password } : {}),
    };
  }
  if (!embedded) throw new Error('no upstream: set uplink.url or enable the embedded broker');
  const host = embedded.host === '0.0.0.0' ? '127.0.0.1' : embedded.host;
  const login = embedded.username !== undefined ? embedded : config.broker;
  return {
    url: `${embedded.stream ? 'embedded' : 'mqtt'}://${host}:${embedded.port}`,
    ...(embedded.stream ? { stream: embedded.stream } : {}),
    ...(login.username ? { username: login.username } : {}),
    ...(login.password ? { password: login.password } : {}),
  };
}

/** The embedded broker as the gateway's own upstream: its own login, in process, the address for logs. */
export function gatewaySession(broker: Pick<EmbeddedBroker, 'address' | 'gatewayLogin' | 'gatewayStream'>) {
  return { ...broker.address(), ...broker.gatewayLogin(), stream: () => broker.gatewayStream() };
}

/**
 * Replaces a running stage (a reload changed the uplink): stops it, rewinds the outbox so what was
 * not acknowledged is sent again, and starts the new one. If the new one cannot start, a stage
 * with the settings that worked takes its place (events must keep flowing) and `error` says why.
 * Resolves with the stage now running.
 */
export async function swapStage(
  old: UplinkStage,
  outbox: LevelOutbox,
  next: () => UplinkStage,
  fallback: () => UplinkStage,
): Promise<{ readonly running: UplinkStage; readonly error?: Error }> {
  await old.stop();
  outbox.rewind();
  const stage = next();
  try {
    await stage.start();
    return { running: stage };
  } catch (err) {
    await stage.stop().catch(() => undefined);
    const back = fallback();
    await back.start();
    return { running: back, error: err as Error };
  }
}
