/**
 * What the scheduled jobs do (daemon/jobs.ts says when): the health heartbeat, the summary per
 * reader, outbox compaction and the smoothing sweep, on the running gateway's parts.
 *
 * Contract: every action is a no-op while the gateway is not running. A summary due while the
 * uplink cannot publish is kept (the latest one) and sent by the first heartbeat that can.
 * The summary's period so far, and a summary not yet sent, are kept as an outbox note at every
 * heartbeat, summary and stop (`save()`), and `restore()` picks them up at the next start: a
 * restart keeps the day's counts, a crash loses at most those since the last heartbeat.
 */
import type { Config } from '../config/schema.js';
import type { HealthPayload, Topics } from './contract/topics.js';
import type { OutboxCompaction } from './drain-compaction.js';
import type { JobActions } from './jobs.js';
import type { Logger } from './log.js';
import type { LevelOutbox } from './outbox/level-outbox.js';
import type { ReaderSet } from './reader-set.js';
import type { Smoother } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';
import { SummaryBook, type SummaryCarry } from './summary.js';
import type { Uplink } from './uplink/uplink.js';

/** The running parts the jobs work on. */
export interface HousekeepingParts {
  readonly outbox: LevelOutbox;
  readonly compaction: OutboxCompaction;
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

/** The outbox note that carries the summary's period over a restart. */
const NOTE = 'summary';

/** The note as stored: version 1. */
interface SummaryNote extends SummaryCarry {
  readonly v: 1;
  /** A summary taken but not yet published. */
  readonly unsent?: string;
}

export class Housekeeping implements JobActions {
  private summaries: SummaryBook;
  private pendingSummary: string | undefined;

  constructor(
    private readonly view: HousekeepingView,
    private readonly startedAt: number,
  ) {
    this.summaries = new SummaryBook(startedAt);
  }

  /** Picks up the period (and an unsent summary) a previous run kept in the outbox. */
  restore(outbox: LevelOutbox): void {
    const stored = outbox.note(NOTE);
    if (stored === undefined) return;
    const note = parseNote(stored);
    if (!note) {
      this.view.log.warn(
        { component: 'summary', note: stored.slice(0, 200) },
        'summary note unreadable: a new period starts',
      );
      return;
    }
    this.summaries = new SummaryBook(this.startedAt, note);
    this.pendingSummary = note.unsent;
    this.view.log.info(
      { component: 'summary', from: new Date(note.from).toISOString(), unsent: note.unsent !== undefined },
      'summary period carried over from the previous run',
    );
  }

  /**
   * Keeps the period so far in the outbox (written with its next batch, or at its close); the
   * promise says when it is written (see LevelOutbox.keepNote).
   */
  save(): Promise<boolean> {
    const parts = this.view.parts();
    if (!parts) return Promise.resolve(false);
    const note: SummaryNote = {
      v: 1,
      ...this.summaries.carry(parts.readers.summaryCounts(), this.view.published()),
      ...(this.pendingSummary !== undefined ? { unsent: this.pendingSummary } : {}),
    };
    return parts.outbox.keepNote(NOTE, JSON.stringify(note));
  }

  health(): void {
    const parts = this.view.parts();
    const snapshot = this.view.health();
    if (!parts || !snapshot) return;
    // Retained: `readpoint status` and a consumer that subscribes later get the latest at once.
    parts.uplink.publishStatus(this.view.topics.health, JSON.stringify(snapshot), true);
    this.view.log.info({ component: 'health', health: snapshot }, 'health');
    this.view.onHealth?.(snapshot);
    if (this.pendingSummary !== undefined) this.publishSummary(parts.uplink, this.pendingSummary);
    void this.save();
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
    void this.save();
  }

  /** Compacts the outbox when due (drain-compaction.ts also does while a backlog drains). */
  async compaction(): Promise<void> {
    await this.view.parts()?.compaction.scheduled();
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

function parseNote(stored: string): SummaryNote | undefined {
  let n: Partial<SummaryNote>;
  try {
    n = JSON.parse(stored);
  } catch {
    return undefined;
  }
  const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  const ok =
    n?.v === 1 &&
    count(n.from) &&
    count(n.delivered) &&
    (n.unsent === undefined || typeof n.unsent === 'string') &&
    Array.isArray(n.readers) &&
    n.readers.every(
      (r) =>
        typeof r?.id === 'string' && count(r.reads) && count(r.events) && count(r.rejects) && count(r.errors),
    );
  return ok ? (n as SummaryNote) : undefined;
}
