/**
 * The outbox seam: where an event is kept from the moment it is accepted until the upstream
 * broker has acknowledged it.
 *
 * Contract (checked by test/daemon/outbox/outbox.contract.ts against every backend):
 * - `open()` loads the state; `close()` writes what is pending (appends and acks) and releases
 *   the store. The constructor only assigns.
 * - `nextSequence()` hands out the per-gateway sequence number, synchronously, strictly
 *   increasing across restarts: after a reopen it continues above every number ever appended,
 *   even if every entry has since been acknowledged or dropped.
 * - `append(entry)` resolves once the entry is durable (written to the store in a group commit
 *   with others appended meanwhile; fsynced too, or within `syncIntervalMs`, as the sync policy
 *   says). Only then is a read "accepted". Entries must be appended in the order of their
 *   sequence numbers. It resolves `false` when the overflow policy refused or dropped the entry
 *   before it was stored, and rejects only when the outbox is closed (or closing with a store
 *   it cannot write).
 * - `appendAll(entries)` appends entries as `append` does each, in the order given, with one
 *   promise for all: it resolves with each entry's outcome (true stored, false refused or
 *   dropped) once every one is settled. When some were rejected (the outbox closed or closing),
 *   it rejects with an `AppendRefused` whose `settled` holds the outcomes of the entries before
 *   the first rejected one; those were settled as `append` says, the rejected one and every later
 *   one were not stored (rejected entries are always a suffix: an earlier entry is never held
 *   behind a later one).
 * - A failing write (a full disk, an I/O error) does not reject: the pending appends are held in
 *   memory, in order, and the write is retried with backoff until it succeeds; `stats()` carries
 *   the `writeError` meanwhile. The hold is bounded; past it the overflow policy applies to the
 *   held entries as it would to stored ones.
 * - The outbox is bounded by `maxEvents` and `maxBytes`. When full, the overflow policy applies:
 *   `drop-oldest` deletes the oldest stored entries that are not being published to make room,
 *   `drop-newest` refuses the new one, and `stop-reading` drops nothing: `append` waits until
 *   the outbox has drained below its low-water mark, which stops the readers (their pending
 *   reads are the back-pressure). Every drop is counted in `stats()` with the first and last
 *   dropped sequence numbers and times; nothing is dropped silently.
 * - `take(max)` returns up to `max` entries in sequence order that were not handed out since the
 *   last `rewind()`, never scanning deleted keys from the start (it continues from a cursor).
 *   It returns [] when there is nothing new; `waitForEntries()` resolves when there may be.
 * - `ack(seq)` deletes an entry: call it only after the broker's PUBACK. Deletes are batched;
 *   an ack lost in a crash means the entry is delivered again (a duplicate, never a loss).
 * - `rewind()` makes every entry handed out but not acknowledged available to `take` again,
 *   in sequence order (after a connection loss). It also ends a replay split (below).
 * - Replay lanes, so live events need not wait behind a backlog: `splitBacklog()` marks the
 *   entries stored now and not yet handed out as the backlog, and returns the backlog's last
 *   sequence number (undefined, and no split, when nothing waits or a split is on already).
 *   Until that backlog has been handed out, `take(max)` hands out only backlog entries and
 *   `takeLive(max)` the entries appended since, each lane in sequence order; `replaying()` says
 *   whether a split is on. Once `take` has handed out the whole backlog the lanes merge: `take`
 *   continues after the last entry `takeLive` handed out, and `takeLive` returns nothing.
 *
 * A backend that also keeps a ledger of its drops implements `DropLedgerSource`: the ranges of
 * dropped sequence numbers not yet announced upstream, kept in the store with the deletes that
 * caused them, so an overflow notice survives a restart.
 */
export interface OutboxEntry {
  readonly seq: number;
  /** Topic the entry is published on. */
  readonly topic: string;
  /**
   * The serialized payload (UTF-8 JSON), as text or as its UTF-8 bytes. `take()` hands it out as
   * the same bytes in either form (the LevelDB outbox: a live entry as it was appended, a backlog
   * read back from the store as text).
   */
  readonly payload: string | Buffer;
  /** Wall-clock ms at which it was accepted. */
  readonly acceptedAt: number;
}

export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'stop-reading';
export type SyncPolicy = 'batch' | 'interval';

export interface OutboxStats {
  /** Entries stored and not yet acknowledged. */
  readonly depth: number;
  readonly bytes: number;
  /** acceptedAt of the oldest stored entry. */
  readonly oldestAt?: number;
  readonly appended: number;
  readonly acked: number;
  /** Entries dropped or refused by the overflow policy since open. */
  readonly dropped: number;
  readonly firstDropped?: { readonly seq: number; readonly at: number };
  readonly lastDropped?: { readonly seq: number; readonly at: number };
  readonly lastSeq: number;
  // What follows is optional: backends that do not know it leave it out.
  readonly policy?: OverflowPolicy;
  /** Entries accepted / acknowledged per second, over the last ~30 s. */
  readonly appendRate?: number;
  readonly ackRate?: number;
  /** Seconds until full at the current net fill rate; null when not filling. */
  readonly runwayS?: number | null;
  /** Appends held back now (waiting for room under stop-reading, or for a failing store). */
  readonly readingStopped?: boolean;
  /** Time appends were held back since open, ms, and how many times it began. */
  readonly stalledMs?: number;
  readonly stalls?: number;
  /** Appends waiting in memory, not yet durable. */
  readonly held?: number;
  /** The last write error while writes are failing (absent once a write succeeds). */
  readonly writeError?: string;
  /** Dropped entries not yet announced in an acknowledged overflow notice. */
  readonly unannouncedDrops?: number;
  /** Entries dropped over the store's whole life (kept across restarts). */
  readonly totalDropped?: number;
  /** Stored records that could not be decoded since open (moved aside, never delivered). */
  readonly quarantined?: number;
  /** A backlog split off by splitBacklog() is still being handed out beside live entries. */
  readonly replaying?: boolean;
}

export interface Outbox {
  open(): Promise<void>;
  close(): Promise<void>;
  nextSequence(): number;
  append(entry: OutboxEntry): Promise<boolean>;
  appendAll(entries: readonly OutboxEntry[]): Promise<boolean[]>;
  take(max: number): Promise<OutboxEntry[]>;
  waitForEntries(signal?: AbortSignal): Promise<void>;
  ack(seq: number): void;
  rewind(): void;
  splitBacklog(): number | undefined;
  takeLive(max: number): Promise<OutboxEntry[]>;
  replaying(): boolean;
  stats(): OutboxStats;
}

/** `appendAll()` was rejected part way: the outcomes of the entries settled before the first rejected one. */
export class AppendRefused extends Error {
  constructor(
    message: string,
    readonly settled: readonly boolean[],
  ) {
    super(message);
    this.name = 'AppendRefused';
  }
}

/** Consecutive dropped sequence numbers `from..to`, with the acceptance times of both ends. */
export interface DropRange {
  readonly from: number;
  readonly to: number;
  readonly fromAt: number;
  readonly toAt: number;
}

/** What an overflow notice announces: a set of drop ranges, and the lifetime total. */
export interface DropCut {
  readonly ranges: readonly DropRange[];
  readonly totalDropped: number;
}

export interface DropLedgerSource {
  /**
   * Drop ranges not yet confirmed (at most `maxRanges`, oldest first), or undefined when there
   * are none. Ranges handed out are closed: later drops start new ranges.
   */
  cutDrops(maxRanges: number): DropCut | undefined;
  /** The notice carrying `cut` was acknowledged: forget its ranges (persisted with the next write). */
  confirmDrops(cut: DropCut): void;
}
