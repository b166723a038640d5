/**
 * What the scheduled jobs do (daemon/jobs.ts says when): the health heartbeat, the summary per
 * reader, outbox compaction and the smoothing sweep, on the running gateway's parts.
 *
 * Contract: every action is a no-op while the gateway is not running. A summary due while the
 * uplink cannot publish is kept (the latest one) and sent by the first heartbeat that can.
 */
import type { Config } from '../config/schema.js';
import type { HealthPayload, Topics } from './contract/topics.js';
import type { JobActions } from './jobs.js';
import type { Logger } from './log.js';
import type { LevelOutbox } from './outbox/level-outbox.js';
import type { ReaderSet } from './reader-set.js';
import type { Smoother } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';
import { SummaryBook } from './summary.js';
import type { Uplink } from './uplink/uplink.js';

/** The running parts the jobs work on. */
export interface HousekeepingParts {
  readonly outbox: LevelOutbox;
  readonly readers: ReaderSet;
  readonly smoother: Smoother;
  readonly uplink: Uplink;
}

/** What the housekeeping needs from the gateway; read at each run (a reload may change it). */
export interface HousekeepingView {
  readonly topics: Topics;
  readonly log: Logger;
  parts(): HousekeepingParts | undefined;
  config(): Config;
  health(): HealthPayload | undefined;
  /** Events delivered since start. */
  published(): number;
  /** Writes transitions as events (failures are logged there). */
  write(due: readonly Transition[], what: string): Promise<void>;
  /** Called with every heartbeat's snapshot. */
  onHealth?(health: HealthPayload): void;
}

export class Housekeeping implements JobActions {
  private summaries: SummaryBook;
  private pendingSummary: string | undefined;

  constructor(
    private readonly view: HousekeepingView,
    startedAt: number,
  ) {
    this.summaries = new SummaryBook(startedAt);
  }

  health(): void {
    const parts = this.view.parts();
    const snapshot = this.view.health();
    if (!parts || !snapshot) return;
    parts.uplink.publishStatus(this.view.topics.health, JSON.stringify(snapshot));
    this.view.log.info({ component: 'health', health: snapshot }, 'health');
    this.view.onHealth?.(snapshot);
    if (this.pendingSummary !== undefined) this.publishSummary(parts.uplink, this.pendingSummary);
  }

  summary(): void {
    const parts = this.view.parts();
    if (!parts) return;
    const { gateway } = this.view.config();
    const summary = this.summaries.take(
      { gateway: gateway.id, site: gateway.site },
      parts.readers.summaryCounts(),
      this.view.published(),
      parts.outbox.stats().depth,
      Date.now(),
    );
    this.view.log.info({ component: 'summary', summary }, 'summary');
    this.publishSummary(parts.uplink, JSON.stringify(summary));
  }

  async compaction(): Promise<void> {
    const done = await this.view.parts()?.outbox.compact(this.view.config().jobs.compactAfterEvents);
    if (done) this.view.log.info({ component: 'outbox', ...done }, 'outbox compacted');
  }

  pruning(): void {
    const parts = this.view.parts();
    if (!parts) return;
    const { ended, transitions } = parts.smoother.sweep(performance.now());
    void this.view.write(transitions, 'passes ended by the sweep');
    this.view.log.info(
      { component: 'smoothing', swept: ended, ...parts.smoother.stats() },
      'smoothing state swept',
    );
  }

  /** Retained, so a consumer that connects later sees the last one. */
  private publishSummary(uplink: Uplink, payload: string): void {
    if (uplink.canPublish()) {
      uplink.publishStatus(this.view.topics.summary, payload, true);
      this.pendingSummary = undefined;
    } else this.pendingSummary = payload;
  }
}
