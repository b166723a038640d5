/**
 * Notes: small named records the daemon keeps beside the outbox's entries, under `m!note!<name>`,
 * so that a count it reports over a day (the summary) survives a restart.
 *
 * Contract:
 * - `kept(name)` is the latest value: the one last `keep()`, else the one read at open.
 * - A kept note goes out with the outbox's next write batch (no write of its own, so it shares
 *   the outbox's handling of a failing disk); `close()` writes what is still pending. `keep()`
 *   resolves true once that value (or one kept after it) is written, false if the outbox closed
 *   without writing it.
 * - A note is best effort beside the events: a crash loses the value kept since the last batch,
 *   and notes never count against the outbox's limits.
 */
import type { Op } from './batch-plan.js';

export const NOTE_PREFIX = 'm!note!';
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

export class OutboxNotes {
  private readonly values = new Map<string, string>();
  private readonly pending = new Map<string, { value: string; waiters: ((written: boolean) => void)[] }>();

  /** The notes read from the store at open (`[key, value]` pairs under NOTE_PREFIX). */
  load(entries: Iterable<readonly [string, string]>): void {
    this.values.clear();
    this.abandon();
    for (const [key, value] of entries)
      if (key.startsWith(NOTE_PREFIX)) this.values.set(key.slice(NOTE_PREFIX.length), value);
  }

  kept(name: string): string | undefined {
    return this.values.get(name);
  }

  keep(name: string, value: string): Promise<boolean> {
    if (!NAME.test(name)) throw new Error(`not a note name: ${JSON.stringify(name)}`);
    this.values.set(name, value);
    const waiters = this.pending.get(name)?.waiters ?? [];
    this.pending.set(name, { value, waiters });
    return new Promise((resolve) => waiters.push(resolve));
  }

  /** The outbox closed with these still pending. */
  abandon(): void {
    for (const { waiters } of this.pending.values()) for (const w of waiters) w(false);
    this.pending.clear();
  }

  hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** The puts for the next batch, and what they wrote (for `written`). */
  ops(): { ops: Op[]; snapshot: Map<string, string> } {
    const snapshot = new Map([...this.pending].map(([name, p]) => [name, p.value]));
    const ops: Op[] = [];
    for (const [name, value] of snapshot) ops.push({ type: 'put', key: NOTE_PREFIX + name, value });
    return { ops, snapshot };
  }

  /** The batch with `snapshot` is written: those notes are no longer pending, unless kept again since. */
  written(snapshot: ReadonlyMap<string, string>): void {
    for (const [name, value] of snapshot) {
      const p = this.pending.get(name);
      if (p?.value !== value) continue; // kept again since: still pending
      this.pending.delete(name);
      for (const w of p.waiters) w(true);
    }
  }
}
