/**
 * The LevelDB outbox (the contract is in outbox.ts). Entries live under `e!<seq>` (batch-plan.ts);
 * `m!state` holds the high-water sequence number, the depth and the byte count, and `m!drops` the
 * drop ledger (drop-ledger.ts); both are written in the same atomic batch as every change, so a
 * crash at any moment leaves them consistent with the entries. Notes the daemon keeps across
 * restarts ride along in the same batches (notes.ts).
 *
 * One writer loop does all writes: appends gathered while a write is in flight go out together
 * (group commit) with the deletes of acknowledged entries and of overflow drops. When and how it
 * fsyncs, and how it rides out a failing disk, is in durability.ts. What a group commit stored
 * stays in memory until taken (live-tail.ts), so live entries go out without a read of the store.
 */
import type { Logger } from '../log.js';
import { AppendGroup } from './appends.js';
import {
  type Deletion,
  DROPS_KEY,
  decodeEntry,
  ENTRY_KEY_LENGTH,
  encodeEntry,
  type Held,
  type Op,
  type Plan,
  planBatch,
  type Quarantine,
  STATE_KEY,
  seqOf,
} from './batch-plan.js';
import { keepPrivate } from './data-dir.js';
import { Delivery } from './delivery.js';
import { DropLedger } from './drop-ledger.js';
import { SyncSchedule } from './durability.js';
import { storedBytes } from './entry-bytes.js';
import { AppendHold, StallClock } from './hold.js';
import { LiveTail } from './live-tail.js';
import { NOTE_PREFIX, OutboxNotes } from './notes.js';
import type { OutboxOptions, OutboxSeams } from './options.js';
import type { DropCut, DropLedgerSource, Outbox, OutboxEntry, OutboxStats } from './outbox.js';
import { RateMeter, runwaySeconds } from './rates.js';
import { OutboxStore } from './store.js';

export type { OutboxOptions, OutboxSeams } from './options.js';
export type LevelOutboxStats = OutboxStats & { quarantined: number; batches: number; syncs: number };

export class LevelOutbox implements Outbox, DropLedgerSource {
  private readonly store: OutboxStore;
  private isOpen = false;
  private lastSeq = 0;
  private durableSeq = 0;
  /** Highest sequence number ever settled (stored, refused or dropped). */
  private settledSeq = 0;
  private depth = 0;
  private bytes = 0;
  private delivery = new Delivery();
  private held = new AppendHold(0, 0);
  private deletes: Deletion[] = [];
  private quarantines = new Map<string, Quarantine>();
  private waitingForRoom = false;
  private released = false;
  private writer: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private counts = { appended: 0, appendedBytes: 0, acked: 0, ackedBytes: 0, dropped: 0 };
  /** Events delivered or dropped when the store was last compacted. */
  private removedAtCompaction = 0;
  private quarantined = 0;
  private batches = 0;
  private firstDropped: { seq: number; at: number } | undefined;
  private lastDropped: { seq: number; at: number } | undefined;
  private stall = new StallClock();
  private ledger = new DropLedger();
  private notes = new OutboxNotes();
  private meter = new RateMeter();
  private syncs: SyncSchedule;
  private readonly now: () => number;

  constructor(
    private readonly dir: string,
    private readonly options: OutboxOptions,
    private readonly log: Logger,
    private readonly seams: OutboxSeams = {},
  ) {
    this.now = seams.now ?? Date.now;
    this.syncs = this.syncSchedule();
    this.store = new OutboxStore(
      dir,
      {
        retry: seams.retry ?? { minMs: 100, maxMs: 5000 },
        logEveryMs: seams.logEveryMs ?? 60_000,
        now: this.now,
        ...(seams.writeBatch ? { writeBatch: seams.writeBatch } : {}),
        ...(seams.freeBytes ? { freeBytes: seams.freeBytes } : {}),
        minFreeBytes: seams.minFreeBytes ?? 1024 * 1024,
        reopened: () => {
          this.kick();
          if (this.delivery.hasUntaken(this.durableSeq)) for (const w of this.waiters.splice(0)) w();
        },
        held: () => ({ events: this.held.length, bytes: this.held.bytes }),
        ...(options.level ? { level: options.level } : {}),
      },
      log,
    );
  }

