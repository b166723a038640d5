/**
 * The wiring: builds every stage from the frozen config, starts them in dependency order, stops
 * them in reverse, and swaps the parts a live reload changes. Read this file last; it only
 * connects the pieces.
 *
 *   readers (drivers -> pipelines: identity, smoothing) -> recorder -> outbox -> uplink stage
 *   (dispatcher -> uplink; outbox drop ledger -> overflow notices -> uplink)
 *
 * Back-pressure (outbox.overflow: stop-reading, or a store that cannot be written) needs no wiring
 * of its own: the outbox holds the appends, so the recorder's batch stays pending, the pipelines'
 * read() calls stay pending, each driver's handover window fills and the driver stops pulling
 * bytes from its device until the outbox takes appends again.
 *
 * A reload (reload-plan.ts says what changes) never touches the outbox, the recorder or the
 * embedded broker; readers it does not change keep reading throughout.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { ReaderStatus } from '../drivers/driver.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { readerLogins } from './broker/reader-access.js';
import type { ConfigHealth, HealthPayload, Topics } from './contract/topics.js';
import { topics } from './contract/topics.js';
import { healthSnapshot } from './health.js';
import { Jobs } from './jobs.js';
import type { Logger } from './log.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { LevelOutbox } from './outbox/level-outbox.js';
import { EventWriter, type ReadPointRuntime, readPointRuntimes } from './read-points.js';
import { ReaderSet } from './reader-set.js';
import { Recorder } from './recorder.js';
import { describePlan, planReload } from './reload-plan.js';
import { Smoother } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';
import { SummaryBook } from './summary.js';
import { redactUrl } from './uplink/redact.js';
import { UplinkStage, upstreamOf } from './uplink-stage.js';

interface Step {
  readonly name: string;
  readonly stop: () => Promise<void> | void;
}

/** What a reload did: applied (with what changed) or refused (with why). */
export interface ReloadOutcome {
  readonly ok: boolean;
  readonly message: string;
}

/** How often departures, presence reports and passages are looked for. */
const SMOOTHING_TICK_MS = 200;
/** How often the readers' read rates are sampled. */
const RATE_SAMPLE_MS = 1000;

/** The parts that exist once started. */
interface Running {
  readonly outbox: LevelOutbox;
  readonly broker: EmbeddedBroker | undefined;
  readonly smoother: Smoother;
  readonly events: EventWriter;
  readonly readers: ReaderSet;
  stage: UplinkStage;
  jobs: Jobs;
  metrics: MetricsServer | undefined;
}

export class Gateway {
  private readonly steps: Step[] = [];
  private running: Running | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private lastSample = 0;
  private publishedBefore = 0;
  private pendingSummary: string | undefined;
  private summaries = new SummaryBook(Date.now());
  private reloads: Promise<unknown> = Promise.resolve();
  private configState: { -readonly [K in keyof ConfigHealth]: ConfigHealth[K] };
  private startedAt = Date.now();
  readonly topics: Topics;
  /** Called with every heartbeat's snapshot (the service manager's status line). */
  onHealth: ((health: HealthPayload) => void) | undefined;

  constructor(
    private config: Config,
    private readonly log: Logger,
  ) {
    this.topics = topics(config.uplink.topicPrefix, config.gateway.site, config.gateway.id);
    this.configState = { generation: 1, loadedAt: new Date().toISOString(), reloads: 0, reloadFailures: 0 };
  }

