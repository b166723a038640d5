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
 * - After each flush, the units whose last event is older than `maxAgeMs`, and the oldest beyond
 *   `maxUnits`, are forgotten (counted as `evictions`), in the order they were last seen.
 * - `find(key)` answers from memory first, then from the store: what was seen is found at once.
 *
 * Layout in its part of the store: `u!<unit key>` -> the LastSeen JSON; `s!<sequence, 16
 * digits>` -> `<event time ms> <unit key>` (the eviction order); `m!count` -> units indexed.
 */
import type { Logger } from '../../log.js';
import type { InventoryPart } from '../inventory-store.js';
import type { EventObserver, NumberedEvent } from '../observers.js';
import { type LastSeen, lastSeenOf, parseLastSeen } from './last-seen.js';
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
  readonly units: number;
  readonly pending: number;
  readonly evictions: number;
  readonly missed: number;
  readonly flushes: number;
  readonly writeErrors: number;
}

const COUNT_KEY = 'm!count';
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
  return text === undefined ? undefined : parseLastSeen(text);
}

const seqKey = (seq: number) => `s!${String(seq).padStart(16, '0')}`;

export class WhereIndex implements EventObserver {
  private pending = new Map<string, LastSeen>();
  private flushing: ReadonlyMap<string, LastSeen> = new Map();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private units = 0;
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
    const count = await this.part.get(COUNT_KEY);
    this.units = count === undefined ? 0 : Number(count) || 0;
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
      units: this.units,
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
    const keys = [...batch.keys()];
    const before = await this.part.getMany(keys.map((k) => `u!${k}`));
    const ops: Op[] = [];
    let units = this.units;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const seen = batch.get(key)!;
      const old = before[i] === undefined ? undefined : parseLastSeen(before[i]!);
      if (before[i] === undefined) units++;
      else if (old) ops.push({ type: 'del', key: seqKey(old.sequence) });
      ops.push({ type: 'put', key: `u!${key}`, value: JSON.stringify(seen) });
      ops.push({ type: 'put', key: seqKey(seen.sequence), value: `${seen.time} ${key}` });
    }
    ops.push({ type: 'put', key: COUNT_KEY, value: String(units) });
    await this.part.batch(ops);
    this.units = units;
  }

  /** Forgets units beyond maxUnits and older than maxAgeMs, oldest first. */
  private async evict(): Promise<void> {
    const oldest = this.now() - this.options.maxAgeMs;
    const ops: Op[] = [];
    let units = this.units;
    for await (const [key, value] of this.part.iterator({ gte: 's!', lt: 's"', limit: EVICT_BATCH })) {
      const space = value.indexOf(' ');
      const time = Number(value.slice(0, space));
      if (units <= this.options.maxUnits && time >= oldest) break;
      ops.push({ type: 'del', key }, { type: 'del', key: `u!${value.slice(space + 1)}` });
      units--;
    }
    if (ops.length === 0) return;
    ops.push({ type: 'put', key: COUNT_KEY, value: String(units) });
    await this.part.batch(ops);
    this.evictions += this.units - units;
    this.units = units;
  }
}
