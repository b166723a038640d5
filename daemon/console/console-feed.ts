/**
 * The live feed of the console: Server-Sent Events to each open browser.
 *
 * Contract:
 * - `join(res)` takes a browser on when fewer than `maxClients` watch (else false, nothing sent)
 *   and sends it `first()` at once; `push(text)` sends the same message to every browser.
 * - Each browser's queue is bounded: one whose socket still holds more than `maxQueuedBytes`
 *   unsent (a slow or stalled browser) is dropped and counted in `dropped`; the feed never
 *   waits for a browser. A browser that reconnects (EventSource does) starts afresh.
 * - A comment line every push keeps proxies from closing an idle stream.
 */
import type { ServerResponse } from 'node:http';

export class ConsoleFeed {
  private readonly clients = new Set<ServerResponse>();
  /** Browsers dropped for falling behind, since start. */
  dropped = 0;

  constructor(
    private readonly options: { readonly maxClients: number; readonly maxQueuedBytes: number },
    private readonly first: () => string,
  ) {}

  get watching(): number {
    return this.clients.size;
  }

  join(res: ServerResponse): boolean {
    if (this.clients.size >= this.options.maxClients) return false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.clients.add(res);
    res.once('close', () => this.clients.delete(res));
    res.write(`retry: 2000\ndata: ${this.first()}\n\n`);
    return true;
  }

  push(text: string): void {
    const message = `data: ${text}\n\n`;
    for (const res of this.clients) {
      if (res.writableLength > this.options.maxQueuedBytes) {
        this.dropped++;
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(message);
    }
  }

  closeAll(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
