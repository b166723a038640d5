/**
 * The outbox seam: where an event is kept from the moment it is accepted until the upstream
 * broker has acknowledged it.
 *
 * Contract (checked by test/daemon/outbox/outbox.contract.ts against every backend):
 * - `open()` loads the state; `close()` writes what is pending (appends and acks) and releases
 *   the store. The constructor only assigns.
 * - `nextSequence()` hands out the per-gateway sequence number, synchronously, strictly
 *   increasing across restarts: after a reopen it continues above every number ever appended,
 *   even if every entry has since been acknowledged.
 * - `append(entry)` resolves once the entry is durable (written to the store in a group commit
 *   with others appended meanwhile). Only then is a read "accepted". Entries must be appended in
 *   the order of their sequence numbers.
 * - The outbox is bounded by `maxEvents` and `maxBytes`. When full, the overflow policy applies:
 *   `drop-oldest` deletes the oldest entries to make room, `drop-newest` refuses the new one
 *   (`append` resolves to `false`). Every drop is counted in `stats()` with the first and last
 *   dropped sequence numbers and times; nothing is dropped silently.
 * - `take(max)` returns up to `max` entries in sequence order that were not handed out since the
 *   last `rewind()`, never scanning deleted keys from the start (it continues from a cursor).
 *   It returns [] when there is nothing new; `waitForEntries()` resolves when there may be.
 * - `ack(seq)` deletes an entry: call it only after the broker's PUBACK. Deletes are batched;
 *   an ack lost in a crash means the entry is delivered again (a duplicate, never a loss).
 * - `rewind()` makes every entry handed out but not acknowledged available to `take` again,
 *   in sequence order (after a connection loss).
 */
export interface OutboxEntry {
  readonly seq: number;
  /** Topic the entry is published on. */
  readonly topic: string;
  /** The serialized payload (UTF-8 JSON). */
  readonly payload: string;
  /** Wall-clock ms at which it was accepted. */
  readonly acceptedAt: number;
}

export interface OutboxStats {
  /** Entries stored and not yet acknowledged. */
  readonly depth: number;
  readonly bytes: number;
  /** acceptedAt of the oldest stored entry. */
  readonly oldestAt?: number;
  readonly appended: number;
  readonly acked: number;
  readonly dropped: number;
  readonly firstDropped?: { readonly seq: number; readonly at: number };
  readonly lastDropped?: { readonly seq: number; readonly at: number };
  readonly lastSeq: number;
}

export interface Outbox {
  open(): Promise<void>;
  close(): Promise<void>;
  nextSequence(): number;
  append(entry: OutboxEntry): Promise<boolean>;
  take(max: number): Promise<OutboxEntry[]>;
  waitForEntries(signal?: AbortSignal): Promise<void>;
  ack(seq: number): void;
  rewind(): void;
  stats(): OutboxStats;
}
