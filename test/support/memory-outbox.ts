/** An in-memory Outbox for unit tests of the stages around it (not durable, not bounded). */
import {
  AppendRefused,
  type Outbox,
  type OutboxEntry,
  type OutboxStats,
} from '../../daemon/outbox/outbox.js';

export class MemoryOutbox implements Outbox {
  readonly entries = new Map<number, OutboxEntry>();
  private seq = 0;
  private cursor = 0;
  private splitAt: number | undefined;
  private liveCursor = 0;
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
  /** Each entry appended in turn; the first that fails refuses it and the rest. */
  async appendAll(entries: readonly OutboxEntry[]): Promise<boolean[]> {
    const settled: boolean[] = [];
    for (const entry of entries) {
      try {
        settled.push(await this.append(entry));
      } catch (err) {
        throw new AppendRefused((err as Error).message, settled);
      }
    }
    return settled;
  }
  async take(max: number): Promise<OutboxEntry[]> {
    const out = this.handOut(this.between(this.cursor, this.splitAt ?? Number.POSITIVE_INFINITY, max));
    if (out.length > 0) this.cursor = out.at(-1)!.seq;
    if (this.splitAt !== undefined && this.between(this.cursor, this.splitAt, 1).length === 0) {
      this.cursor = this.liveCursor;
      this.splitAt = undefined;
    }
    return out;
  }
  async takeLive(max: number): Promise<OutboxEntry[]> {
    if (this.splitAt === undefined) return [];
    const out = this.handOut(this.between(this.liveCursor, Number.POSITIVE_INFINITY, max));
    if (out.length > 0) this.liveCursor = out.at(-1)!.seq;
    return out;
  }
  splitBacklog(): number | undefined {
    if (this.splitAt !== undefined || this.between(this.cursor, this.seq, 1).length === 0) return undefined;
    this.splitAt = this.liveCursor = this.seq;
    return this.seq;
  }
  replaying(): boolean {
    return this.splitAt !== undefined;
  }
  private between(after: number, upTo: number, max: number): OutboxEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.seq > after && e.seq <= upTo)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, max);
  }
  private handOut(entries: OutboxEntry[]): OutboxEntry[] {
    for (const e of entries) this.handedOut.add(e.seq);
    return entries;
  }
  waitForEntries(signal?: AbortSignal): Promise<void> {
    if (this.splitAt !== undefined || [...this.entries.keys()].some((s) => s > this.cursor))
      return Promise.resolve();
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
    this.splitAt = undefined;
    const unacked = [...this.handedOut].filter((s) => this.entries.has(s));
    this.cursor = Math.min(this.cursor, ...unacked.map((s) => s - 1));
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