  /** Starts every stage; if one fails, what was started is stopped again and the error thrown. */
  async start(): Promise<void> {
    const { config, log } = this;
    this.startedAt = Date.now();
    this.summaries = new SummaryBook(this.startedAt);
    try {
      const outbox = new LevelOutbox(
        join(config.dataDir, 'outbox'),
        config.outbox,
        log.child({ component: 'outbox' }),
      );
      await outbox.open();
      this.steps.push({ name: 'outbox', stop: () => outbox.close() });

      let broker: EmbeddedBroker | undefined;
      if (config.broker.enabled) {
        broker = new EmbeddedBroker(
          { ...config.broker, readers: readerLogins(config.readers) },
          log.child({ component: 'broker' }),
        );
        await broker.start();
        const started = broker;
        this.steps.push({ name: 'broker', stop: () => started.stop() });
      }
      const upstream = upstreamOf(config, broker?.address());
      const stage = new UplinkStage(config, upstream, outbox, this.topics, log);
      this.steps.push({ name: 'uplink', stop: () => this.running?.stage.stop() ?? stage.stop() });
      await stage.start();

      const recorder = new Recorder(
        outbox,
        { batchMax: config.outbox.batchMax, retryMs: 500 },
        log.child({ component: 'recorder' }),
      );
      this.steps.push({ name: 'recorder', stop: () => recorder.stop() });

      const points = readPointRuntimes(config, this.topics);
      const smoother = new Smoother({ maxTracked: config.smoothing.maxTracked }, rulesOf(points));
      const events = new EventWriter(points, recorder);
      const readers = new ReaderSet({
        gatewayId: config.gateway.id,
        smoother,
        events,
        publishReject: (reject) =>
          this.running?.stage.uplink.publishStatus(this.topics.rejects, JSON.stringify(reject)),
        log,
        ...(broker ? { broker } : {}),
        onState: (reader, st: ReaderStatus) =>
          reader.states.log(st.state, 'info', { state: st.state, lastError: st.lastError }, 'reader state'),
      });
      const jobs = new Jobs(config, this.jobActions(), log.child({ component: 'jobs' }));
      this.running = { outbox, broker, smoother, events, readers, stage, jobs, metrics: undefined };
      this.running.metrics = await this.startMetrics(config);
      this.steps.push({ name: 'metrics', stop: () => this.running?.metrics?.stop() });
      jobs.start();
      // Departures, presence reports and passages are due by time, not by a read.
      this.tickTimer = setInterval(() => this.tick(), SMOOTHING_TICK_MS);
      this.steps.push({
        name: 'timers',
        stop: () => {
          clearInterval(this.tickTimer);
          this.running?.jobs.stop();
        },
      });

      for (const reader of config.readers) await readers.add(reader);
      this.steps.push({
        name: 'readers',
        stop: async () => {
          const failed = await readers.stopAll(log);
          if (failed.length > 0) throw new Error(`${failed.join(', ')} did not stop cleanly`);
        },
      });
      // Stopped first: reads held back by a full outbox (stop-reading) are written past the
      // limit so the readers can stop; while the store cannot be written, they are refused
      // (logged with their count) instead of keeping the readers from stopping.
      this.steps.push({
        name: 'outbox intake',
        stop: async () => {
          if (outbox.release()) await recorder.stop(1000);
        },
      });
      log.info(
        {
          readers: config.readers.length,
          upstream: redactUrl(upstream.url),
          topics: this.topics.allEvents,
        },
        'readpoint running',
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Applies a new, valid configuration (see reload-plan.ts). Reloads run one at a time in the
   * order asked. A reload that needs a restart is refused whole and the running config stays.
   */
  reload(next: Config): Promise<ReloadOutcome> {
    const outcome = this.reloads
      .then(() => this.applyReload(next))
      .catch((err: Error) => this.noteReload(false, `failed: ${err.message}`));
    this.reloads = outcome;
    return outcome;
  }

  /** Records a reload that could not even be tried (the new file is invalid), for the health topic. */
  reloadRefused(message: string): ReloadOutcome {
    return this.noteReload(false, message);
  }

  private async applyReload(next: Config): Promise<ReloadOutcome> {
    const run = this.running;
    if (!run) return this.noteReload(false, 'not running');
    const plan = planReload(this.config, next);
    if (plan.restartNeeded.length > 0)
      return this.noteReload(
        false,
        `not applied: ${plan.restartNeeded.join(', ')} changed, which needs a restart ` +
          '(systemctl restart readpoint); the running configuration is unchanged',
      );
    if (plan.unchanged) {
      this.config = next;
      return this.noteReload(true, 'nothing changed');
    }
    const problems: string[] = [];
    // 1. Readers that go or change hand over the reads they have, under the old rules.
    const restart = new Map(plan.readers.changed.map((r) => [r.id, r]));
    const carried = new Map<string, Awaited<ReturnType<ReaderSet['remove']>>>();
    for (const id of [...plan.readers.removed, ...restart.keys()]) {
      try {
        carried.set(id, await run.readers.remove(id, !restart.has(id)));
      } catch (err) {
        problems.push(`reader ${id} did not stop cleanly: ${(err as Error).message}`);
      }
    }
    // 2. Read points: passes open at changed or removed ones end (written under the old point).
    const points = readPointRuntimes(next, this.topics);
    const ended = run.smoother.reconfigure(rulesOf(points), [
      ...plan.readPoints.changed,
      ...plan.readPoints.removed,
    ]);
    const endedWrite = this.write(ended, 'passes ended by the reload');
    run.events.reconfigure(points);
    // 3. The uplink reconnects to its new settings; events not acknowledged are sent again.
    if (plan.uplink) {
      try {
        await this.swapUplink(run, next);
      } catch (err) {
        problems.push(`uplink: ${(err as Error).message}`);
      }
    }
    // 4. Readers that come or changed start under the new rules.
    for (const reader of [...plan.readers.added, ...plan.readers.changed]) {
      try {
        await run.readers.add(reader, carried.get(reader.id));
      } catch (err) {
        problems.push(`reader ${reader.id} did not start: ${(err as Error).message}`);
      }
    }
    if (plan.metrics) {
      try {
        await run.metrics?.stop();
        run.metrics = undefined;
        run.metrics = await this.startMetrics(next);
      } catch (err) {
        problems.push(`metrics: ${(err as Error).message}`);
      }
    }
    if (plan.jobs) {
      run.jobs.stop();
      run.jobs = new Jobs(next, this.jobActions(), this.log.child({ component: 'jobs' }));
      run.jobs.start();
    }
    if (plan.logLevel) this.log.level = next.log.level;
    await endedWrite;
    this.config = next;
    this.configState.generation++;
    const did = describePlan(plan);
    return problems.length === 0
      ? this.noteReload(true, did)
      : this.noteReload(false, `applied with problems: ${problems.join('; ')} (${did})`);
  }

  /** The Prometheus endpoint, when enabled; it serves 503 until the first snapshot can be made. */
  private async startMetrics(config: Config): Promise<MetricsServer | undefined> {
    if (!config.metrics.enabled) return undefined;
    const log = this.log.child({ component: 'metrics' });
    const { host, port } = config.metrics;
    if (!isLoopback(host))
      log.warn(
        { host },
        `metrics are served on ${host}, beyond this machine: keep the port behind a firewall`,
      );
    const server = new MetricsServer({ host, port }, () => this.health(), log);
    await server.start();
    log.info(server.address(), 'metrics served at /metrics');
    return server;
  }

  private async swapUplink(run: Running, next: Config): Promise<void> {
    const old = run.stage;
    await old.stop();
    this.publishedBefore += old.dispatcher.stats().published;
    run.outbox.rewind();
    const stage = new UplinkStage(
      next,
      upstreamOf(next, run.broker?.address()),
      run.outbox,
      this.topics,
      this.log,
    );
    try {
      await stage.start();
      run.stage = stage;
    } catch (err) {
      // Back to the settings that worked: the events must keep flowing.
      await stage.stop().catch(() => undefined);
      const back = new UplinkStage(
        this.config,
        upstreamOf(this.config, run.broker?.address()),
        run.outbox,
        this.topics,
        this.log,
      );
      await back.start();
      run.stage = back;
      throw err;
    }
  }

  private noteReload(ok: boolean, message: string): ReloadOutcome {
    const s = this.configState;
    s.lastReload = { at: new Date().toISOString(), ok, message };
    if (ok) s.reloads++;
    else s.reloadFailures++;
    if (ok)
      this.log.info({ component: 'config', generation: s.generation }, `configuration reloaded: ${message}`);
    else
      this.log.error(
        { component: 'config', generation: s.generation },
        `configuration reload failed: ${message}`,
      );
    // The health topic says so at once, not at the next heartbeat.
    if (this.running) void this.running.jobs.run('health');
    return { ok, message };
  }

  private jobActions() {
    return {
      health: () => {
        const run = this.running;
        const snapshot = this.health();
        if (!run || !snapshot) return;
        run.stage.uplink.publishStatus(this.topics.health, JSON.stringify(snapshot));
        this.log.info({ component: 'health', health: snapshot }, 'health');
        this.onHealth?.(snapshot);
        if (this.pendingSummary && run.stage.uplink.canPublish()) this.publishSummary(this.pendingSummary);
      },
      summary: () => {
        const run = this.running;
        if (!run) return;
        const summary = this.summaries.take(
          { gateway: this.config.gateway.id, site: this.config.gateway.site },
          run.readers.summaryCounts(),
          this.published(),
          run.outbox.stats().depth,
          Date.now(),
        );
        this.log.info({ component: 'summary', summary }, 'summary');
        this.publishSummary(JSON.stringify(summary));
      },
      compaction: async () => {
        const done = await this.running?.outbox.compact(this.config.jobs.compactAfterEvents);
        if (done) this.log.info({ component: 'outbox', ...done }, 'outbox compacted');
      },
      pruning: () => {
        const run = this.running;
        if (!run) return;
        const { ended, transitions } = run.smoother.sweep(performance.now());
        void this.write(transitions, 'passes ended by the sweep');
        this.log.info(
          { component: 'smoothing', swept: ended, ...run.smoother.stats() },
          'smoothing state swept',
        );
      },
    };
  }

  /** Retained, so a consumer that connects later sees the last one; kept until it can be sent. */
  private publishSummary(payload: string): void {
    const uplink = this.running?.stage.uplink;
    if (uplink?.canPublish()) {
      uplink.publishStatus(this.topics.summary, payload, true);
      this.pendingSummary = undefined;
    } else this.pendingSummary = payload;
  }

  /** Writes the transitions due by now: departures, presence reports, passages. */
  private tick(): void {
    const run = this.running;
    if (!run) return;
    const now = Date.now();
    if (now - this.lastSample >= RATE_SAMPLE_MS) {
      this.lastSample = now;
      run.readers.sample(now);
    }
    void this.write(run.smoother.tick(performance.now(), now), 'departures, presence reports or passages');
  }

  /**
   * Writes transitions as events. The outbox counts and announces what its policy refuses; here
   * only a write that fails (a recorder stopped at shutdown: passes still open then are not
   * reported) is logged.
   */
  private async write(due: readonly Transition[], what: string): Promise<void> {
    if (due.length === 0 || !this.running) return;
    try {
      await this.running.events.write(due);
    } catch (err) {
      this.log.warn({ err, transitions: due.length }, `${what} not written`);
    }
  }

  private published(): number {
    return this.publishedBefore + (this.running?.stage.dispatcher.stats().published ?? 0);
  }

  /** The current health snapshot (what the health topic carries), once started. */
  health(): HealthPayload | undefined {
    const run = this.running;
    if (!run) return undefined;
    return healthSnapshot({
      gatewayId: this.config.gateway.id,
      site: this.config.gateway.site,
      startedAt: this.startedAt,
      drivers: () => [...run.readers.readers()].map((r) => r.driver),
      pipelines: () => [{ counters: run.readers.totals() }],
      outbox: run.outbox,
      uplink: run.stage.uplink,
      dispatcher: { stats: () => ({ published: this.published() }) },
      smoothing: () => run.smoother.stats(),
      readerExtras: (id) => {
        const r = run.readers.get(id);
        return r ? { readsPerMin: r.rate.perMinute(), errors: r.errors } : undefined;
      },
      config: () => ({ ...this.configState }),
    });
  }

  /** The configuration running now (the last one applied). */
  current(): Config {
    return this.config;
  }

  /** Stops every started stage in reverse order; returns the names of the stages that failed. */
  async stop(): Promise<string[]> {
    const failed: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.stop();
      } catch (err) {
        failed.push(step.name);
        this.log.error({ err, step: step.name }, 'stop failed');
      }
    }
    this.running = undefined;
    return failed;
  }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

function rulesOf(points: ReadonlyMap<string, ReadPointRuntime>) {
  return new Map([...points].map(([id, p]) => [id, p.rules]));
}
