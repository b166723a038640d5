/**
 * The where-is index alone (daemon/inventory/where), in a process of its own: the cost of keeping
 * it per event (the observer's call on the read path, then the batched LevelDB writes and
 * evictions), lookups per second once it holds `units` units, and the process's own memory with
 * the index full. Real LevelDB in a temp dir; units named as a barcode names them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnitIdentity } from '../../daemon/identity/identity.js';
import { InventoryStore } from '../../daemon/inventory/inventory-store.js';
import type { NumberedEvent } from '../../daemon/inventory/observers.js';
import { WhereIndex } from '../../daemon/inventory/where/where-index.js';
import { answerUnits } from '../../daemon/inventory/where/where-query.js';
import { HeapGrowth } from '../../daemon/memory-budget.js';
import { cpuMark, measuredSince } from './cpu.js';

export interface WhereResult {
  readonly units: number;
  /** Keeping the index while `units` events of new units came (and the same again of units seen before). */
  readonly keep: {
    readonly perSecond: number;
    readonly cpuUs: number;
    readonly mainUs: number;
    readonly observeUs: number;
  };
  /** `find` of a unit's key, one after another, awaited: lookups/s and µs each. */
  readonly find: { readonly perSecond: number; readonly cpuUs: number };
  /** Questions as `readpoint where` and the query topic ask them (decode + find), 100 units each: units/s. */
  readonly asked: { readonly perSecond: number; readonly cpuUs: number };
  /** Evictions while `evicting` more new units came to the full index: events/s. */
  readonly evict: { readonly perSecond: number; readonly evictions: number };
  /** RssAnon, MB: at the start, and its highest through the fill and the lookups. */
  /** Sightings not indexed because too many units waited for a flush (the feed outran the disk). */
  readonly missed: number;
  readonly anonStartMb: number;
  readonly anonMaxMb: number;
}

/** RssAnon of this process, bytes (from /proc/self/status). */
function rssAnonBytes(): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

const key = (n: number) => `https://id.gs1.org/01/09506000134352/21/SN${n}`;

/** A barcode's identity as the decoder gives it, enough for the index (its key and URI). */
const identity = (n: number) =>
  ({
    source: 'gs1-element-string',
    scheme: 'sgtin',
    uri: key(n),
    gtin: '09506000134352',
    serial: `SN${n}`,
  }) as UnitIdentity;

export async function benchWhere(o: { units: number; lookups: number }): Promise<WhereResult> {
  // The heap held as the daemon holds it with its default budget (memory.budgetMb 128).
  const heap = new HeapGrowth(128);
  heap.start();
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-where-'));
  const store = new InventoryStore(dir);
  await store.open();
  let anonMax = 0;
  const sample = () => {
    anonMax = Math.max(anonMax, rssAnonBytes());
  };
  const anonStart = rssAnonBytes();
  const index = new WhereIndex(store.part('where'), {
    maxUnits: o.units,
    maxAgeMs: 3650 * 86_400_000,
    flushMs: 100,
  });
  await index.start();
  let seq = 0;
  const now = Date.now();
  const feed = async (from: number, count: number): Promise<number> => {
    let observeNs = 0n;
    for (let i = 0; i < count; i++) {
      const n = from + i;
      const event: NumberedEvent = {
        sighting: {
          identity: identity(n),
          readerId: 'scanner-1',
          readPointId: `dock-${n % 8}`,
          firstSeen: now + n,
          lastSeen: now + n,
          readCount: 1,
        },
        seq: ++seq,
        eventId: `urn:uuid:00000000-0000-5000-8000-${String(seq).padStart(12, '0')}`,
        topic: 'readpoint/v1/bench/bench/events/dock',
      };
      const t = process.hrtime.bigint();
      index.eventNumbered(event);
      observeNs += process.hrtime.bigint() - t;
      // The read path yields between groups of reads: let the flushes run as they would. Faster
      // than the disk takes them, the feed waits (the daemon would count them as missed).
      if (i % 2000 === 1999) {
        sample();
        if (index.counters().pending > 20_000) await index.flush();
        else await new Promise((r) => setImmediate(r));
      }
    }
    await index.flush();
    sample();
    return Number(observeNs) / 1000 / count;
  };
  try {
    // New units, then each seen again (an update: its old place in the eviction order goes).
    const keepStart = cpuMark();
    const observeNew = await feed(0, o.units);
    const observeAgain = await feed(0, o.units);
    const kept = measuredSince(keepStart, 2 * o.units);
    if (index.counters().sightings < o.units)
      throw new Error(`index holds ${index.counters().sightings} sightings, not ${o.units}`);

    const picks = Array.from({ length: o.lookups }, (_, i) => (i * 7919) % o.units);
    const findStart = cpuMark();
    for (const n of picks) if (!(await index.find(key(n)))) throw new Error(`unit ${n} not found`);
    const found = measuredSince(findStart, o.lookups);
    sample();

    const askStart = cpuMark();
    for (let i = 0; i < picks.length; i += 100) {
      const results = await answerUnits(
        picks.slice(i, i + 100).map((n) => `]d2010950600013435221SN${n}`),
        (k) => index.find(k),
      );
      if (results.some((r) => !r.found)) throw new Error('a unit asked about was not found');
    }
    const asked = measuredSince(askStart, o.lookups);
    sample();

    const evicting = Math.min(o.units, 100_000);
    const before = index.counters().evictions;
    const evictStart = cpuMark();
    await feed(o.units, evicting);
    const evicted = measuredSince(evictStart, evicting);
    return {
      units: o.units,
      keep: { ...kept, observeUs: (observeNew + observeAgain) / 2 },
      find: { perSecond: found.perSecond, cpuUs: found.cpuUs },
      asked: { perSecond: asked.perSecond, cpuUs: asked.cpuUs },
      evict: { perSecond: evicted.perSecond, evictions: index.counters().evictions - before },
      missed: index.counters().missed,
      anonStartMb: anonStart / 1048576,
      anonMaxMb: anonMax / 1048576,
    };
  } finally {
    await index.stop();
    await store.close();
    heap.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
