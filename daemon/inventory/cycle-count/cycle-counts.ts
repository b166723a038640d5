/**
 * Cycle counts (`jobs.cycleCount`): on each read point's schedule, take stock of the units
 * present there and record one count event (in parts when large) on its counts topic, durably
 * through the outbox like events.
 *
 * Present are the units in an open pass at the read point now (the smoother's; tags still being
 * read) and, with `windowS`, those with an event there within that many seconds before the count
 * (a scan session at a barcode read point). Appeared and missing compare with the read point's
 * last count in the inventory store. A count runs once at a time per read point (a run due while
 * one runs is skipped and logged); a failing count is logged and the next one runs on time.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../../../config/schema.js';
import type { ReadPointContext } from '../../event/epcis.js';
import type { Logger } from '../../log.js';
import { readPointSettings } from '../../read-points.js';
import type { InventoryDeps, InventoryFeature } from '../features.js';
import { type CountTaken, countEvents, partsOf } from './count-event.js';
import { type CountSummary, type LastCount, LastCounts, summaryOf } from './last-counts.js';
import { RecentUnits } from './recent-units.js';
import { sortedDiff } from './sorted-diff.js';

type CountConfig = NonNullable<Config['jobs']['cycleCount']>[number];

/** A counted read point in the health report. */
export interface CountHealth {
  /** When its last count was taken (ISO 8601); absent before its first. */
  readonly lastAt?: string;
  readonly units: number;
  readonly appeared: number;
  readonly missing: number;
  readonly parts: number;
  readonly truncated: boolean;
  /** Counts that failed since start (the store or the outbox could not take them). */
  readonly failures: number;
}

interface Counted {
  readonly config: CountConfig;
  readonly where: ReadPointContext;
  readonly topic: string;
  last: CountSummary | undefined;
  running: Promise<void> | undefined;
  failures: number;
}

export class CycleCounts implements InventoryFeature {
  readonly name = 'cycleCounts';
  private readonly counted = new Map<string, Counted>();
  private readonly recent: RecentUnits;
  private readonly last: LastCounts;
  private readonly tasks: ScheduledTask[] = [];
  private readonly log: Logger;
  private stopped = false;
  private readonly watching: boolean;

  constructor(
    private readonly deps: InventoryDeps,
    counts: readonly CountConfig[],
  ) {
    this.log = deps.log.child({ feature: 'cycle-count' });
    const settings = readPointSettings(deps.config, deps.topics);
    for (const c of counts) {
      const point = settings.get(c.readPoint);
      if (!point) throw new Error(`cycle count of unknown read point ${c.readPoint}`);
      this.counted.set(c.readPoint, {
        config: c,
        where: point.where,
        topic: deps.topics.counts(c.readPoint),
        last: undefined,
        running: undefined,
        failures: 0,
      });
    }
    // Only counts with a window look back at events; the others cost the read path nothing.
    const windowed = counts.filter((c) => c.windowS > 0);
    this.recent = new RecentUnits(new Map(windowed.map((c) => [c.readPoint, c.maxUnits])));
    this.watching = windowed.length > 0;
    this.last = new LastCounts(deps.store.part('counts'));
  }

  /** Loads each read point's last count, starts watching events and the schedules. */
  async start(): Promise<void> {
    for (const [id, c] of this.counted) {
      const last = await this.last.get(id);
      c.last = last && summaryOf(last);
    }
    if (this.watching)
      this.deps.events.observe({
        eventNumbered: (event) => {
          if (!this.stopped) this.recent.eventNumbered(event);
        },
      });
    for (const [id, c] of this.counted) {
      const task = cron.schedule(c.config.schedule, () => this.count(id), {
        name: `readpoint-cycle-count-${id}`,
        logger: {
          info: (m) => this.log.debug(m),
          debug: (m) => this.log.debug(String(m)),
          warn: (m) => this.log.warn(m),
          error: (m, err) => this.log.error({ err }, String(m)),
        },
      });
      this.tasks.push(task);
    }
  }

