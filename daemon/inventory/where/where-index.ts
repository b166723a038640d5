/**
 * The where-is index: each unit's last event, in the inventory store, bounded in units and age.
 *
 * Contract:
 * - `eventNumbered` (the read path) only remembers the event in memory, by unit: a unit seen
 *   again before the next flush keeps only its newest event. Flushes write the remembered events
 *   to LevelDB in one batch every `flushMs` (sooner when many are waiting), never fsynced one by
 *   one; `stop()` flushes what is left. A crash loses at most the last flush interval of sightings
 *   (the events themselves are in the outbox).
 * - At most `maxPending` units wait in memory; beyond it, sightings of further units are not
 *   remembered and counted (`missed`) until a flush has made room: memory stays bounded when the
 *   disk is slow.
 * - The index keeps at most `maxUnits` sightings: each flushed sighting is one, and a unit seen
 *   again keeps its older one in the eviction order until that is the oldest (passed over then,
 *   the unit stays). So a unit is remembered while its last sighting is among the newest
 *   `maxUnits` and not older than `maxAgeMs`; after each flush the others are forgotten (counted
 *   as `evictions`), oldest first. Writes are blind: no unit is read before it is written.
 * - `find(key)` answers from memory first, then from the store: what was seen is found at once.
 *
 * Layout in its part of the store: `u!<unit key>` -> `<order>\t<the LastSeen (encodeLastSeen)>`;
 * `s!<order, 16 digits>` -> `<event time ms> <unit key>` (the eviction order); `m!count` ->
 * sightings kept (the `s!` entries); `m!order` -> the last order given. The order is the index's
 * own count of sightings written, not the events' sequence numbers: those start again at 1 with a
 * new outbox, which would put new sightings before old ones.
 */
import type { Logger } from '../../log.js';
import type { InventoryPart } from '../inventory-store.js';
import type { EventObserver, NumberedEvent } from '../observers.js';
import { decodeLastSeen, encodeLastSeen, type LastSeen, lastSeenOf } from './last-seen.js';
import { unitKey } from './unit-key.js';

export interface WhereIndexOptions {
  readonly maxUnits: number;
  readonly maxAgeMs: number;
  readonly flushMs: number;
  /** Units waiting for a flush at most. */
  readonly maxPending?: number;
  /** Wall clock, ms (tests give their own). */
  readonly now?: () => number;
}

export interface WhereIndexCounters {
  readonly sightings: number;
  readonly pending: number;
  readonly evictions: number;
  readonly missed: number;
  readonly flushes: number;
  readonly writeErrors: number;
}

const COUNT_KEY = 'm!count';
const ORDER_KEY = 'm!order';
/** A flush starts early once this many units wait. */
const FLUSH_AT = 4096;
/** Evicted in one batch at most; the rest go at the next flush. */
const EVICT_BATCH = 10_000;
const DEFAULT_MAX_PENDING = 50_000;
/** Longest a key may be (a plain-serial pattern's URI); a longer unit is not indexed. */
const MAX_KEY_LENGTH = 1024;

type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/** A unit's last event as the store has it (what `readpoint where` reads when no daemon runs). */
export async function findStored(part: InventoryPart, key: string): Promise<LastSeen | undefined> {
  const text = await part.get(`u!${key}`);
  return text === undefined ? undefined : decodeLastSeen(text.slice(text.indexOf('\t') + 1));
}

const orderKey = (order: number) => `s!${String(order).padStart(16, '0')}`;
/** The order a stored record was written in (its first field). */
const storedOrder = (text: string) => Number(text.slice(0, text.indexOf('\t')));

