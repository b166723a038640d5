/**
 * Reads framed by a driver, waiting for the handover window (drivers/handover.ts), in order. A
 * driver that can stop its device from sending (a serial port it can pause) gives the water
 * marks: the device is paused when `high` reads wait and resumed when they are down to `low`.
 */
import type { RawRead } from './driver.js';
import type { Handover } from './handover.js';
import type { ReaderBook } from './reader-book.js';

export interface WaterMarks {
  readonly high: number;
  readonly low: number;
  /** Stops the device sending; `resume` lets it send again (no-ops when there is no device). */
  pause(): void;
  resume(): void;
}

export class ReadQueue {
  private readonly reads: RawRead[] = [];
  private pumping = false;
  private pumped: Promise<void> = Promise.resolve();

  constructor(
    private readonly handover: Handover,
    private readonly book: ReaderBook,
    private readonly water?: WaterMarks,
  ) {}

  get length(): number {
    return this.reads.length;
  }

  push(read: RawRead): void {
    this.reads.push(read);
    if (this.water && this.reads.length >= this.water.high) this.water.pause();
    if (!this.pumping) {
      this.pumping = true;
      this.pumped = this.pump();
    }
  }

  /** Resolves once every queued read has been handed over (the handover may still be pending). */
  async drained(): Promise<void> {
    while (this.pumping) await this.pumped;
  }

  /** Resolves once no more than `count` reads wait, or the queue has run dry. */
  async below(count: number): Promise<void> {
    while (this.pumping && this.reads.length > count) await this.pumped;
  }

  /** Hands queued reads over in order; `pumping` drops in the same tick the queue runs dry. */
  private async pump(): Promise<void> {
    try {
      for (let read = this.reads.shift(); read; read = this.reads.shift()) {
        this.book.read(read.at);
        const room = this.handover.push(read);
        if (this.handover.full) await room; // while there is room, the next read goes on at once
        if (this.water && this.reads.length <= this.water.low) this.water.resume();
      }
    } finally {
      this.pumping = false;
    }
  }
}
