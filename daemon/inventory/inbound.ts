/**
 * The inbound seam: messages the gateway takes from the upstream broker (holds, transaction
 * contexts, where-is questions), and the replies it sends back.
 *
 * Contract:
 * - `subscribe(filter, onMessage)` subscribes to `filter` (QoS 1) now if connected and again on
 *   every (re)connect, whichever node of the broker the uplink is on, and through a reload that
 *   replaces the uplink. Retained messages arrive with `retain` set. `onMessage` is called on the
 *   main thread, once per message, in the order the broker sent them. It returns a function that
 *   unsubscribes.
 * - The filter is the gateway's own: built from validated topic segments (contract/topics.ts),
 *   never from anything received. A message on a topic the filter does not match is not handed.
 * - A payload larger than `maxBytes` (given at subscribe) is not handed: it is counted, logged
 *   once per topic and interval, and dropped before it is parsed. Handlers parse what they get
 *   as untrusted input: a bad message gets a clear log line and changes nothing.
 * - `reply(topic, payload, correlationData)` publishes an answer (QoS 1, not retained) while
 *   connected; replies are not kept in the outbox (an unanswered question is asked again). The
 *   topic must pass `replyTopicAllowed()`: a requester names where the answer goes, so the
 *   gateway answers only below its replies prefix, never on a topic of the contract.
 */

/** One message from upstream. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  /** MQTT 5 request/response: where the requester wants the answer. */
  readonly responseTopic?: string;
  /** MQTT 5: the requester's correlation data, handed back with the answer. */
  readonly correlationData?: Buffer;
}

export interface InboundOptions {
  /** Largest payload handed to `onMessage`, bytes; larger ones are dropped and counted. */
  readonly maxBytes: number;
}

export interface Inbound {
  subscribe(
    filter: string,
    options: InboundOptions,
    onMessage: (message: InboundMessage) => void,
  ): () => void;
  /** Publishes an answer; false when it could not be sent now (not connected, topic refused). */
  reply(topic: string, payload: string, correlationData?: Buffer): boolean;
}
