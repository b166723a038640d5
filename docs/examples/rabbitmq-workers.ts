/**
 * Upstream workers for readpoint's events on RabbitMQ: several workers share one quorum queue
 * bound to `amq.topic`, where RabbitMQ's MQTT plugin routes what gateways publish (an MQTT topic
 * `readpoint/v1/site-1/gw-1/events/dock-1` is the routing key `readpoint.v1.site-1.gw-1.events.dock-1`).
 * Each message goes to one worker; a worker acknowledges it only once it is processed, so a
 * message of a worker that dies is delivered to another. Delivery stays at least once, and the
 * order across workers is not kept: duplicates are dropped by `eventID` and gaps are found by
 * `rp:sequence` per gateway in the ledger, where the processed events are kept, not in the stream.
 *
 * Node 20 with amqplib; `test/e2e/brokers/rabbitmq-consumers.test.ts` runs this very file.
 */
import amqp, { type Channel, type ConsumeMessage } from 'amqplib';

/** The queue every worker consumes from: durable, replicated over the cluster. */
export const EVENTS_QUEUE = 'readpoint-events';

/** Which event a message is: its gateway (`<site>/<gateway>`), sequence number and ID. */
export interface EventKey {
  readonly gateway: string;
  readonly seq: number;
  readonly eventID: string;
}

/**
 * Where processed events are kept. In production, a table with a unique key on `eventID`,
 * written in the same transaction as the work, so that an event is processed once however often
 * it comes and whichever worker it comes to.
 */
export interface Ledger {
  /** Does the work of `event` and keeps it, unless its eventID is kept already: false then. */
  process(key: EventKey, event: Record<string, unknown>): Promise<boolean>;
  /** Keeps the numbers an overflow notice announced as dropped for good. */
  dropped(gateway: string, ranges: readonly (readonly [number, number])[]): Promise<void>;
}

/** Declares the shared quorum queue and binds it to every gateway's events and overflow notices. */
export async function declareEventsQueue(channel: Channel, prefix = 'readpoint.v1'): Promise<void> {
  await channel.assertQueue(EVENTS_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(EVENTS_QUEUE, 'amq.topic', `${prefix}.*.*.events.*`);
  await channel.bindQueue(EVENTS_QUEUE, 'amq.topic', `${prefix}.*.*.overflow`);
}

export interface Worker {
  /** Messages this worker acknowledged: events (duplicates too) and overflow notices. */
  readonly acknowledged: number;
  stop(): Promise<void>;
}

/**
 * A worker on the shared queue, at most `prefetch` messages unacknowledged at a time. A message
 * whose work fails goes back to the queue for another try (by any worker); one that is not an
 * event or notice is rejected (dropped, or dead-lettered if the queue has a dead-letter exchange).
 */
export async function startWorker(url: string, ledger: Ledger, prefetch = 10): Promise<Worker> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await declareEventsQueue(channel);
  await channel.prefetch(prefetch);
  let acknowledged = 0;

  const handle = async (message: ConsumeMessage) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(message.content.toString('utf8'));
    } catch {
      return channel.reject(message, false);
    }
    // `<prefix>.<site>.<gateway>.events.<readPoint>` or `<prefix>.<site>.<gateway>.overflow`:
    // ids without `.` (RabbitMQ would split them into words).
    const words = message.fields.routingKey.split('.');
    const n = words.length;
    try {
      if (words[n - 2] === 'events' && n >= 4) {
        const key = {
          gateway: `${words[n - 4]}/${words[n - 3]}`,
          seq: body['rp:sequence'],
          eventID: body.eventID,
        };
        if (!Number.isSafeInteger(key.seq) || typeof key.eventID !== 'string')
          return channel.reject(message, false);
        await ledger.process(key as EventKey, body);
      } else if (words[n - 1] === 'overflow' && n >= 3 && Array.isArray(body.ranges)) {
        await ledger.dropped(`${words[n - 3]}/${words[n - 2]}`, body.ranges as [number, number][]);
      } else {
        return channel.reject(message, false);
      }
    } catch {
      return channel.nack(message, false, true);
    }
    channel.ack(message);
    acknowledged++;
  };

  const { consumerTag } = await channel.consume(EVENTS_QUEUE, (message) => {
    if (message) void handle(message);
  });
  return {
    get acknowledged() {
      return acknowledged;
    },
    async stop() {
      await channel.cancel(consumerTag);
      await channel.close();
      await connection.close();
    },
  };
}

/** A gap in a gateway's numbers: `from`..`to` missing, `explained` when an overflow notice dropped them. */
export interface Gap {
  readonly gateway: string;
  readonly from: number;
  readonly to: number;
  readonly explained: boolean;
}

/**
 * A ledger in memory, for one process, as a model of the table: an event is kept once its work
 * is done; a duplicate that comes while the first is still being processed is dropped (if that
 * work then fails, the first comes again from the queue).
 */
export class MemoryLedger implements Ledger {
  duplicates = 0;
  private readonly ids = new Set<string>();
  private readonly numbers = new Map<string, Set<number>>();
  private readonly droppedNumbers = new Map<string, Set<number>>();

  constructor(private readonly work: (key: EventKey, event: Record<string, unknown>) => Promise<void>) {}

  async process(key: EventKey, event: Record<string, unknown>): Promise<boolean> {
    if (this.ids.has(key.eventID)) {
      this.duplicates++;
      return false;
    }
    this.ids.add(key.eventID);
    try {
      await this.work(key, event);
    } catch (err) {
      this.ids.delete(key.eventID);
      throw err;
    }
    this.setOf(this.numbers, key.gateway).add(key.seq);
    return true;
  }

  async dropped(gateway: string, ranges: readonly (readonly [number, number])[]): Promise<void> {
    const set = this.setOf(this.droppedNumbers, gateway);
    for (const [from, to] of ranges) for (let seq = from; seq <= to; seq++) set.add(seq);
  }

  /** Events kept. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * The numbers missing below each gateway's highest, as ranges. With several workers a number
   * can be missing for a moment while another worker holds it: look once the queue is drained,
   * or alarm only on gaps older than a few seconds.
   */
  gaps(): Gap[] {
    const gaps: Gap[] = [];
    for (const [gateway, seen] of this.numbers) {
      const dropped = this.droppedNumbers.get(gateway) ?? new Set<number>();
      const sorted = [...seen].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) {
        for (let seq = sorted[i - 1]! + 1; seq < sorted[i]!; ) {
          const explained = dropped.has(seq);
          const from = seq;
          while (seq < sorted[i]! && dropped.has(seq) === explained) seq++;
          gaps.push({ gateway, from, to: seq - 1, explained });
        }
      }
    }
    return gaps;
  }

  private setOf(map: Map<string, Set<number>>, gateway: string): Set<number> {
    const set = map.get(gateway) ?? new Set<number>();
    map.set(gateway, set);
    return set;
  }
}
