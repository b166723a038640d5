/**
 * The LevelDB outbox. Entries live under `e!<seq as 16 hex digits>` (so keys sort by sequence);
 * `m!state` holds the high-water sequence number, the depth and the byte count, written in the
 * same atomic batch as every change, so a crash at any moment leaves them consistent.
 *
 * One writer loop does all writes: appends gathered while a write is in flight go out together
 * (group commit) with the deletes of acknowledged entries and of overflow drops.
 *
 * Durability: with `sync: false` (the default) a batch is in the operating system's page cache
 * when `append()` resolves: it survives a crash of the process (SIGKILL, OOM), not a power cut.
 * With `sync: true` every batch is fsynced first, which also survives a power cut.
 */
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import type { Logger } from '../log.js';
import type { Outbox, OutboxEntry, OutboxStats } from './outbox.js';

export interface OutboxOptions {
  maxEvents: number;
  maxBytes: number;
  overflow: 'drop-oldest' | 'drop-newest';
  batchMax: number;
  sync?: boolean;
}

const STATE = 'm!state';
const key = (seq: number) => `e!${seq.toString(16).padStart(16, '0')}`;
const seqOf = (k: string) => Number.parseInt(k.slice(2), 16);
const encode = (e: OutboxEntry) => JSON.stringify({ t: e.topic, p: e.payload, a: e.acceptedAt });

interface Pending {
  entry: OutboxEntry;
  resolve: (stored: boolean) => void;
  reject: (e: Error) => void;
}

type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

export class LevelOutbox implements Outbox {
  private db: Level<string, string> | undefined;
  private lastSeq = 0;
  private durableSeq = 0;
  private depth = 0;
  private bytes = 0;
  private cursor = 0; // highest seq handed out by take()
  private floor = 0; // every entry below it is deleted (or being deleted)
  private readonly handedOut = new Map<number, { size: number; at: number }>();
  /** Highest seq ever handed out: below it, an entry not in flight was acknowledged or dropped. */
  private highestTaken = 0;
  private nextUntakenAt: number | undefined;
  private appends: Pending[] = [];
  private deletes: { seq: number; size: number }[] = [];
  private writer: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private counts = { appended: 0, acked: 0, dropped: 0, quarantined: 0, batches: 0 };
  private firstDropped: { seq: number; at: number } | undefined;
  private lastDropped: { seq: number; at: number } | undefined;

  constructor(
    private readonly dir: string,
    private readonly options: OutboxOptions,
    private readonly log: Logger,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const db = new Level<string, string>(this.dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      if (/lock/i.test(cause))
        throw new Error(
          `the data directory ${this.dir} is in use by another readpoint (its LevelDB lock is held)`,
        );
      throw new Error(`cannot open the outbox in ${this.dir}: ${cause}`);
    }
    this.db = db;
    const state = await db.get(STATE);
    if (state !== undefined)
      ({ lastSeq: this.lastSeq, depth: this.depth, bytes: this.bytes } = JSON.parse(state));
    for await (const k of db.keys({ gte: 'e!', lt: 'e~', reverse: true, limit: 1 }))
      this.lastSeq = Math.max(this.lastSeq, seqOf(k));
    this.durableSeq = this.lastSeq;
    for await (const [k, v] of db.iterator({ gte: 'e!', lt: 'e~', limit: 1 })) {
      this.floor = seqOf(k);
      this.nextUntakenAt = this.decode(v)?.a;
    }
    this.cursor = Math.max(0, this.floor - 1);
    this.log.info({ depth: this.depth, bytes: this.bytes, lastSeq: this.lastSeq }, 'outbox open');
  }

  async close(): Promise<void> {
    if (!this.db) return;
    while (this.writer) await this.writer;
    await this.db.close();
    this.db = undefined;
  }

  nextSequence(): number {
    return ++this.lastSeq;
  }

  append(entry: OutboxEntry): Promise<boolean> {
    if (!this.db) return Promise.reject(new Error('outbox is not open'));
    return new Promise((resolve, reject) => {
      this.appends.push({ entry, resolve, reject });
      this.kick();
    });
  }

