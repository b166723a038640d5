/**
 * The running readers: each one's driver and pipeline, started, stopped and swapped one at a time
 * so a live reload touches only the readers it changes.
 *
 * Contract:
 * - `add()` starts a reader's driver on a new pipeline; a reader restarted by a reload (`remove`
 *   without retiring, then `add` with the entry) keeps its pipeline counters and error count, so totals never go backwards.
 * - `remove()` stops the driver: it hands over the reads it has (its `stop()` contract) before the
 *   reader is forgotten. The counters of a removed reader stay in `totals()`.
 * - `errors` counts the times a reader went `disconnected` (a failed open or a lost device).
 * - Each reader's rejects are logged through its own repeat limiter (one line per code per
 *   `logIntervalS`) and published through its own `RejectRelay` (reject-relay.ts); both report
 *   what they hold back when the reader is removed, after its driver has stopped.
 * - `readsPerMin` is measured over the last minute from samples `sample()` takes (about once a
 *   second, from the gateway's tick).
 */
import type { ReaderConfig } from '../config/schema.js';
import type { Driver, ReaderStatus } from '../drivers/driver.js';
import { createDriver, type DriverContext } from '../drivers/registry.js';
import type { Logger } from './log.js';
import { RepeatLimiter } from './log-limit.js';
import { emptyCounters, Pipeline, type PipelineCounters, type PipelineDeps } from './pipeline.js';
import { type PublishReject, RejectRelay } from './reject-relay.js';
import type { ReaderCounts } from './summary.js';

export interface RunningReader {
  readonly config: ReaderConfig;
  readonly driver: Driver;
  readonly pipeline: Pipeline;
  errors: number;
  readonly rate: ReadRate;
  /** The reader's state lines: a flapping reader logs each state once a minute, with a count. */
  readonly states: RepeatLimiter;
  /** The reader's reject lines, one per code per interval, with a count. */
  readonly rejectLog: RepeatLimiter;
  /** The reader's rejects on their way to the rejects topic, at a bounded rate. */
  readonly rejectRelay: RejectRelay;
}

/** How a reader's rejects are logged and published (the config's `rejects`). */
export interface RejectLimits {
  readonly burst: number;
  readonly perSecond: number;
  readonly logIntervalS: number;
}

/** What every reader's pipeline and driver share. */
export interface ReaderSetDeps
  extends Omit<PipelineDeps, 'reader' | 'log' | 'counters' | 'publishReject' | 'rejectLog'> {
  readonly log: Logger;
  /** Publishes a reject on the rejects topic; false when the uplink could not take it. */
  readonly publishReject: PublishReject;
  readonly rejects: RejectLimits;
  readonly broker?: DriverContext['broker'];
  /** Called on every state change of a reader (for the log, through its `states` limiter). */
  readonly onState: (reader: RunningReader, status: ReaderStatus) => void;
}

export class ReaderSet {
  private readonly running = new Map<string, RunningReader>();
  private readonly retired: PipelineCounters = emptyCounters();
  /** What the removed lives of each reader counted: the summary's counts never go backwards. */
  private readonly retiredById = new Map<string, ReaderCounts>();

  constructor(private readonly deps: ReaderSetDeps) {}

  async add(config: ReaderConfig, carried?: RunningReader): Promise<void> {
    if (this.running.has(config.id)) throw new Error(`reader ${config.id} is already running`);
    const { log, broker, onState, publishReject, rejects, ...shared } = this.deps;
    const readerLog = log.child({ component: 'reader', reader: config.id });
    const rejectLog = new RepeatLimiter(readerLog, { intervalMs: rejects.logIntervalS * 1000, maxKeys: 64 });
    const rejectRelay = new RejectRelay(publishReject, rejects);
    const pipeline = new Pipeline({
      ...shared,
      reader: config,
      log: readerLog,
      rejectLog,
      publishReject: (reject) => rejectRelay.offer(reject),
      ...(carried ? { counters: carried.pipeline.counters, rejectCodes: carried.pipeline.rejectCodes } : {}),
    });
    const driver = createDriver(config, { log: readerLog, ...(broker ? { broker } : {}) });
    const entry: RunningReader = {
      config,
      driver,
      pipeline,
      errors: carried?.errors ?? 0,
      rate: carried?.rate ?? new ReadRate(),
      states: new RepeatLimiter(readerLog),
      rejectLog,
      rejectRelay,
    };
    // The rate's baseline: reads that come before the first periodic sample still count.
    entry.rate.sample(Date.now(), driver.status().reads);
    driver.on('state', (st: ReaderStatus) => {
      if (st.state === 'disconnected') entry.errors++;
      onState(entry, st);
    });
    this.running.set(config.id, entry);
    try {
      await driver.start(pipeline);
    } catch (err) {
      this.running.delete(config.id);
      entry.states.close();
      await driver.stop().catch(() => undefined);
      closeRejects(entry);
      throw err;
    }
  }

