/**
 * Scheduled jobs (node-cron, schedules from the config's `jobs`): the health heartbeat, the
 * summary, outbox compaction and the smoothing sweep.
 *
 * Contract:
 * - A job never runs twice at once (a slow compaction is not started again while it runs), and
 *   a job that throws is logged and runs again at its next time; it never stops the daemon.
 * - The heartbeat follows `jobs.health` when set, else every `uplink.healthIntervalS` seconds.
 *   `nextHeartbeat()` says when its next scheduled run is due, so the heartbeat can announce it.
 * - `stop()` cancels every schedule; a job already running finishes on its own.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../config/schema.js';
import type { Logger } from './log.js';

export interface JobActions {
  health(): void;
  summary(): void;
  compaction(): Promise<void>;
  pruning(): void;
}

export type JobName = keyof JobActions;

export class Jobs {
  private readonly tasks: ScheduledTask[] = [];
  private interval: NodeJS.Timeout | undefined;
  /** With an interval heartbeat: when its next run is due (epoch ms). */
  private intervalDue: number | undefined;
  private healthTask: ScheduledTask | undefined;
  private readonly busy = new Set<JobName>();

  constructor(
    private readonly config: Config,
    private readonly actions: JobActions,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { jobs, uplink } = this.config;
    if (jobs.health) this.healthTask = this.schedule('health', jobs.health);
    else {
      const everyMs = uplink.healthIntervalS * 1000;
      this.intervalDue = Date.now() + everyMs;
      this.interval = setInterval(() => {
        this.intervalDue = Date.now() + everyMs;
        void this.run('health');
      }, everyMs);
    }
    this.schedule('summary', jobs.summary);
    this.schedule('compaction', jobs.compaction);
    this.schedule('pruning', jobs.pruning);
  }

  /** When the next scheduled heartbeat is due (epoch ms); undefined once stopped. */
  nextHeartbeat(): number | undefined {
    if (this.healthTask) return this.healthTask.getNextRun()?.getTime();
    return this.intervalDue;
  }

  stop(): void {
    clearInterval(this.interval);
    this.intervalDue = undefined;
    this.healthTask = undefined;
    for (const task of this.tasks.splice(0)) void task.destroy();
  }

  /** Runs a job now (as its schedule would); resolves when it is done. */
  async run(name: JobName): Promise<void> {
    if (this.busy.has(name)) {
      this.log.warn({ job: name }, `job ${name} is still running; this run is skipped`);
      return;
    }
    this.busy.add(name);
    try {
      await this.actions[name]();
    } catch (err) {
      this.log.error({ err, job: name }, `job ${name} failed: ${(err as Error).message}`);
    } finally {
      this.busy.delete(name);
    }
  }

  private schedule(name: JobName, expression: string): ScheduledTask {
    const log = this.log.child({ job: name });
    const task = cron.schedule(expression, () => this.run(name), {
      name: `readpoint-${name}`,
      // node-cron's own messages (a missed run after the machine slept) go to our log.
      logger: {
        info: (m) => log.debug(m),
        debug: (m) => log.debug(String(m)),
        warn: (m) => log.warn(m),
        error: (m, err) => log.error({ err }, String(m)),
      },
    });
    this.tasks.push(task);
    return task;
  }
}