export class WhereIndex implements EventObserver {
  private pending = new Map<string, LastSeen>();
  private flushing: ReadonlyMap<string, LastSeen> = new Map();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sightings = 0;
  private order = 0;
  private evictions = 0;
  private missed = 0;
  private flushes = 0;
  private writeErrors = 0;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(
    private readonly part: InventoryPart,
    private readonly options: WhereIndexOptions,
    private readonly log?: Logger,
  ) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.now = options.now ?? Date.now;
  }

  /** Reads the count of units indexed and starts the flush timer. */
  async start(): Promise<void> {
    const [count, order] = await this.part.getMany([COUNT_KEY, ORDER_KEY]);
    this.sightings = Number(count ?? 0) || 0;
    this.order = Number(order ?? 0) || 0;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
    // A smaller maxUnits or maxAge than the index was kept with applies at once.
    await this.flush();
  }

  /** Stops the timer and writes what waits. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  eventNumbered(event: NumberedEvent): void {
    const key = unitKey(event.sighting.identity);
    if (key.length > MAX_KEY_LENGTH) return;
    if (this.pending.size >= this.maxPending && !this.pending.has(key)) {
      if (this.missed++ === 0)
        this.log?.warn({ maxPending: this.maxPending }, 'where-is index behind: sightings not indexed');
      return;
    }
    this.pending.set(key, lastSeenOf(event));
    if (this.pending.size >= FLUSH_AT && !this.running) void this.flush();
  }

  /** The unit's last event, or undefined when it was not seen (or was forgotten). */
  async find(key: string): Promise<LastSeen | undefined> {
    return this.pending.get(key) ?? this.flushing.get(key) ?? findStored(this.part, key);
  }

  counters(): WhereIndexCounters {
    return {
      sightings: this.sightings,
      pending: this.pending.size + this.flushing.size,
      evictions: this.evictions,
      missed: this.missed,
      flushes: this.flushes,
      writeErrors: this.writeErrors,
    };
  }

  /** Writes what waits and evicts; one flush at a time (a flush asked during one follows it). */
  flush(): Promise<void> {
    const after = this.running ?? Promise.resolve();
    const next = after.then(() => this.flushNow());
    this.running = next;
    void next.finally(() => {
      if (this.running === next) this.running = undefined;
    });
    return next;
  }

  private async flushNow(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = batch;
    try {
      if (batch.size > 0) await this.write(batch);
      await this.evict();
      this.flushes++;
    } catch (err) {
      // The store could not be written: the sightings are put back unless newer ones came.
      if (this.writeErrors++ === 0) this.log?.error({ err }, 'where-is index not written');
      for (const [key, seen] of batch) if (!this.pending.has(key)) this.pending.set(key, seen);
    } finally {
      this.flushing = new Map();
    }
  }

  private async write(batch: ReadonlyMap<string, LastSeen>): Promise<void> {
    // Blind writes: a unit seen before keeps its older sighting in the eviction order until that
    // is the oldest (evict() then passes over it); reading every unit first would cost more.
    const ops: Op[] = [];
    let order = this.order;
    for (const [key, seen] of batch) {
      order++;
      ops.push({ type: 'put', key: `u!${key}`, value: `${order}\t${encodeLastSeen(seen)}` });
      ops.push({ type: 'put', key: orderKey(order), value: `${seen.time} ${key}` });
    }
    const sightings = this.sightings + batch.size;
    ops.push({ type: 'put', key: COUNT_KEY, value: String(sightings) });
    ops.push({ type: 'put', key: ORDER_KEY, value: String(order) });
    await this.part.batch(ops);
    this.sightings = sightings;
    this.order = order;
  }

  /**
   * Drops the oldest sightings beyond maxUnits and those older than maxAgeMs; a unit is forgotten
   * with its last sighting (an older one of a unit seen since is only dropped).
   */
  private async evict(): Promise<void> {
    const oldest = this.now() - this.options.maxAgeMs;
    const dropped: { orderKey: string; order: number; key: string }[] = [];
    for await (const [k, value] of this.part.iterator({ gte: 's!', lt: 's"', limit: EVICT_BATCH })) {
      const space = value.indexOf(' ');
      const time = Number(value.slice(0, space));
      if (this.sightings - dropped.length <= this.options.maxUnits && time >= oldest) break;
      dropped.push({ orderKey: k, order: Number(k.slice(2)), key: value.slice(space + 1) });
    }
    if (dropped.length === 0) return;
    const current = await this.part.getMany(dropped.map((d) => `u!${d.key}`));
    const ops: Op[] = [];
    let forgotten = 0;
    for (let i = 0; i < dropped.length; i++) {
      const d = dropped[i]!;
      ops.push({ type: 'del', key: d.orderKey });
      const text = current[i];
      if (text !== undefined && storedOrder(text) === d.order) {
        ops.push({ type: 'del', key: `u!${d.key}` });
        forgotten++;
      }
    }
    const sightings = this.sightings - dropped.length;
    ops.push({ type: 'put', key: COUNT_KEY, value: String(sightings) });
    await this.part.batch(ops);
    this.evictions += forgotten;
    this.sightings = sightings;
  }
}
