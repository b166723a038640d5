/**
 * The uplink seam: the MQTT connection to the upstream broker.
 *
 * Contract (checked by test/daemon/uplink/*.test.ts against real brokers):
 * - `start()` resolves once the first connection attempt has been made (connected or not): an
 *   absent broker is the `disconnected` state, retried with backoff and jitter, never a fatal
 *   error. `stop()` publishes the retained `offline` status, closes the connection cleanly and
 *   rejects whatever is still pending with `UplinkClosedError`.
 * - On every (re)connect it publishes the retained `online` status; the broker publishes the
 *   retained `offline` last will when the connection dies.
 * - A disconnect is a closed or failed socket, a refused CONNACK, or a silent link: nothing from
 *   the broker for `keepaliveS` while a PINGREQ has gone unanswered for `keepaliveS`/2 (a stalled
 *   network that closes nothing). A silent link is dropped within 1.25 x keepaliveS of the
 *   broker's last packet, so within 1.5 x keepaliveS of the stall.
 * - `publish(topic, payload)` with QoS 1 resolves on PUBACK and rejects with
 *   `UplinkDisconnectedError` when the connection is lost first (the caller then republishes).
 *   At most `inflight` QoS 1 messages are outstanding (callers respect `canPublish()`), so the
 *   client never comes near the 65,535 packet identifiers.
 *   A `publish()` beyond the window rejects at once (a plain Error), and so does one made while
 *   disconnected (`UplinkDisconnectedError`) or after `stop()` (`UplinkClosedError`).
 * - `send(topic, payload, settled)` is `publish()` with a callback instead of a promise (the
 *   dispatcher's path: no promise per event): `settled` is called once, with nothing on PUBACK or
 *   with the error `publish()` would reject with, synchronously where it would reject at once.
 * - `publishStatus(topic, payload)` is best effort (QoS 0) and for status only.
 * - Events `up` and `down` (status only) tell the dispatcher to resume or rewind; `state` carries
 *   the new `UplinkStatus` on every change of `state`.
 * - `status().lastError` is the last connection failure (kept after a reconnect), free of secrets;
 *   a broker that closes before its CONNACK is named as such.
 * - With several broker nodes, each attempt goes to the next node and a connection stays on its
 *   node; `status().url`/`node` say which. The retained `online` goes to every node connected to.
 * - While a backoff wait is long and the broker could not even be reached, a TCP probe every few
 *   seconds cuts the wait short when the broker is back.
 * - `listen(subscriptions, sink)` sets the filters subscribed (QoS 1) after every CONNACK from
 *   now on, on whichever node (at once if connected; filters no longer listed are unsubscribed).
 *   Each message on them goes to `sink.message` on the main thread, in the order received, with
 *   its retain flag (and with MQTT 5 its response topic and correlation data). A payload larger
 *   than every subscription's `maxBytes` goes to `sink.tooLarge` instead, its bytes not kept; a
 *   filter the broker refuses is logged with its SUBACK code. The caller matches topics to
 *   filters and applies each subscription's own bound (inbound-link.ts).
 * - `reply(topic, payload, correlationData)` publishes an answer (QoS 1, not retained, not
 *   awaited) while connected; false when not connected. The caller vets the topic.
 */
import type { EventEmitter } from 'node:events';
import type { InboundMessage } from '../inventory/inbound.js';

export class UplinkDisconnectedError extends Error {
  override readonly name = 'UplinkDisconnectedError';
}
export class UplinkClosedError extends Error {
  override readonly name = 'UplinkClosedError';
}

export type UplinkState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface UplinkStatus {
  readonly state: UplinkState;
  /** The broker (the node in use or last tried), without its login. */
  readonly url: string;
  /** With several nodes in uplink.url: the index of that node, from 0. */
  readonly node?: number;
  /** With several nodes: connections made to another node than the one before. */
  readonly nodeSwitches?: number;
  readonly connects: number;
  readonly lastError?: string;
  readonly inflight: number;
  /** Round-trip time of the last PUBACK, ms. */
  readonly rttMs?: number;
}

/** A filter the uplink subscribes to on every connect, and the largest payload it takes. */
export interface UplinkSubscription {
  readonly filter: string;
  readonly maxBytes: number;
}

/** Where the uplink hands what it receives. */
export interface InboundSink {
  message(message: InboundMessage): void;
  /** A payload over every subscription's bound: dropped, only its topic and size told. */
  tooLarge(topic: string, bytes: number): void;
}

export interface Uplink extends Pick<EventEmitter, 'on' | 'off' | 'once'> {
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(topic: string, payload: string | Buffer): Promise<void>;
  send(topic: string, payload: string | Buffer, settled: (err?: Error) => void): void;
  publishStatus(topic: string, payload: string | Buffer, retain?: boolean): void;
  canPublish(): boolean;
  status(): UplinkStatus;
  listen(subscriptions: readonly UplinkSubscription[], sink: InboundSink): void;
  reply(topic: string, payload: string, correlationData?: Buffer): boolean;
}
