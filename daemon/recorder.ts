/**
 * The recorder puts events into the outbox in one ordered stream for the whole gateway.
 *
 * Every reader's pipeline hands its events here. The recorder numbers them (the outbox's
 * per-gateway sequence) and appends them in batches: while one batch is being written, the next
 * one gathers, so events from many readers share one group commit. The outbox itself holds and
 * retries appends while its store cannot be written (a full disk, an I/O error), so a batch's
 * appends simply stay pending then; the readers wait meanwhile (their `record()` calls stay
 * pending), which is the honest back-pressure of a gateway that cannot store what it reads.
 * An append that rejects (an outbox closed or closing) is retried here with the same sequence
 * numbers, in order, before any later event: nothing is reordered and nothing is lost.
 */
import type { Logger } from '../daemon/log.js';
import { AppendRefused, type Outbox, type OutboxEntry } from './outbox/outbox.js';

export interface PendingEvent {
  readonly topic: string;
  /** Builds the serialized payload once the sequence number is known. */
  readonly build: (seq: number) => string;
}

/** What became of a recorded event. */
export type RecordOutcome = { readonly seq: number; readonly stored: boolean };

/** How many of the events recorded together were stored, and how many refused. */
export interface RecordCounts {
  readonly stored: number;
  readonly refused: number;
}

/** Where `recordInto` counts each event as it settles: stored (`events`) or refused. */
export interface EventTally {
  events: number;
  refused: number;
}

/**
 * Why events recorded together were refused at stop: how many of them were not stored. The
 * others (a batch's worth written before the stop) are stored and go out as usual.
 */
export class RecorderStopped extends Error {
  constructor(
    readonly unstored: number,
    readonly recorded: number,
  ) {
    super(
      recorded === 1
        ? 'recorder stopped before the event could be stored'
        : unstored === recorded
          ? `recorder stopped before any of the ${recorded} events recorded together could be stored`
          : `recorder stopped before ${unstored} of ${recorded} events recorded together could be stored (the other ${recorded - unstored} were stored, or refused by the overflow policy, before it)`,
    );
    this.name = 'RecorderStopped';
  }
}

/** Events recorded together: one promise, settled once every one of them is. */
class RecordBatch implements EventTally {
  events = 0;
  refused = 0;
  /** The sequence number of the last event settled. */
  seq = 0;
  /** Events recorded into the batch and not yet settled. */
  left = 0;
  /** Events recorded into the batch in all. */
  recorded = 0;

  constructor(
    private readonly done: (batch: RecordBatch) => void,
    readonly reject: (error: Error) => void,
  ) {}

  settle(seq: number): void {
    this.seq = seq;
    if (--this.left === 0) this.done(this);
  }
}

/** An event queued; its number and payload are set when its first write is planned. */
interface Waiting {
  readonly event: PendingEvent;
  seq: number | undefined;
  payload: string | undefined;
  readonly batch: RecordBatch;
  readonly tally: EventTally;
}

/** The batch that `recordInto` calls share until the next write is planned, and its promise. */
interface Gathering {
  readonly batch: RecordBatch;
  readonly settled: Promise<void>;
}

export interface RecorderOptions {
  readonly batchMax: number;
  /** Delay before retrying a failed write; doubles up to 30 s. */
  readonly retryMs: number;
}

export class Recorder {
  private queue: Waiting[] = [];
  private writing = false;
  private scheduled = false;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;
  private lastError: string | undefined;
  private gathering: Gathering | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {}

  /** Resolves once the event is durable in the outbox (or refused by its drop-newest policy). */
  record(event: PendingEvent): Promise<RecordOutcome> {
    return new Promise((resolve, reject) => {
      const batch = new RecordBatch((b) => resolve({ seq: b.seq, stored: b.events === 1 }), reject);
      this.enqueue([event], batch, batch);
    });
  }

  /**
   * Records events in the order given, as `record` each, with one promise: it resolves once every
   * one is durable (or refused), with the counts.
   */
  recordAll(events: readonly PendingEvent[]): Promise<RecordCounts> {
    if (events.length === 0) return Promise.resolve({ stored: 0, refused: 0 });
    return new Promise((resolve, reject) => {
      const batch = new RecordBatch((b) => resolve({ stored: b.events, refused: b.refused }), reject);
      this.enqueue(events, batch, batch);
    });
  }