  /**
   * Stops the reader and forgets it. Its counts stay in the totals, unless `retire` is false: a
   * reader about to start again passes the returned entry to `add()` to carry them on.
   */
  async remove(id: string, retire = true): Promise<RunningReader | undefined> {
    const entry = this.running.get(id);
    if (!entry) return undefined;
    this.running.delete(id);
    // State lines held back by the limiter are written now, so the journal's last one is the stop.
    entry.states.close();
    try {
      await entry.driver.stop();
    } finally {
      entry.states.close();
      closeRejects(entry);
      if (retire) {
        addInto(this.retired, entry.pipeline.counters);
        const row = this.retiredById.get(id) ?? { id, reads: 0, events: 0, rejects: 0, errors: 0 };
        this.retiredById.set(id, addCounts(row, entry));
      }
    }
    return entry;
  }

  /** Stops every reader, the last added first; returns the ids whose stop failed. */
  async stopAll(log: Logger): Promise<string[]> {
    const failed: string[] = [];
    for (const id of [...this.running.keys()].reverse()) {
      try {
        await this.remove(id);
      } catch (err) {
        failed.push(`reader ${id}`);
        log.error({ err, reader: id }, 'reader stop failed');
      }
    }
    return failed;
  }

  readers(): Iterable<RunningReader> {
    return this.running.values();
  }

  get(id: string): RunningReader | undefined {
    return this.running.get(id);
  }

  /** Pipeline counters of every reader, running or removed since start. */
  totals(): PipelineCounters {
    const sum = { ...this.retired };
    for (const r of this.running.values()) addInto(sum, r.pipeline.counters);
    return sum;
  }

  /**
   * The counts the summary reports, per reader since start: each running reader plus its removed
   * lives (a reader removed and added again adds up), and readers no longer running. They only
   * grow, so the difference between two calls is what happened in between.
   */
  summaryCounts(): ReaderCounts[] {
    const rows = new Map<string, ReaderCounts>();
    for (const [id, row] of this.retiredById) rows.set(id, { ...row, running: false });
    for (const r of this.running.values()) {
      const id = r.config.id;
      rows.set(id, {
        ...addCounts(rows.get(id) ?? { id, reads: 0, events: 0, rejects: 0, errors: 0 }, r),
        running: true,
      });
    }
    return [...rows.values()];
  }

  /** Takes a reads-per-minute sample of every reader. */
  sample(now: number): void {
    for (const r of this.running.values()) r.rate.sample(now, r.driver.status().reads);
  }
}

/** Reads per minute over the last minute, from (time, count) samples. */
export class ReadRate {
  private readonly samples: { at: number; reads: number }[] = [];

  sample(at: number, reads: number): void {
    const last = this.samples[this.samples.length - 1];
    // A restarted driver counts from zero again: start over rather than report a negative rate.
    if (last && reads < last.reads) this.samples.length = 0;
    this.samples.push({ at, reads });
    while (this.samples.length > 2 && at - (this.samples[1]?.at ?? at) >= 60_000) this.samples.shift();
  }

  perMinute(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 1000) return 0;
    return ((last.reads - first.reads) * 60_000) / (last.at - first.at);
  }
}

/** Writes and publishes what the reader's reject limits held back (after its driver stopped). */
function closeRejects(r: RunningReader): void {
  r.rejectLog.close();
  r.rejectRelay.close();
}

function addInto(sum: PipelineCounters, c: PipelineCounters): void {
  for (const k of Object.keys(sum) as (keyof PipelineCounters)[]) sum[k] += c[k];
}

/** `row` plus what one life of a reader counted. */
function addCounts(row: ReaderCounts, r: RunningReader): ReaderCounts {
  const c = r.pipeline.counters;
  return {
    id: row.id,
    reads: row.reads + c.reads,
    events: row.events + c.events,
    rejects: row.rejects + c.rejected,
    errors: row.errors + r.errors,
  };
}