  async open(): Promise<void> {
    await keepPrivate(this.dir);
    const db = await this.store.open();
    this.reset();
    const state = await db.get(STATE_KEY);
    if (state !== undefined)
      ({ lastSeq: this.lastSeq, depth: this.depth, bytes: this.bytes } = JSON.parse(state));
    this.ledger = DropLedger.parse(await db.get(DROPS_KEY));
    for await (const k of db.keys({ gte: 'e!', lt: 'e~', reverse: true, limit: 1 }))
      this.lastSeq = Math.max(this.lastSeq, seqOf(k));
    this.lastSeq = Math.max(this.lastSeq, this.ledger.highestSeq);
    this.durableSeq = this.settledSeq = this.lastSeq;
    let first: { seq: number; at: number | undefined } | undefined;
    for await (const [k, v] of db.iterator({ gte: 'e!', lt: 'e~', limit: 1 }))
      first = { seq: seqOf(k), at: decodeEntry(v)?.a };
    this.delivery = new Delivery(first, this.newTail());
    this.notes.load(await db.iterator({ gte: NOTE_PREFIX, lt: `${NOTE_PREFIX}~` }).all());
    this.isOpen = true;
    this.log.info(
      {
        depth: this.depth,
        bytes: this.bytes,
        lastSeq: this.lastSeq,
        unannouncedDrops: this.ledger.unannounced,
      },
      'outbox open',
    );
  }

