/**
 * The inbound seam (inventory/inbound.ts) on the uplink. It outlives the uplink it rides on: a
 * reload that replaces the uplink attaches the new one, which subscribes to the same filters
 * from its first connection, so the features never subscribe again.
 *
 * It matches each message to the subscriptions whose filter covers its topic, applies each one's
 * own size bound, and hands the message to each handler. A handler that throws is logged and the
 * others still get the message.
 */
import type { Topics } from '../contract/topics.js';
import type { Inbound, InboundMessage, InboundOptions } from '../inventory/inbound.js';
import type { Logger } from '../log.js';
import { RepeatLimiter } from '../log-limit.js';
import { topicMatches } from './topic-match.js';
import type { InboundSink, Uplink, UplinkSubscription } from './uplink.js';

/** Counters for the health report (since start). */
export interface InboundStats {
  /** Filters subscribed now. */
  readonly subscriptions: number;
  /** Messages handed to a feature. */
  readonly received: number;
  /** Messages dropped unread as larger than their subscription's `maxBytes`. */
  readonly tooLarge: number;
  /** Replies published. */
  readonly repliesSent: number;
  /** Replies refused for their topic (not below the replies prefix, or not a valid topic). */
  readonly repliesRefused: number;
  /** Replies not sent because the uplink was not connected. */
  readonly repliesUnsent: number;
}

/** Characters of a sender's topic quoted in a log line. */
const MAX_LOGGED_TOPIC = 256;

interface Subscription {
  readonly filter: string;
  readonly maxBytes: number;
  readonly onMessage: (message: InboundMessage) => void;
}

export class InboundLink implements Inbound, InboundSink {
  private readonly subscriptions = new Set<Subscription>();
  private uplink: Uplink | undefined;
  private readonly limited: RepeatLimiter;
  private received = 0;
  private tooLargeCount = 0;
  private repliesSent = 0;
  private repliesRefused = 0;
  private repliesUnsent = 0;

  constructor(
    private readonly topics: Pick<Topics, 'replyTopicAllowed'>,
    private readonly log: Logger,
  ) {
    this.limited = new RepeatLimiter(log);
  }

  /** Rides on `uplink` from now on (the one before it is left to be stopped). */
  attach(uplink: Uplink): void {
    this.uplink = uplink;
    this.push();
  }

  subscribe(
    filter: string,
    options: InboundOptions,
    onMessage: (message: InboundMessage) => void,
  ): () => void {
    if (filter === '' || filter.length > 1024)
      throw new TypeError(`not a topic filter: ${JSON.stringify(filter)}`);
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0)
      throw new TypeError(`maxBytes must be a whole number of bytes, not ${options.maxBytes}`);
    const subscription: Subscription = { filter, maxBytes: options.maxBytes, onMessage };
    this.subscriptions.add(subscription);
    this.push();
    return () => {
      if (this.subscriptions.delete(subscription)) this.push();
    };
  }

  reply(topic: string, payload: string, correlationData?: Buffer): boolean {
    if (!this.topics.replyTopicAllowed(topic)) {
      this.repliesRefused++;
      this.limited.log(
        'reply refused',
        'warn',
        { topic: topic.slice(0, MAX_LOGGED_TOPIC) },
        'reply refused: its topic is not below the gateway replies prefix',
      );
      return false;
    }
    if (!this.uplink?.reply(topic, payload, correlationData)) {
      this.repliesUnsent++;
      return false;
    }
    this.repliesSent++;
    return true;
  }

  /** From the uplink: one message, handed to every subscription that matches and takes its size. */
  message(message: InboundMessage): void {
    let handed = false;
    for (const sub of this.subscriptions) {
      if (!topicMatches(sub.filter, message.topic)) continue;
      if (message.payload.length > sub.maxBytes) {
        this.dropped(sub.filter, message.topic, message.payload.length, sub.maxBytes);
        continue;
      }
      handed = true;
      try {
        sub.onMessage(message);
      } catch (err) {
        this.log.error({ err, topic: message.topic, filter: sub.filter }, 'inbound message handler failed');
      }
    }
    if (handed) this.received++;
  }

  /** From the uplink: a message over every subscription's bound. */
  tooLarge(topic: string, bytes: number): void {
    let filter: string | undefined;
    let bound: number | undefined;
    for (const sub of this.subscriptions)
      if (topicMatches(sub.filter, topic) && sub.maxBytes >= (bound ?? 0)) {
        filter = sub.filter;
        bound = sub.maxBytes;
      }
    this.dropped(filter, topic, bytes, bound);
  }

  /**
   * Counts a drop and logs it once per subscription and interval: the topic is the sender's
   * choice (any read point below a `+`), so it neither keys the line nor is quoted whole.
   */
  private dropped(
    filter: string | undefined,
    topic: string,
    bytes: number,
    maxBytes: number | undefined,
  ): void {
    this.tooLargeCount++;
    this.limited.log(
      `too large ${filter ?? ''}`,
      'warn',
      {
        topic: topic.slice(0, MAX_LOGGED_TOPIC),
        ...(filter !== undefined ? { filter } : {}),
        bytes,
        ...(maxBytes !== undefined ? { maxBytes } : {}),
      },
      'inbound message dropped unread: larger than its subscription takes',
    );
  }

  stats(): InboundStats {
    return {
      subscriptions: new Set([...this.subscriptions].map((s) => s.filter)).size,
      received: this.received,
      tooLarge: this.tooLargeCount,
      repliesSent: this.repliesSent,
      repliesRefused: this.repliesRefused,
      repliesUnsent: this.repliesUnsent,
    };
  }

  /** Writes what the repeat limiter still holds (the gateway stops). */
  close(): void {
    this.limited.close();
  }

  /** The uplink's filters: each once, with the largest bound asked for it. */
  private push(): void {
    const byFilter = new Map<string, number>();
    for (const { filter, maxBytes } of this.subscriptions)
      byFilter.set(filter, Math.max(maxBytes, byFilter.get(filter) ?? 0));
    const list: UplinkSubscription[] = [...byFilter].map(([filter, maxBytes]) => ({ filter, maxBytes }));
    this.uplink?.listen(list, this);
  }
}