  async take(max: number): Promise<OutboxEntry[]> {
    const db = this.db;
    if (!db || this.cursor >= this.durableSeq) return [];
    const out: OutboxEntry[] = [];
    this.nextUntakenAt = undefined;
    for await (const [k, v] of db.iterator({
      gt: key(this.cursor),
      lte: key(this.durableSeq),
      limit: max + 1,
    })) {
      const seq = seqOf(k);
      if (seq <= this.highestTaken && !this.handedOut.has(seq)) continue; // acknowledged, delete not yet written
      const value = this.decode(v);
      if (!value) {
        await this.quarantine(k, v);
        continue;
      }
      if (out.length === max) {
        this.nextUntakenAt = value.a;
        break;
      }
      out.push({ seq, topic: value.t, payload: value.p, acceptedAt: value.a });
      if (!this.handedOut.has(seq)) this.handedOut.set(seq, { size: k.length + v.length, at: value.a });
    }
    if (out.length > 0) this.cursor = out.at(-1)!.seq;
    else this.cursor = this.durableSeq;
    this.highestTaken = Math.max(this.highestTaken, this.cursor);
    return out;
  }

  waitForEntries(signal?: AbortSignal): Promise<void> {
    if (this.cursor < this.durableSeq) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  ack(seq: number): void {
    const held = this.handedOut.get(seq);
    if (!held) return; // dropped meanwhile, or acknowledged twice
    this.handedOut.delete(seq);
    this.deletes.push({ seq, size: held.size });
    this.counts.acked++;
    this.kick();
  }

  rewind(): void {
    const first = this.handedOut.keys().next();
    if (!first.done) this.cursor = Math.min(this.cursor, first.value - 1);
  }

  stats(): OutboxStats & { quarantined: number; batches: number } {
    const oldest = this.handedOut.values().next();
    return {
      depth: this.depth,
      bytes: this.bytes,
      ...(oldest.done
        ? this.nextUntakenAt !== undefined
          ? { oldestAt: this.nextUntakenAt }
          : {}
        : { oldestAt: oldest.value.at }),
      appended: this.counts.appended,
      acked: this.counts.acked,
      dropped: this.counts.dropped,
      ...(this.firstDropped ? { firstDropped: this.firstDropped } : {}),
      ...(this.lastDropped ? { lastDropped: this.lastDropped } : {}),
      lastSeq: this.lastSeq,
      quarantined: this.counts.quarantined,
      batches: this.counts.batches,
    };
  }

  private decode(v: string): { t: string; p: string; a: number } | undefined {
    try {
      const r = JSON.parse(v);
      return typeof r?.t === 'string' && typeof r.p === 'string' && typeof r.a === 'number' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Moves an undecodable record aside (q!...), counts and logs it: never a crash, never a silent skip. */
  private async quarantine(k: string, v: string): Promise<void> {
    this.counts.quarantined++;
    this.log.error({ key: k, bytes: v.length }, 'outbox record cannot be decoded: moved to quarantine');
    this.deletes.push({ seq: seqOf(k), size: k.length + v.length });
    await this.db?.put(`q!${k.slice(2)}`, v);
    this.kick();
  }

  private kick(): void {
    if (this.writer || !this.db) return;
    this.writer = this.writeLoop().finally(() => {
      this.writer = undefined;
      if (this.appends.length > 0 || this.deletes.length > 0) this.kick();
    });
  }

  private async writeLoop(): Promise<void> {
    await Promise.resolve(); // let appends made in the same tick join this batch
    while (this.db && (this.appends.length > 0 || this.deletes.length > 0)) {
      const batch = this.appends.splice(0, this.options.batchMax);
      const deletes = this.deletes.splice(0);
      const ops: Op[] = deletes.map((d) => ({ type: 'del', key: key(d.seq) }));
      const deleting = new Set(deletes.map((d) => d.seq));
      let depth = this.depth - deletes.length;
      let bytes = deletes.reduce((b, d) => b - d.size, this.bytes);
      const outcome: boolean[] = [];
      const drops: { seq: number; at: number; size: number }[] = [];
      const stored: { seq: number; size: number; at: number }[] = [];
      for (const { entry } of batch) {
        const value = encode(entry);
        const size = key(entry.seq).length + value.length;
        const fits = () => depth + 1 <= this.options.maxEvents && bytes + size <= this.options.maxBytes;
        if (!fits() && this.options.overflow === 'drop-oldest' && size <= this.options.maxBytes) {
          const victims = await this.oldest(
            depth + 1 - this.options.maxEvents,
            bytes + size - this.options.maxBytes,
            deleting,
          );
          for (const v of victims) {
            ops.push({ type: 'del', key: key(v.seq) });
            depth--;
            bytes -= v.size;
            drops.push(v);
          }
          // Still full: the oldest are earlier entries of this very batch (accepted, then dropped).
          while (!fits() && stored.length > 0) {
            const v = stored.shift()!;
            ops.splice(
              ops.findIndex((op) => op.type === 'put' && op.key === key(v.seq)),
              1,
            );
            depth--;
            bytes -= v.size;
            drops.push({ seq: v.seq, at: v.at, size: v.size });
          }
        }
        if (!fits()) {
          outcome.push(false);
          drops.push({ seq: entry.seq, at: entry.acceptedAt, size: 0 });
          continue;
        }
        ops.push({ type: 'put', key: key(entry.seq), value });
        stored.push({ seq: entry.seq, size, at: entry.acceptedAt });
        depth++;
        bytes += size;
        outcome.push(true);
      }
      const highest = batch.length > 0 ? batch.at(-1)!.entry.seq : this.durableSeq;
      ops.push({
        type: 'put',
        key: STATE,
        value: JSON.stringify({ lastSeq: Math.max(highest, this.durableSeq), depth, bytes }),
      });
      try {
        await this.db.batch(ops, { sync: this.options.sync === true });
      } catch (err) {
        this.deletes.unshift(...deletes);
        for (const p of batch) p.reject(err as Error);
        this.log.error({ err }, 'outbox write failed');
        return;
      }
      this.counts.batches++;
      // Entries below the first one in flight were all acknowledged or dropped: deleted.
      const inFlight = this.handedOut.keys().next();
      this.floor = Math.max(this.floor, inFlight.done ? this.cursor + 1 : inFlight.value);
      this.depth = depth;
      this.bytes = bytes;
      this.durableSeq = Math.max(this.durableSeq, highest);
      for (const d of drops) this.recordDrop(d);
      if (this.nextUntakenAt === undefined && stored.length > 0 && this.cursor < this.durableSeq) {
        this.nextUntakenAt = batch[0]!.entry.acceptedAt;
      }
      batch.forEach((p, i) => {
        if (outcome[i]) this.counts.appended++;
        p.resolve(outcome[i]!);
      });
      if (stored.length > 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  private recordDrop(d: { seq: number; at: number }): void {
    this.counts.dropped++;
    this.handedOut.delete(d.seq);
    this.firstDropped ??= { seq: d.seq, at: d.at };
    this.lastDropped = { seq: d.seq, at: d.at };
    if (this.counts.dropped === 1 || this.counts.dropped % 1000 === 0) {
      this.log.warn(
        { dropped: this.counts.dropped, seq: d.seq, policy: this.options.overflow },
        'outbox full: event dropped',
      );
    }
  }

  /** The oldest stored entries (already written) to drop so that `events` fewer and `bytes` fewer fit. */
  private async oldest(events: number, bytes: number, deleting: Set<number>) {
    const victims: { seq: number; at: number; size: number }[] = [];
    let freed = 0;
    const enough = () => victims.length >= events && freed >= bytes;
    for await (const [k, v] of this.db!.iterator({ gte: key(this.floor), lt: 'e~' })) {
      if (enough()) break;
      const seq = seqOf(k);
      if (deleting.has(seq)) continue;
      victims.push({ seq, at: this.decode(v)?.a ?? 0, size: k.length + v.length });
      freed += k.length + v.length;
      this.floor = seq + 1;
      if (seq > this.cursor) this.cursor = seq; // never hand out a dropped entry
    }
    return victims;
  }
}
