/**
 * Holds at scale: a hold list of 1,000,000 entries (units, lots, serial ranges, GTINs and a
 * company prefix, on the simulator's own GTINs so every kind is probed per event, none matching):
 * the index's memory per entry, lookups/s, the time and memory to load it from LevelDB at start;
 * and the gateway's CPU per event with it loaded vs with no entries (gateway.ts, `holds`).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodeRead } from '../../daemon/identity/decode.js';
import type { UnitIdentity } from '../../daemon/identity/identity.js';
import { HoldBook } from '../../daemon/inventory/holds/hold-book.js';
import { HoldIndex } from '../../daemon/inventory/holds/hold-index.js';
import { HoldLists } from '../../daemon/inventory/holds/hold-lists.js';
import { InventoryStore } from '../../daemon/inventory/inventory-store.js';
import { MIB } from '../../daemon/mebibytes.js';
import { DEFAULT_BUDGET_MB, holdIndexMbFor } from '../../daemon/memory-budget.js';
import { ownMemoryBytes } from '../../daemon/own-memory.js';
import { unit } from '../../drivers/simulated-units.js';
import { benchEntry } from '../support/hold-store.js';

export function anonMb(): number {
  return (ownMemoryBytes() ?? Number.NaN) / MIB;
}

/** A copy of a data dir made by writeHoldStore, for one run. */
export function copyHoldStore(template: string, dataDir: string): void {
  cpSync(join(template, 'inventory'), join(dataDir, 'inventory'), { recursive: true });
}

export interface HoldIndexResult {
  readonly entries: number;
  /** The index's own typed arrays, bytes per entry. */
  readonly indexBytesPerEntry: number;
  /** Array buffers grown while the index was built, after a full GC, bytes per entry. */
  readonly memoryBytesPerEntry: number;
  /** Lookups per second of simulated units (none held), one core. */
  readonly lookupsPerSecond: number;
  /** Lookups per second of held units (each a hit). */
  readonly hitLookupsPerSecond: number;
}

export interface HoldLoadResult {
  readonly entries: number;
  /** Loading the list from LevelDB as the daemon does at start, s. */
  readonly loadS: number;
  /** The process's own memory (RssAnon) before, at most while, and after loading, MB. */
  readonly beforeAnonMb: number;
  readonly peakAnonMb: number;
  readonly afterAnonMb: number;
}

/** Loads a copy of the hold store at `template` into an index, in a fresh process. */
export async function benchHoldLoad(o: { template: string }): Promise<HoldLoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-hold-load-'));
  try {
    copyHoldStore(o.template, dir);
    const store = new InventoryStore(dir);
    await store.open();
    const index = new HoldIndex();
    // With the default budget's limit, as the daemon loads them.
    const limit = holdIndexMbFor(DEFAULT_BUDGET_MB) * MIB;
    const lists = new HoldLists(new HoldBook(store.part('holds')), index, limit);
    const beforeAnonMb = anonMb();
    let peakAnonMb = beforeAnonMb;
    const sampler = setInterval(() => {
      peakAnonMb = Math.max(peakAnonMb, anonMb());
    }, 20);
    const started = performance.now();
    await lists.load();
    const loadS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const afterAnonMb = anonMb();
    await store.close();
    return {
      entries: index.size,
      loadS,
      beforeAnonMb,
      peakAnonMb: Math.max(peakAnonMb, afterAnonMb),
      afterAnonMb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function identity(data: Buffer, kind: 'barcode' | 'epc'): UnitIdentity {
  const r = decodeRead({ kind, data }, { data: 'aim', plainSerial: [] });
  if (!r.ok) throw new Error(r.reject.message);
  return r.identity;
}

function lookupsPerSecond(index: HoldIndex, units: readonly UnitIdentity[], expectHits: boolean): number {
  let hits = 0;
  const onHit = () => {
    hits++;
  };
  const now = Date.now();
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    for (const u of units) index.lookup(u, now, onHit);
    done += units.length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (hits > 0 !== expectHits) throw new Error(`lookups found ${hits} hits`);
  return done / seconds;
}

export async function benchHoldIndex(o: { entries: number }): Promise<HoldIndexResult> {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const n = o.entries;
  const entries = Array.from({ length: n }, (_, i) => benchEntry(i));
  gc();
  gc();
  const before = process.memoryUsage();
  let index: HoldIndex | undefined = new HoldIndex();
  for (const e of entries) index.add('site', e);
  gc();
  gc();
  const after = process.memoryUsage();
  // The index is typed arrays (off the heap); the heap's own drift after a GC is noise here.
  const memory = after.arrayBuffers - before.arrayBuffers;
  if (index.size !== n) throw new Error(`the index has ${index.size} entries`);

  const simulated = Array.from({ length: 10_000 }, (_, i) => {
    const u = unit(i, i % 2 === 1);
    return identity(u.data, u.kind);
  });
  const held = entries
    .filter((e) => e.unit !== undefined)
    .slice(0, 10_000)
    .map((e) =>
      identity(Buffer.from(`]d2${e.unit!.replace(/^.*\/01\//, '01').replace('/21/', '21')}`), 'barcode'),
    );
  const lookups = lookupsPerSecond(index, simulated, false);
  const hitLookups = lookupsPerSecond(index, held, true);
  const indexBytesPerEntry = index.bytes / n;
  index = undefined;

  return {
    entries: n,
    indexBytesPerEntry,
    memoryBytesPerEntry: memory / n,
    lookupsPerSecond: lookups,
    hitLookupsPerSecond: hitLookups,
  };
}
