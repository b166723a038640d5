/**
 * What one client, or all of them together, may take from the embedded broker. The defaults fit
 * a small box at a dock: a handful of network readers (batched tag reports well under 1 MiB) and
 * a few local consumers (the gateway's own session runs in process, over no connection); worst
 * case, every connection holding a half-sent packet, is maxConnections x maxPacketBytes
 * (100 x 2 MiB = 200 MiB). The publish rate leaves room for a reader that reports every single
 * tag read of a busy dock door, while no one client can take the whole broker (aedes handles a
 * few tens of thousands of messages a second).
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { Strict } from './reader-base.js';

export const BrokerLimits = Strict(
  {
    maxPacketBytes: T.Integer({
      minimum: 1024,
      maximum: 268435455,
      default: 2097152,
      description:
        'Largest MQTT packet a client may send. The length in its header is read as it arrives: a larger ' +
        'packet closes the connection before its body is buffered. Keep it above every network ' +
        "reader's maxMessageBytes plus its topic.",
    }),
    maxConnections: T.Integer({
      minimum: 2,
      maximum: 60000,
      default: 100,
      description:
        'Client connections at most; one more is closed as it is accepted. Keep LimitNOFILE= in the ' +
        'systemd unit well above it.',
    }),
    maxPendingConnections: T.Integer({
      minimum: 1,
      maximum: 60000,
      default: 16,
      description:
        'Connections that have not yet logged in at most (of maxConnections), so sockets that never ' +
        'log in cannot take the slots readers and consumers need.',
    }),
    maxPendingPerAddress: T.Integer({
      minimum: 1,
      maximum: 60000,
      default: 4,
      description: 'Connections from one address that have not yet logged in at most.',
    }),
    maxConsumers: T.Integer({
      minimum: 1,
      maximum: 60000,
      default: 32,
      description:
        'Consumer sessions (consumer logins and anonymous clients) at most; one more is refused ' +
        '(CONNACK 3, server unavailable), so consumers cannot take the connections readers need. ' +
        'With maxPendingConnections and one per network reader it must fit in maxConnections (the ' +
        "gateway's own session runs in process and takes no connection).",
    }),
    connectTimeoutS: T.Integer({
      minimum: 1,
      maximum: 300,
      default: 10,
      description: 'A connection that has not logged in (sent CONNECT) within this many seconds is closed.',
    }),
    maxRetained: T.Integer({
      minimum: 10,
      maximum: 1000000,
      default: 1000,
      description:
        'Retained messages kept at most; a retained publish to a new topic beyond it is delivered but ' +
        'not kept.',
    }),
    maxRetainedBytes: T.Integer({
      minimum: 10000,
      maximum: 1073741824,
      default: 8388608,
      description: 'Bytes (topics and payloads) of retained messages kept at most.',
    }),
    publishRate: T.Integer({
      minimum: 1,
      maximum: 1000000,
      default: 5000,
      description:
        'Messages per second one client may publish, on average. A faster client is slowed down (its ' +
        'publishes wait); one that keeps sending far ahead (more than publishBurst waiting) is ' +
        'disconnected.',
    }),
    publishBurst: T.Integer({
      minimum: 1,
      maximum: 1000000,
      default: 10000,
      description:
        'Messages one client may publish at once above publishRate (a reader reporting a pallet that ' +
        'just came into view).',
    }),
  },
  'Resource limits of the embedded broker: packet size, connections, retained messages, publish rate.',
  {},
);

export type BrokerLimitsConfig = Static<typeof BrokerLimits>;
