/**
 * A capture run again, offline, through the pipeline the daemon runs (decode, the antenna map and
 * RSSI floors, smoothing, event numbering and bytes), with no outbox, broker or data dir: a
 * stand-in recorder numbers the events from 1 and hands each to `onEvent` as it is written.
 *
 * Time is the capture's: each read carries its wall-clock and monotonic times, and the smoothing
 * tick the gateway runs every 200 ms of its own clock (departures, presence reports, passages)
 * runs here every 200 ms of the capture's monotonic clock, between the reads it falls between.
 * At the end, the clock runs on past the last departure window, as a daemon that kept running with
 * no further read would: passes still open end and are reported.
 */
import type { Config, ReaderConfig } from '../../config/schema.js';
import type { RawRead } from '../../drivers/driver.js';
import type { RejectPayload } from '../contract/topics.js';
import { topics } from '../contract/topics.js';
import { silentLogger } from '../log.js';
import { Pipeline, type PipelineCounters } from '../pipeline.js';
import { EventWriter, readPointRuntimes } from '../read-points.js';
import type { EventTally, PendingEvent, RecordCounts } from '../recorder.js';
import { rulesOf } from '../reload.js';
import { Smoother } from '../smoothing/smoother.js';
import type { Transition } from '../smoothing/transition.js';

/** The gateway's smoothing tick (gateway.ts SMOOTHING_TICK_MS). */
export const REPLAY_TICK_MS = 200;

/** One event the configuration emits, as the outbox would hold it. */
export interface ReplayedEvent {
  readonly seq: number;
  readonly topic: string;
  /** The event's JSON, byte for byte as the daemon would publish it. */
  readonly payload: string;
}

export interface ReplayHooks {
  readonly onEvent: (event: ReplayedEvent) => void;
  readonly onReject?: (reject: RejectPayload) => void;
}

/** The reader of `config` that replays a capture of `readerId`; a string says why there is none. */
export function replayReader(config: Config, readerId: string): ReaderConfig | string {
  const reader = config.readers.find((r) => r.id === readerId);
  if (reader) return reader;
  return `the configuration has no reader "${readerId}" (its readers: ${config.readers.map((r) => r.id).join(', ')})`;
}

/**
 * What a replay of `reader` under `config` leaves out, in words: the inventory features that take
 * scans or change events at run time (pack stations, transaction contexts) are not replayed.
 */
export function replayLeavesOut(config: Config, reader: ReaderConfig): string[] {
  const points = new Set([reader.readPoint, ...(reader.antennaMap ?? []).flatMap((a) => a.readPoint ?? [])]);
  const out: string[] = [];
  for (const p of config.readPoints) {
    if (points.has(p.id) && p.mode === 'pack')
      out.push(
        `read point ${p.id} is a pack station: its close codes are replayed as reads, and no aggregation events are made`,
      );
    if (points.has(p.id) && p.context)
      out.push(`read point ${p.id} takes a transaction context: its events are replayed without one`);
    else if (p.context?.scanners?.includes(reader.id))
      out.push(`reader ${reader.id} scans transaction barcodes for ${p.id}: they are replayed as reads`);
  }
  return out;
}

export class Replay {
  readonly pipeline: Pipeline;
  private readonly smoother: Smoother;
  private readonly events: EventWriter;
  private readonly departureMs: number;
  private seq = 0;
  private nextTick: number | undefined;
  private lastMono = 0;
  private lastAt = 0;
  private failure: unknown;

  constructor(config: Config, reader: ReaderConfig, hooks: ReplayHooks) {
    const points = readPointRuntimes(
      config,
      topics(config.uplink.topicPrefix, config.gateway.site, config.gateway.id),
    );
    const rules = rulesOf(points);
    this.departureMs = Math.max(0, ...[...rules.values()].map((r) => r.departureMs));
    this.smoother = new Smoother({ maxTracked: config.smoothing.maxTracked }, rules);
    const recordAll = (pending: readonly PendingEvent[]): Promise<RecordCounts> => {
      for (const p of pending) {
        const seq = ++this.seq;
        hooks.onEvent({ seq, topic: p.topic, payload: p.build(seq) });
      }
      return Promise.resolve({ stored: pending.length, refused: 0 });
    };
    const recordInto = (pending: readonly PendingEvent[], tally: EventTally): Promise<void> =>
      recordAll(pending).then((c) => {
        tally.events += c.stored;
        tally.refused += c.refused;
      });
    this.events = new EventWriter(points, { recordAll, recordInto });
    this.pipeline = new Pipeline({
      gatewayId: config.gateway.id,
      reader,
      smoother: this.smoother,
      events: this.events,
      publishReject: hooks.onReject ?? (() => undefined),
      log: silentLogger(),
    });
  }

  get counters(): PipelineCounters {
    return this.pipeline.counters;
  }

  /** Runs one read (reads come in capture order): the ticks due before it, then the read. */
  feed(read: RawRead): void {
    this.advance(read.mono);
    this.lastMono = read.mono;
    this.lastAt = read.at;
    this.pipeline.read(read).catch(this.failed);
    this.check();
  }

  /**
   * The capture ended at monotonic `endMono`: ticks up to it, then on past the last departure
   * window, so passes still open end as they would with no further read. Throws what the
   * pipeline threw.
   */
  async finish(endMono: number): Promise<void> {
    const end = Math.max(endMono, this.lastMono);
    this.advance(end);
    this.advance(Math.max(end, this.lastMono + this.departureMs) + REPLAY_TICK_MS);
    // Let the pipeline's promises settle: a failure of the last read is seen.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.check();
  }

  /** Ticks every REPLAY_TICK_MS of capture time up to `mono`. */
  private advance(mono: number): void {
    if (this.nextTick === undefined) {
      this.nextTick = mono + REPLAY_TICK_MS;
      return;
    }
    while (this.nextTick <= mono) {
      // Nothing open: no tick before the last one due can do anything.
      if (this.smoother.stats().tracked === 0)
        this.nextTick += Math.floor((mono - this.nextTick) / REPLAY_TICK_MS) * REPLAY_TICK_MS;
      const at = this.lastAt + (this.nextTick - this.lastMono);
      this.write(this.smoother.tick(this.nextTick, at));
      this.nextTick += REPLAY_TICK_MS;
    }
  }

  private write(due: readonly Transition[]): void {
    if (due.length > 0) this.events.write(due).catch(this.failed);
  }

  private readonly failed = (err: unknown): void => {
    this.failure ??= err;
  };

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
