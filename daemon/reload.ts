/**
 * How a live reload is applied, in an order that loses no read (reload-plan.ts says what
 * changes): readers that go or change stop first and hand over their reads under the old rules;
 * then the network readers' logins at the embedded broker are swapped; then the read points get their new rules (passes open at changed or removed ones end, written
 * under the old read point); then the uplink, and the readers that come or changed start under
 * the new rules; last the metrics endpoint and the jobs. (The log level is the caller's: it
 * changes after the reload's own log line.)
 *
 * Contract: every step is tried even when one before it failed; the problems met are returned
 * (empty: everything applied). The outbox is not part of the target: a reload never touches it.
 */
import type { Config } from '../config/schema.js';
import type { Topics } from './contract/topics.js';
import { type EventWriter, type ReadPointRuntime, readPointRuntimes } from './read-points.js';
import type { ReaderSet, RunningReader } from './reader-set.js';
import type { ReloadPlan } from './reload-plan.js';
import type { Smoother } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';

/** The running parts a reload changes, and how to swap the ones that are replaced whole. */
export interface ReloadTarget {
  readonly readers: ReaderSet;
  readonly smoother: Smoother;
  readonly events: EventWriter;
  readonly topics: Topics;
  write(due: readonly Transition[], what: string): Promise<void>;
  swapUplink(next: Config): Promise<void>;
  swapMetrics(next: Config): Promise<void>;
  swapJobs(next: Config): void;
  /** Swaps the network readers' broker logins, read and checked before the reload began. */
  swapBrokerLogins?(): void;
}

export async function applyPlan(target: ReloadTarget, plan: ReloadPlan, next: Config): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, step: () => Promise<void> | void) => {
    try {
      await step();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  const { readers } = target;
  // 1. Readers that go or change hand over the reads they have, under the old rules.
  const restarting = new Set(plan.readers.changed.map((r) => r.id));
  const carried = new Map<string, RunningReader | undefined>();
  for (const id of [...plan.readers.removed, ...restarting]) {
    await attempt(`reader ${id} did not stop cleanly`, async () => {
      carried.set(id, await readers.remove(id, !restarting.has(id)));
    });
  }
  if (target.swapBrokerLogins) await attempt('broker reader logins', () => target.swapBrokerLogins?.());
  // 2. Read points: the passes open at changed or removed ones end, written under the old point.
  const points = readPointRuntimes(next, target.topics);
  const ended = target.smoother.reconfigure(rulesOf(points), [
    ...plan.readPoints.changed,
    ...plan.readPoints.removed,
  ]);
  const endedWrite = target.write(ended, 'passes ended by the reload');
  target.events.reconfigure(points);
  // 3. The uplink reconnects to its new settings; what was not acknowledged is sent again.
  if (plan.uplink) await attempt('uplink', () => target.swapUplink(next));
  // 4. Readers that come or changed start under the new rules.
  for (const reader of [...plan.readers.added, ...plan.readers.changed]) {
    await attempt(`reader ${reader.id} did not start`, () => readers.add(reader, carried.get(reader.id)));
  }
  if (plan.metrics) await attempt('metrics', () => target.swapMetrics(next));
  if (plan.jobs) await attempt('jobs', () => target.swapJobs(next));
  await endedWrite;
  return problems;
}

export function rulesOf(points: ReadonlyMap<string, ReadPointRuntime>) {
  return new Map([...points].map(([id, p]) => [id, p.rules]));
}
