/**
 * Composing one group commit: which appends are stored, which stored entries an overflow drops,
 * and the LevelDB operations for them; and undoing that in the ledger if the write fails.
 */
import type { Ledger, LedgerEntry } from './ledger.js';
import type { OutboxEntry } from './outbox.js';
import { DROPS, entryKey, LAST_SEQ } from './record.js';

export type Op =
  | { type: 'put'; key: string; value: string }
  | { type: 'put'; key: string; value: Uint8Array; valueEncoding: 'view' }
  | { type: 'del'; key: string };

export interface Bounds {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly overflow: 'drop-oldest' | 'drop-newest';
}

export interface Append {
  readonly entry: OutboxEntry;
  /** The encoded value and its size (key and value bytes). */
  readonly value: string;
  readonly size: number;
}

/** Every overflow drop: how many, and the first and last (sequence number, acceptedAt). */
export interface DropTally {
  readonly count: number;
  readonly first?: { readonly seq: number; readonly at: number };
  readonly last?: { readonly seq: number; readonly at: number };
}

export interface Composed {
  /** Whether each append is stored (resolves true). */
  readonly stored: boolean[];
  /** Everything dropped, in order: stored entries (size > 0) and refused appends (size 0). */
  readonly drops: LedgerEntry[];
  /** The tally once this batch is written. */
  readonly tally: DropTally;
}

/**
 * Applies `appends` to the ledger within the bounds and adds their operations to `ops`: puts,
 * deletes of dropped stored entries, the high-water mark and the drop tally. Entries above `durableSeq` are in this
 * batch: one dropped by a later one in the same batch is never written.
 */
export function compose(
  ledger: Ledger,
  appends: readonly Append[],
  durableSeq: number,
  bounds: Bounds,
  tally: DropTally,
  ops: Op[],
): Composed {
  const drops: LedgerEntry[] = [];
  const stored = appends.map((a) => {
    const fits = () => ledger.depth < bounds.maxEvents && ledger.bytes + a.size <= bounds.maxBytes;
    if (!fits() && (bounds.overflow === 'drop-newest' || a.size > bounds.maxBytes)) {
      drops.push({ seq: a.entry.seq, at: a.entry.acceptedAt, size: 0 });
      return false;
    }
    while (!fits()) drops.push(ledger.remove(ledger.oldest()!.seq)!);
    ledger.push(a.entry.seq, a.entry.acceptedAt, a.size);
    return true;
  });
  const droppedHere = new Set<number>();
  for (const d of drops) {
    if (d.seq > durableSeq) droppedHere.add(d.seq);
    else ops.push({ type: 'del', key: entryKey(d.seq) });
  }
  appends.forEach((a, i) => {
    if (stored[i] && !droppedHere.has(a.entry.seq)) {
      ops.push({ type: 'put', key: entryKey(a.entry.seq), value: a.value });
    }
  });
  const last = appends.at(-1);
  if (last) ops.push({ type: 'put', key: LAST_SEQ, value: String(last.entry.seq) });
  if (drops.length > 0) {
    const at = (d: LedgerEntry) => ({ seq: d.seq, at: d.at });
    tally = {
      count: tally.count + drops.length,
      first: tally.first ?? at(drops[0]!),
      last: at(drops.at(-1)!),
    };
    ops.push({ type: 'put', key: DROPS, value: JSON.stringify(tally) });
  }
  return { stored, drops, tally };
}

/** Puts the ledger back as it was before `compose`; returns the stored entries it restored. */
export function undo(ledger: Ledger, drops: readonly LedgerEntry[], durableSeq: number): LedgerEntry[] {
  ledger.dropAbove(durableSeq);
  const restored = drops.filter((d) => d.size > 0 && d.seq <= durableSeq);
  for (const d of [...restored].reverse()) ledger.unshift(d.seq, d.at, d.size);
  return restored;
}