  /**
   * Records events in the order given, as `record` each, counting each into `tally` as it is
   * stored or refused. The promise is shared: every call made until the next write is planned
   * gets the same one, which resolves once all of their events are settled (so never before any
   * one of them is). A reader's reads then cost one promise per group commit, not one each.
   */
  recordInto(events: readonly PendingEvent[], tally: EventTally): Promise<void> {
    if (events.length === 0) return SETTLED;
    if (this.stopped) return Promise.reject(new Error('recorder stopped'));
    let g = this.gathering;
    // A batch's worth closes the gathering: the events sharing a promise span two writes at most.
    if (g === undefined || g.batch.left >= this.options.batchMax) g = this.gathering = gathering();
    this.enqueue(events, g.batch, tally);
    return g.settled;
  }

  private enqueue(events: readonly PendingEvent[], batch: RecordBatch, tally: EventTally): void {
    if (this.stopped) {
      batch.reject(new Error('recorder stopped'));
      return;
    }
    batch.left += events.length;
    batch.recorded += events.length;
    for (const event of events) this.queue.push({ event, seq: undefined, payload: undefined, batch, tally });
    if (!this.writing && !this.retryTimer && !this.scheduled) {
      // Let events recorded in the same tick join the first batch.
      this.scheduled = true;
      queueMicrotask(this.writeScheduled);
    }
  }

  private readonly writeScheduled = () => {
    this.scheduled = false;
    if (!this.writing && !this.retryTimer) this.writeNext();
  };

  /** Events waiting to be written, and the last write error while writes are failing. */
  status(): { pending: number; failing: boolean; lastError?: string } {
    return {
      pending: this.queue.length,
      failing: this.failures > 0,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Waits for queued events to be written (bounded by `timeoutMs`), then refuses new ones. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.queue.length > 0 || this.writing) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.stopped = true;
    this.gathering = undefined;
    clearTimeout(this.retryTimer);
    const left = this.queue.splice(0);
    if (left.length > 0)
      this.log.error({ events: left.length }, 'outbox unwritable at stop: events not stored');
    // Each batch is rejected once, saying how many of its events were not stored: a batch shared
    // by a group commit's reads may have had its first writes stored before the stop.
    const unstored = new Map<RecordBatch, number>();
    for (const w of left) unstored.set(w.batch, (unstored.get(w.batch) ?? 0) + 1);
    for (const [batch, n] of unstored) batch.reject(new RecorderStopped(n, batch.recorded));
  }

  private writeNext(): void {
    if (this.queue.length === 0) {
      this.idle?.();
      this.idle = undefined;
      return;
    }
    this.writing = true;
    this.gathering = undefined; // later calls wait for a later write
    const n = Math.min(this.queue.length, this.options.batchMax);
    const entries = new Array<OutboxEntry>(n);
    const acceptedAt = Date.now();
    for (let i = 0; i < n; i++) {
      const w = this.queue[i]!;
      // A retried event keeps its number and payload; only the acceptance time is new.
      if (w.seq === undefined) {
        w.seq = this.outbox.nextSequence();
        w.payload = w.event.build(w.seq);
      }
      entries[i] = { seq: w.seq, topic: w.event.topic, payload: w.payload!, acceptedAt };
    }
    this.outbox.appendAll(entries).then(
      (outcomes) => {
        this.written(outcomes);
        if (this.failures > 0) {
          this.log.info({ failures: this.failures }, 'outbox writable again');
          this.failures = 0;
          this.lastError = undefined;
        }
        this.writeNext();
      },
      (err: unknown) => this.failed(err),
    );
  }

  /** The first `outcomes.length` queued events are settled. */
  private written(outcomes: readonly boolean[]): void {
    this.writing = false;
    const done = this.queue.splice(0, outcomes.length);
    for (let i = 0; i < done.length; i++) {
      const w = done[i]!;
      if (outcomes[i]) w.tally.events++;
      else w.tally.refused++;
      w.batch.settle(w.seq!);
    }
  }

  /** Everything up to the first refused entry is settled; it and the rest are retried in order. */
  private failed(err: unknown): void {
    this.written(err instanceof AppendRefused ? err.settled : []);
    this.failures++;
    this.lastError = String((err as Error)?.message ?? err);
    const delay = Math.min(30000, this.options.retryMs * 2 ** Math.min(this.failures - 1, 10));
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.log.error(
        { err, pending: this.queue.length, failures: this.failures, retryInMs: delay },
        'outbox write failed; readers wait and the write is retried',
      );
    }
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.writeNext();
    }, delay);
  }
}

/** What `recordInto` returns for no events. */
const SETTLED: Promise<void> = Promise.resolve();

function gathering(): Gathering {
  let batch!: RecordBatch;
  const settled = new Promise<void>((resolve, reject) => {
    batch = new RecordBatch(() => resolve(), reject);
  });
  return { batch, settled };
}
