/**
 * Bounds the embedded broker's retained messages (aedes keeps them in memory, with no limit of
 * its own) in count and bytes. A retained publish that would pass a limit is still delivered to
 * the subscribers of the moment, but not kept; an older retained message on that topic is
 * cleared too, so nobody is later handed a value that was already replaced.
 */

interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
  retain?: boolean;
}

/** The part of aedes' persistence that stores retained messages. */
export interface RetainedStore {
  storeRetained(packet: RetainedPacket): Promise<void>;
}

export interface RetainedLimits {
  readonly maxRetained: number;
  readonly maxRetainedBytes: number;
}

export interface RetainedRefusal {
  readonly topic: string;
  readonly bytes: number;
  readonly limit: 'maxRetained' | 'maxRetainedBytes';
}

/** What is kept, by topic: bytes of topic and payload. */
export class RetainedBudget {
  private readonly sizes = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: RetainedLimits) {}

  get count(): number {
    return this.sizes.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Whether `packet` may be kept; books it when so (an empty payload clears its topic). */
  admit(packet: RetainedPacket): RetainedRefusal | undefined {
    const payloadBytes =
      typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    const before = this.sizes.get(packet.topic);
    if (payloadBytes === 0) {
      this.forget(packet.topic);
      return undefined;
    }
    const size = Buffer.byteLength(packet.topic) + payloadBytes;
    const bytes = this.total - (before ?? 0) + size;
    const refusal = (limit: RetainedRefusal['limit']) => {
      this.forget(packet.topic);
      return { topic: packet.topic, bytes: size, limit };
    };
    if (before === undefined && this.sizes.size >= this.limits.maxRetained) return refusal('maxRetained');
    if (bytes > this.limits.maxRetainedBytes) return refusal('maxRetainedBytes');
    this.sizes.set(packet.topic, size);
    this.total = bytes;
    return undefined;
  }

  private forget(topic: string): void {
    const size = this.sizes.get(topic);
    if (size === undefined) return;
    this.sizes.delete(topic);
    this.total -= size;
  }
}

/** Puts `budget` in front of the store: a refused message is not kept, and its topic is cleared. */
export function capRetained(
  store: RetainedStore,
  budget: RetainedBudget,
  refused: (refusal: RetainedRefusal) => void,
): void {
  const keep = store.storeRetained.bind(store);
  store.storeRetained = (packet) => {
    const refusal = budget.admit(packet);
    if (!refusal) return keep(packet);
    refused(refusal);
    return keep({ ...packet, payload: Buffer.alloc(0) });
  };
}
