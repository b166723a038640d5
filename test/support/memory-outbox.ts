/** An in-memory Outbox for unit tests of the stages around it (not durable, not bounded). */
import type { Outbox, OutboxEntry, OutboxStats } from '../../daemon/outbox/outbox.js';

export class MemoryOutbox implements Outbox {
  readonly entries = new Map<number, OutboxEntry>();
  private seq = 0;
  private cursor = 0;
  private handedOut = new Set<number>();
  private waiters: (() => void)[] = [];
  appended = 0;
  acked = 0;
  /** Makes the next n appends fail, like a full disk. */
  failNext = 0;

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  nextSequence(): number {
    return ++this.seq;
  }
  async append(entry: OutboxEntry): Promise<boolean> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('ENOSPC: no space left on device');
    }
    this.entries.set(entry.seq, entry);
    this.appended++;
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  async take(max: number): Promise<OutboxEntry[]> {
    const out = [...this.entries.values()]
      .filter((e) => e.seq > this.cursor)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, max);
    for (const e of out) this.handedOut.add(e.seq);
    if (out.length > 0) this.cursor = out.at(-1)!.seq;
    return out;
  }
  waitForEntries(signal?: AbortSignal): Promise<void> {
    if ([...this.entries.keys()].some((s) => s > this.cursor)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  ack(seq: number): void {
    if (this.entries.delete(seq)) this.acked++;
    this.handedOut.delete(seq);
  }
  rewind(): void {
    const unacked = [...this.handedOut].filter((s) => this.entries.has(s));
    this.cursor = unacked.length > 0 ? Math.min(...unacked) - 1 : this.cursor;
  }
  stats(): OutboxStats {
    return {
      depth: this.entries.size,
      bytes: 0,
      appended: this.appended,
      acked: this.acked,
      dropped: 0,
      lastSeq: this.seq,
    };
  }
}
