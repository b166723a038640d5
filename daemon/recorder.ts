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
import type { Outbox } from './outbox/outbox.js';

export interface PendingEvent {
  readonly topic: string;
  /** Builds the serialized payload once the sequence number is known. */
  readonly build: (seq: number) => string;
}

/** What became of a recorded event. */
export type RecordOutcome = { readonly seq: number; readonly stored: boolean };

interface Waiting {
  readonly event: PendingEvent;
  seq?: number;
  payload?: string;
  readonly resolve: (outcome: RecordOutcome) => void;
  readonly reject: (error: Error) => void;
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

  constructor(
    private readonly outbox: Outbox,
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {}

  /** Resolves once the event is durable in the outbox (or refused by its drop-newest policy). */
  record(event: PendingEvent): Promise<RecordOutcome> {
    if (this.stopped) return Promise.reject(new Error('recorder stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.writing && !this.retryTimer && !this.scheduled) {
        // Let events recorded in the same tick join the first batch.
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          if (!this.writing && !this.retryTimer) this.writeNext();
        });
      }
    });
  }

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
    clearTimeout(this.retryTimer);
    const left = this.queue.splice(0);
    if (left.length > 0)
      this.log.error({ events: left.length }, 'outbox unwritable at stop: events not stored');
    for (const w of left) w.reject(new Error('recorder stopped before the event could be stored'));
  }

  private writeNext(): void {
    if (this.queue.length === 0) {
      this.idle?.();
      this.idle = undefined;
      return;
    }
    this.writing = true;
    const batch = this.queue.slice(0, this.options.batchMax);
    for (const w of batch) {
      if (w.seq === undefined) {
        w.seq = this.outbox.nextSequence();
        w.payload = w.event.build(w.seq);
      }
    }
    const appends = batch.map((w) =>
      this.outbox.append({ seq: w.seq!, topic: w.event.topic, payload: w.payload!, acceptedAt: Date.now() }),
    );
    Promise.allSettled(appends).then((results) => {
      this.writing = false;
      // Everything up to the first failure is durable; the failure and the rest are retried in order.
      let done = 0;
      for (const r of results) {
        if (r.status === 'rejected') break;
        done++;
      }
      const written = this.queue.splice(0, done);
      written.forEach((w, i) => {
        w.resolve({ seq: w.seq!, stored: (results[i] as PromiseFulfilledResult<boolean>).value });
      });
      if (done < results.length) {
        const failed = results[done] as PromiseRejectedResult;
        this.failures++;
        this.lastError = String(failed.reason?.message ?? failed.reason);
        const delay = Math.min(30000, this.options.retryMs * 2 ** Math.min(this.failures - 1, 10));
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.log.error(
            { err: failed.reason, pending: this.queue.length, failures: this.failures, retryInMs: delay },
            'outbox write failed; readers wait and the write is retried',
          );
        }
        if (this.stopped) return;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.writeNext();
        }, delay);
        return;
      }
      if (this.failures > 0) {
        this.log.info({ failures: this.failures }, 'outbox writable again');
        this.failures = 0;
        this.lastError = undefined;
      }
      this.writeNext();
    });
  }
}
