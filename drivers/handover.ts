/**
 * Hands reads to the sink in order with a bounded window of pending calls. The pipeline behind the
 * sink decodes, smooths and queues each read for the outbox synchronously, in call order, so a
 * window keeps the order while letting reads share a group commit; when the window is full the
 * driver waits (and stops pulling bytes from the device) instead of growing memory.
 *
 * Reads in a row that the sink answers with the same promise (the pipeline's reads of one group
 * commit share one) are one group: one `.then` for the group, not one per read.
 */
import type { Logger } from '../daemon/log.js';
import type { RawRead, ReadSink } from './driver.js';

/** Reads handed to the sink and not yet safe, at most, per reader. */
export const HANDOVER_WINDOW = 64;

/** What `push` returns while the window has room. */
const ROOM: Promise<void> = Promise.resolve();

/** Reads in a row answered with the same promise, counted until it settles. */
interface Group {
  readonly safe: Promise<void>;
  reads: number;
}

export class Handover {
  private pending = 0;
  private readonly waiting: (() => void)[] = [];
  /** The group the next read joins if the sink answers it with the same promise. */
  private open: Group | undefined;

  constructor(
    private readonly sink: ReadSink,
    private readonly log: Logger,
    private readonly window = HANDOVER_WINDOW,
  ) {}

  /**
   * True while the window is full: the promise of the last `push` is then the one to await. A
   * driver handing over many reads at once awaits only then, not once per read.
   */
  get full(): boolean {
    return this.pending >= this.window;
  }

  /** Hands over one read; resolves when there is room for the next (at once while there is). */
  push(read: RawRead): Promise<void> {
    this.pending++;
    let safe: Promise<void>;
    try {
      safe = this.sink.read(read);
    } catch (err) {
      safe = Promise.reject(err); // a sink that throws before its first await is still only logged
    }
    const open = this.open;
    if (open !== undefined && open.safe === safe) open.reads++;
    else this.watch(safe);
    return this.pending < this.window ? ROOM : this.room();
  }

  /** Resolves once every read handed over is settled. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private async room(): Promise<void> {
    while (this.pending >= this.window) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Starts a group of one read on `safe`; later reads answered with it join until it settles. */
  private watch(safe: Promise<void>): void {
    const group: Group = { safe, reads: 1 };
    this.open = group;
    safe.then(
      () => this.settle(group),
      (err: unknown) => {
        this.log.error(
          { err, ...(group.reads > 1 ? { reads: group.reads } : {}) },
          'read could not be processed',
        );
        this.settle(group);
      },
    );
  }

  private settle(group: Group): void {
    // A read answered with this promise from now on is a group of its own (it settled already).
    if (this.open === group) this.open = undefined;
    this.pending -= group.reads;
    if (this.waiting.length > 0) for (const wake of this.waiting.splice(0)) wake();
  }
}
