/**
 * The inventory features' view of the inbound link: every subscription they make through it ends
 * when the inventory stops, before its store closes, whether or not a feature unsubscribed. The
 * uplink stops after the inventory, so a subscription left behind would hand messages to a
 * feature that has stopped and a store that is closed.
 */
import type { Inbound, InboundMessage, InboundOptions } from './inbound.js';

export class InboundScope implements Inbound {
  private readonly ends = new Set<() => void>();
  private closed = false;

  constructor(private readonly inbound: Inbound) {}

  subscribe(
    filter: string,
    options: InboundOptions,
    onMessage: (message: InboundMessage) => void,
  ): () => void {
    if (this.closed) throw new Error('the inventory has stopped: no more subscriptions');
    const unsubscribe = this.inbound.subscribe(filter, options, (message) => {
      if (!this.closed) onMessage(message);
    });
    const end = () => {
      if (this.ends.delete(end)) unsubscribe();
    };
    this.ends.add(end);
    return end;
  }

  reply(topic: string, payload: string, correlationData?: Buffer): boolean {
    return !this.closed && this.inbound.reply(topic, payload, correlationData);
  }

  /** Ends every subscription still made through this scope; later messages reach no feature. */
  close(): void {
    this.closed = true;
    for (const end of [...this.ends]) end();
  }
}
