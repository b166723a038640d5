/**
 * Hands reads to the sink in order with a bounded window of pending calls. The pipeline behind the
 * sink decodes, smooths and queues each read for the outbox synchronously, in call order, so a
 * window keeps the order while letting reads share a group commit; when the window is full the
 * driver waits (and stops pulling bytes from the device) instead of growing memory.
 */
import type { Logger } from '../daemon/log.js';
import type { RawRead, ReadSink } from './driver.js';

/** Reads handed to the sink and not yet safe, at most, per reader. */
export const HANDOVER_WINDOW = 64;

export class Handover {
  private pending = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly sink: ReadSink,
    private readonly log: Logger,
    private readonly window = HANDOVER_WINDOW,
  ) {}

  /** Hands over one read; resolves when there is room for the next. */
  async push(read: RawRead): Promise<void> {
    this.pending++;
    let safe: Promise<void>;
    try {
      safe = this.sink.read(read);
    } catch (err) {
      safe = Promise.reject(err); // a sink that throws before its first await is still only logged
    }
    safe.then(
      () => this.settle(),
      (err: unknown) => {
        this.log.error({ err }, 'read could not be processed');
        this.settle();
      },
    );
    while (this.pending >= this.window) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Resolves once every read handed over is settled. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private settle(): void {
    this.pending--;
    for (const wake of this.waiting.splice(0)) wake();
  }
}
