/** Cycle counts name defined read points, each at most once, on valid cron schedules. */
import cron from 'node-cron';
import type { Config } from './schema.js';

type Problem = (path: (string | number)[], message: string) => void;

export function checkCycleCounts(config: Config, problem: Problem): void {
  const points = new Set(config.readPoints.map((p) => p.id));
  const first = new Map<string, number>();
  (config.jobs.cycleCount ?? []).forEach((c, i) => {
    const at = ['jobs', 'cycleCount', i];
    if (!points.has(c.readPoint))
      problem([...at, 'readPoint'], `read point "${c.readPoint}" is not defined in readPoints`);
    const before = first.get(c.readPoint);
    if (before !== undefined)
      problem(
        [...at, 'readPoint'],
        `read point "${c.readPoint}" is counted already (jobs.cycleCount[${before}])`,
      );
    else first.set(c.readPoint, i);
    const verdict = cron.validateDetailed(c.schedule);
    if (!verdict.valid)
      problem(
        [...at, 'schedule'],
        `not a cron expression: ${verdict.errors.map((e) => e.message).join('; ') || 'unreadable'} ` +
          '(5 fields "min hour day month weekday", or 6 with seconds first)',
      );
  });
}