  /** Counts a read point now, as its schedule would; resolves when the count is recorded (or failed). */
  count(readPointId: string): Promise<void> {
    const c = this.counted.get(readPointId);
    if (!c || this.stopped) return Promise.resolve();
    if (c.running) {
      this.log.warn({ readPoint: readPointId }, 'a cycle count is still running; this one is skipped');
      return c.running;
    }
    c.running = this.take(readPointId, c)
      .catch((err: unknown) => {
        c.failures++;
        this.log.error({ err, readPoint: readPointId }, `cycle count failed: ${(err as Error).message}`);
      })
      .finally(() => {
        c.running = undefined;
      });
    return c.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const task of this.tasks.splice(0)) await task.destroy();
    // The store closes after the features: a count under way finishes first.
    await Promise.all([...this.counted.values()].map((c) => c.running));
  }

  health(): Record<string, unknown> {
    const readPoints: Record<string, CountHealth> = {};
    for (const [id, c] of this.counted) {
      const last = c.last;
      readPoints[id] = {
        ...(last ? { lastAt: new Date(last.at).toISOString() } : {}),
        units: last?.units ?? 0,
        appeared: last?.appeared ?? 0,
        missing: last?.missing ?? 0,
        parts: last?.parts ?? 0,
        truncated: last?.truncated ?? false,
        failures: c.failures,
      };
    }
    return { readPoints, forgotten: this.recent.forgotten };
  }

  private async take(readPointId: string, c: Counted): Promise<void> {
    const { maxUnits, windowS, unitsPerPart } = c.config;
    const at = Date.now();
    const open = this.deps.smoother.openUnits(readPointId, maxUnits);
    let present = open.units;
    if (windowS > 0) {
      const found = new Set(present);
      for (const uri of this.recent.since(readPointId, at - windowS * 1000)) found.add(uri);
      present = [...found];
    }
    present.sort();
    const truncated = open.more || present.length > maxUnits;
    if (present.length > maxUnits) present = present.slice(0, maxUnits);
    // A large count is a few tens of ms of work: reads waiting go first.
    await new Promise((resolve) => setImmediate(resolve));
    const before = await this.last.get(readPointId);
    const diff = sortedDiff(present, before?.units ?? []);
    const taken: CountTaken = {
      readPointId,
      at,
      present,
      appeared: diff.appeared,
      // A truncated count lists only some units: the others would look missing.
      missing: truncated ? [] : diff.missing,
      ...(before ? { previousAt: before.at } : {}),
      windowS,
      truncated,
    };
    const builders = countEvents(taken, c.where, unitsPerPart);
    const recorded = await this.deps.recorder.recordAll(builders.map((build) => ({ topic: c.topic, build })));
    const summary = {
      readPoint: readPointId,
      units: present.length,
      appeared: taken.appeared.length,
      missing: taken.missing.length,
      parts: builders.length,
    };
    if (recorded.refused > 0) {
      // Not the base of the next count: what it said did not all reach the outbox.
      this.log.warn({ ...summary, refused: recorded.refused }, 'cycle count refused by the full outbox');
      return;
    }
    const last: LastCount = {
      at,
      units: present,
      appeared: taken.appeared.length,
      missing: taken.missing.length,
      parts: partsOf(taken, unitsPerPart),
      truncated,
    };
    await this.last.put(readPointId, last);
    c.last = summaryOf(last);
    this.log.info(summary, 'cycle count recorded');
  }
}

/** The cycle counts of `jobs.cycleCount`; undefined when none are configured. */
export async function startCycleCounts(deps: InventoryDeps): Promise<InventoryFeature | undefined> {
  const counts = deps.config.jobs.cycleCount ?? [];
  if (counts.length === 0) return undefined;
  const feature = new CycleCounts(deps, counts);
  await feature.start();
  return feature;
}
