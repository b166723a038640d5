/**
 * One `appendAll()` call: the outcomes of its entries, and the one promise that settles once all
 * are settled. Entries settle one by one as group commits write them (or the overflow policy
 * drops them); rejected ones are a suffix of the call (outbox.ts).
 */
import { AppendRefused } from './outbox.js';

export class AppendGroup {
  readonly outcomes: boolean[];
  private left: number;
  private refusedAt = Number.POSITIVE_INFINITY;
  private reason: Error | undefined;

  constructor(
    size: number,
    private readonly resolve: (outcomes: boolean[]) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.outcomes = new Array<boolean>(size).fill(false);
    this.left = size;
    if (size === 0) resolve(this.outcomes);
  }

  /** Entry `index` was stored (true) or refused or dropped by the overflow policy (false). */
  settle(index: number, stored: boolean): void {
    this.outcomes[index] = stored;
    if (--this.left === 0) this.finish();
  }

  /** Entry `index` was rejected: it is not stored. */
  refuse(index: number, reason: Error): void {
    if (index < this.refusedAt) {
      this.refusedAt = index;
      this.reason = reason;
    }
    if (--this.left === 0) this.finish();
  }

  private finish(): void {
    if (!this.reason) this.resolve(this.outcomes);
    else this.reject(new AppendRefused(this.reason.message, this.outcomes.slice(0, this.refusedAt)));
  }
}
