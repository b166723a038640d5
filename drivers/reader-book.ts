/**
 * What every driver keeps about itself: its state (a `state` event on each change, carrying the
 * status of the moment), its counts, its last error and the time of its last read, and the
 * `ReaderStatus` built from them. One place, so every driver reports alike.
 */
import type { EventEmitter } from 'node:events';
import type { ReaderState, ReaderStatus } from './driver.js';

export class ReaderBook {
  state: ReaderState = 'idle';
  lastError: string | undefined;
  readonly counts = { reads: 0, rejects: 0, reconnects: 0, discardedOnStop: 0 };
  lastReadAt: number | undefined;
  private everConnected = false;

  constructor(
    private readonly driver: EventEmitter & { readonly id: string },
    private readonly name: string,
  ) {}

  status(): ReaderStatus {
    return {
      id: this.driver.id,
      driver: this.name,
      state: this.state,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...this.counts,
      ...(this.lastReadAt !== undefined ? { lastReadAt: this.lastReadAt } : {}),
    };
  }

  /** Moves to `state`; a change emits `state` on the driver. */
  set(state: ReaderState): void {
    if (state === this.state) return;
    this.state = state;
    this.driver.emit('state', this.status());
  }

  /** Counts a read handed over. */
  read(at: number): void {
    this.counts.reads++;
    this.lastReadAt = at;
  }

  /**
   * The device is (back) in use: a reconnect is counted unless it is the first connection, the
   * last error is cleared (unless `keepError`: the driver cleared it itself and has news since),
   * and the state becomes `connected`. True for a reconnect.
   */
  connected(keepError = false): boolean {
    const again = this.everConnected;
    if (again) this.counts.reconnects++;
    this.everConnected = true;
    if (!keepError) this.lastError = undefined;
    this.set('connected');
    return again;
  }
}