  /**
   * Writes what is pending and closes the store. Appends waiting for room go in past the limit
   * (a clean stop loses nothing); appends held for a store that cannot be written are rejected.
   */
  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.released = true;
    if (this.store.db && this.syncs.pending) this.syncs.due = true;
    this.kick();
    while (this.writer) await this.writer;
    this.refuseHeld('outbox closed before the event could be stored', false);
    this.notes.abandon();
    this.syncs.dispose();
    this.noteStall();
    await this.delivery.stopReading();
    await this.store.close();
  }

  /**
   * At a stop, before the readers are stopped: appends waiting for room are written past the
   * limit, and while the store fails the held appends are refused, so pending reads settle.
   * Returns true when the store was failing.
   */
  release(): boolean {
    this.released = true;
    const failing = this.store.trouble.current;
    if (failing !== undefined) {
      this.refuseHeld(`outbox cannot write (${failing}): event not stored`, true);
      return true;
    }
    this.kick();
    return false;
  }

  /** A note kept across restarts (notes.ts): the latest value, or the one read at open. */
  note(name: string): string | undefined {
    return this.notes.kept(name);
  }

  /** Keeps a note; it is written with the next batch, or at `close()` (notes.ts). */
  keepNote(name: string, value: string): Promise<boolean> {
    const written = this.notes.keep(name, value);
    if (this.isOpen) this.kick();
    return written;
  }

  nextSequence(): number {
    return ++this.lastSeq;
  }

  append(entry: OutboxEntry): Promise<boolean> {
    return new Promise((resolve, reject) =>
      this.hold([entry], new AppendGroup(1, (o) => resolve(o[0]!), reject)),
    );
  }

  appendAll(entries: readonly OutboxEntry[]): Promise<boolean[]> {
    return new Promise((resolve, reject) =>
      this.hold(entries, new AppendGroup(entries.length, resolve, reject)),
    );
  }

  async take(max: number): Promise<OutboxEntry[]> {
    if (!this.delivery.hasUntaken(this.durableSeq)) return [];
    // Once closed, nothing is handed out (as from a closed store).
    const kept = this.isOpen ? this.delivery.takeKept(max, this.durableSeq) : undefined;
    if (kept) return kept;
    return this.store.reading([], (db) =>
      this.delivery.take(db, max, this.durableSeq, (k, v) => this.quarantine(k, v)),
    );
  }

  async takeLive(max: number): Promise<OutboxEntry[]> {
    if (!this.delivery.hasLive(this.durableSeq)) return [];
    const kept = this.isOpen ? this.delivery.takeKept(max, this.durableSeq, true) : undefined;
    if (kept) return kept;
    return this.store.reading([], (db) =>
      this.delivery.take(db, max, this.durableSeq, (k, v) => this.quarantine(k, v), true),
    );
  }

  splitBacklog(): number | undefined {
    return this.delivery.split(this.durableSeq);
  }

  replaying(): boolean {
    return this.delivery.replaying;
  }

  waitForEntries(signal?: AbortSignal): Promise<void> {
    if (this.store.readableNow && this.delivery.hasUntaken(this.durableSeq)) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  ack(seq: number): void {
    const size = this.delivery.ack(seq);
    if (size === undefined) return; // acknowledged twice
    this.deletes.push({ seq, size });
    this.counts.acked++;
    this.counts.ackedBytes += size;
    this.kick();
  }

  rewind(): void {
    this.delivery.rewind();
  }

  cutDrops(maxRanges: number): DropCut | undefined {
    return this.ledger.cut(maxRanges);
  }

  confirmDrops(cut: DropCut): void {
    this.ledger.confirm(cut);
    this.kick();
  }

  /**
   * Compacts the range of deleted events once `minRemoved` events were delivered or dropped since
   * the last compaction: LevelDB frees their disk space only when it compacts their files, so a
   * store that drained a large backlog stays large until then. Returns what was done, or
   * undefined when it was not due (or the store is closed or failed).
   */
  async compact(minRemoved: number): Promise<{ readonly removed: number; readonly ms: number } | undefined> {
    const removed = this.counts.acked + this.counts.dropped - this.removedAtCompaction;
    if (removed < minRemoved || !this.isOpen || !this.store.db) return undefined;
    const started = performance.now();
    // The drain's reader holds a snapshot: what it still sees (every entry deleted since it
    // opened, and the table files the compaction rewrites) could not be freed. The next take
    // opens another.
    await this.delivery.stopReading();
    const done = await this.store.reading(false, async (db) => {
      let end = 'e~';
      for await (const k of db.keys({ gte: 'e!', lt: 'e~', limit: 1 })) end = k;
      // classic-level (the Node side of `level`) has it; the `Level` type does not declare it.
      await (db as unknown as { compactRange(a: string, b: string): Promise<void> }).compactRange('e!', end);
      return true;
    });
    if (!done) return undefined;
    this.removedAtCompaction += removed;
    return { removed, ms: performance.now() - started };
  }

  stats(): LevelOutboxStats {
    const now = this.now();
    this.meter.sample(now, this.counts);
    const rates = this.meter.rates(now, this.counts);
    const oldestAt = this.delivery.oldestAt();
    const writeError = this.store.trouble.current;
    return {
      depth: this.depth,
      bytes: this.bytes,
      ...(oldestAt !== undefined ? { oldestAt } : {}),
      appended: this.counts.appended,
      acked: this.counts.acked,
      dropped: this.counts.dropped,
      ...(this.firstDropped ? { firstDropped: this.firstDropped } : {}),
      ...(this.lastDropped ? { lastDropped: this.lastDropped } : {}),
      lastSeq: this.lastSeq,
      policy: this.options.overflow,
      appendRate: rates.appendRate,
      ackRate: rates.ackRate,
      runwayS: runwaySeconds(
        { events: this.options.maxEvents - this.depth, bytes: this.options.maxBytes - this.bytes },
        rates,
      ),
      readingStopped: this.readingStopped(),
      stalledMs: this.stall.totalMs(now),
      stalls: this.stall.count,
      held: this.held.length,
      ...(writeError !== undefined ? { writeError } : {}),
      unannouncedDrops: this.ledger.unannounced,
      totalDropped: this.ledger.total,
      quarantined: this.quarantined,
      replaying: this.delivery.replaying,
      batches: this.batches,
      syncs: this.syncs.syncs,
    };
  }

  private reset(): void {
    this.lastSeq = this.durableSeq = this.settledSeq = this.depth = this.bytes = 0;
    this.delivery = new Delivery(undefined, this.newTail());
    this.held = new AppendHold(
      this.seams.holdEvents ?? this.options.batchMax * 8,
      this.seams.holdBytes ?? 16 * 1024 * 1024,
    );
    this.deletes = [];
    this.quarantines = new Map();
    this.waitingForRoom = this.released = false;
    this.counts = { appended: 0, appendedBytes: 0, acked: 0, ackedBytes: 0, dropped: 0 };
    this.removedAtCompaction = 0;
    this.quarantined = this.batches = 0;
    this.firstDropped = this.lastDropped = undefined;
    this.stall = new StallClock();
    this.meter = new RateMeter();
    this.syncs.dispose();
    this.syncs = this.syncSchedule();
  }

  /** The newest entries kept in memory from this point on (live-tail.ts). */
  private newTail(): LiveTail {
    const o = this.options;
    return new LiveTail(o.liveTailEvents ?? 4096, o.liveTailBytes ?? 4 * 1024 * 1024, this.durableSeq);
  }

  private syncSchedule(): SyncSchedule {
    const o = this.options;
    return new SyncSchedule(o.sync ?? 'batch', o.syncIntervalMs ?? 100, this.now, () => this.kick());
  }

  /** Moves an undecodable record aside (q!...) in the next batch: never a crash, never a silent skip. */
  private quarantine(k: string, v: string): void {
    if (this.quarantines.has(k)) return;
    this.quarantined++;
    this.log.error({ key: k, bytes: v.length }, 'outbox record cannot be decoded: moved to quarantine');
    this.quarantines.set(k, { key: k, value: v, seq: seqOf(k), size: k.length + v.length });
    this.kick();
  }

  private kick(): void {
    if (this.writer || !this.store.db) return;
    this.writer = this.writeLoop().finally(() => {
      this.writer = undefined;
      if (this.hasWork()) this.kick();
    });
  }

  private hasWork(): boolean {
    if (
      this.deletes.length > 0 ||
      this.quarantines.size > 0 ||
      this.ledger.dirty ||
      this.syncs.due ||
      this.notes.hasPending()
    )
      return true;
    if (this.held.length === 0) return false;
    return !this.waitingForRoom || this.released || this.belowLowWater();
  }

  /** stop-reading resumes at or below these (the planner and hasWork() must agree, or the writer spins). */
  private lowWater(): { events: number; bytes: number } {
    const share = this.seams.resumeAt ?? 0.95;
    return {
      events: Math.floor(this.options.maxEvents * share),
      bytes: Math.floor(this.options.maxBytes * share),
    };
  }

  private belowLowWater(): boolean {
    const low = this.lowWater();
    return this.depth <= low.events && this.bytes <= low.bytes;
  }

  private async writeLoop(): Promise<void> {
    await Promise.resolve(); // let appends made in the same tick join this batch
    for (let db = this.store.db; db && this.hasWork(); db = this.store.db) {
      const low = this.lowWater();
      this.delivery.beginPlan();
      const plan = await planBatch({
        held: this.held.entries,
        deletes: this.deletes.slice(),
        quarantines: [...this.quarantines.values()],
        depth: this.depth,
        bytes: this.bytes,
        limits: {
          maxEvents: this.options.maxEvents,
          maxBytes: this.options.maxBytes,
          batchMax: this.options.batchMax,
          lowEvents: low.events,
          lowBytes: low.bytes,
          policy: this.options.overflow,
        },
        waiting: this.waitingForRoom,
        released: this.released,
        victims: (events, bytes) => this.delivery.victims(db, events, bytes, (k) => this.quarantines.has(k)),
      });
      const settled = Math.max(this.durableSeq, this.settledSeq, plan.highest);
      const ops: Op[] = [
        ...plan.ops,
        {
          type: 'put',
          key: STATE_KEY,
          value: JSON.stringify({ lastSeq: settled, depth: plan.depth, bytes: plan.bytes }),
        },
      ];
      const ledgerVersion = this.ledger.version;
      if (plan.drops.length > 0 || this.ledger.dirty)
        ops.push({ type: 'put', key: DROPS_KEY, value: this.ledger.serialize(plan.drops) });
      const notes = this.notes.ops();
      ops.push(...notes.ops);
      const sync = this.syncs.wanted(plan.admitted.length > 0);
      try {
        await this.store.write(db, ops, sync);
      } catch (err) {
        this.failed(plan, err);
        return;
      }
      this.notes.written(notes.snapshot);
      this.commit(plan, sync, ledgerVersion);
    }
  }

  private commit(plan: Plan, synced: boolean, ledgerVersion: number): void {
    this.batches++;
    this.syncs.written(synced);
    this.store.trouble.recovered();
    this.delivery.deleted(this.deletes.splice(0, plan.deletes).map((d) => d.seq));
    for (const q of plan.quarantines) this.quarantines.delete(q.key);
    this.held.settleFirst(plan.admitted.length);
    this.delivery.dropped(plan.victims);
    this.depth = plan.depth;
    this.bytes = plan.bytes;
    this.durableSeq = Math.max(this.durableSeq, plan.highest);
    this.settledSeq = Math.max(this.settledSeq, plan.highest);
    const untouched = this.ledger.version === ledgerVersion;
    for (const d of plan.drops) this.recordDrop(d);
    if (untouched) this.ledger.markWritten(this.ledger.version);
    if (plan.waiting !== this.waitingForRoom) {
      this.waitingForRoom = plan.waiting;
      if (plan.waiting)
        this.log.warn(
          { depth: this.depth, maxEvents: this.options.maxEvents, policy: 'stop-reading' },
          'outbox full: reading stopped until it drains below the low-water mark',
        );
      else this.log.info({ depth: this.depth }, 'outbox has room: reading resumed');
    }
    for (let i = 0; i < plan.admitted.length; i++) {
      const h = plan.admitted[i]!;
      if (plan.outcomes[i]) this.delivery.keep(h.entry, h.size);
    }
    this.counts.appended += plan.stored;
    this.counts.appendedBytes += plan.storedBytes;
    if (plan.stored > 0)
      this.delivery.stored(plan.admitted.find((_, i) => plan.outcomes[i])?.entry.acceptedAt, this.durableSeq);
    for (let i = 0; i < plan.admitted.length; i++) {
      const h = plan.admitted[i]!;
      h.group.settle(h.index, plan.outcomes[i]!);
    }
    this.meter.sample(this.now(), this.counts);
    this.noteStall();
    if (plan.stored > 0) for (const w of this.waiters.splice(0)) w();
  }

  /** A write failed: nothing of the plan happened. The store reopens later and the loop resumes. */
  private failed(plan: Plan, err: unknown): void {
    for (const h of plan.admitted) h.writing = false;
    this.delivery.kept(plan.victims);
    this.store.failed(err);
    this.noteStall();
  }

  /** Holds appends for the next group commit (or refuses them all, closed or failing at a stop). */
  private hold(entries: readonly OutboxEntry[], group: AppendGroup): void {
    const failing = this.store.trouble.current;
    const refusal = !this.isOpen
      ? 'outbox is not open'
      : this.released && failing !== undefined
        ? `outbox cannot write (${failing}): event not stored`
        : undefined;
    if (refusal !== undefined) {
      const err = new Error(refusal);
      for (let i = 0; i < entries.length; i++) group.refuse(i, err);
      return;
    }
    for (let index = 0; index < entries.length; index++) {
      const e = entries[index]!;
      // A text payload is stored as text. Made into bytes here, once, it measured no less CPU, and
      // the bytes sat outside the JS heap, where the heap's bound (memory-budget.ts) does not count
      // them: a 1,000,000-event outage held 16-34 MB more RssAnon until old space was collected.
      let h: Held;
      if (typeof e.payload === 'string') {
        const value = encodeEntry(e as OutboxEntry & { readonly payload: string });
        // The payload kept in the live tail and published is a slice of the stored text. An event's
        // text is built from pieces, and each native use copies such a text into one piece: the
        // put did so for the stored text and the publish again for the payload. The slice makes the
        // stored text one piece here, once, and the payload a view into it (the same characters).
        const entry: OutboxEntry = { ...e, payload: value.slice(value.length - e.payload.length) };
        h = { entry, value, size: ENTRY_KEY_LENGTH + value.length, writing: false, group, index };
      } else {
        // Bytes given are stored, kept in the tail and published as they are.
        const { value, payload, size } = storedBytes(e);
        const entry: OutboxEntry = { seq: e.seq, topic: e.topic, payload, acceptedAt: e.acceptedAt };
        h = { entry, value, size: ENTRY_KEY_LENGTH + size, writing: false, group, index };
      }
      if (failing !== undefined && !this.held.makeRoom(h, this.options.overflow, (d) => this.dropHeld(d)))
        continue;
      this.held.push(h);
    }
    this.noteStall();
    this.kick();
  }

  private dropHeld(h: Held): void {
    this.settledSeq = Math.max(this.settledSeq, h.entry.seq);
    this.recordDrop({ seq: h.entry.seq, at: h.entry.acceptedAt });
    h.group.settle(h.index, false);
  }

  private recordDrop(d: { seq: number; at: number }): void {
    this.counts.dropped++;
    this.ledger.record(d.seq, d.at);
    this.firstDropped ??= { seq: d.seq, at: d.at };
    this.lastDropped = { seq: d.seq, at: d.at };
    if (this.counts.dropped === 1 || this.counts.dropped % 1000 === 0) {
      this.log.warn(
        { dropped: this.counts.dropped, seq: d.seq, policy: this.options.overflow },
        'outbox full: event dropped',
      );
    }
  }

  private refuseHeld(reason: string, exceptWriting: boolean): void {
    const refused = this.held.takeAll(exceptWriting);
    if (refused.length > 0) this.log.error({ events: refused.length }, reason);
    const err = new Error(reason);
    for (const h of refused) h.group.refuse(h.index, err);
    this.noteStall();
  }

  private readingStopped(): boolean {
    return this.held.length > 0 && (this.waitingForRoom || this.store.trouble.current !== undefined);
  }

  private noteStall(): void {
    this.stall.set(this.readingStopped(), this.now());
  }
}
