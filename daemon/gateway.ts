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
import { embeddedBrokerRuns } from '../config/broker.js';
import type { Config } from '../config/schema.js';
import type { ReaderStatus } from '../drivers/driver.js';
import { anonymousWarning, brokerOptions } from './broker/broker-options.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { readerLogins } from './broker/reader-access.js';
import { ReaderCaptures } from './capture/reader-captures.js';
import { type RunningConsole, serveConsole } from './console/serve-console.js';
import type { HealthPayload, Topics } from './contract/topics.js';
import { topics } from './contract/topics.js';
import { OutboxCompaction } from './drain-compaction.js';
import { Housekeeping } from './housekeeping.js';
import { InventoryStage } from './inventory/inventory-stage.js';
import { ScanCommands } from './inventory/scan-commands.js';
import { Jobs } from './jobs.js';
import type { Logger } from './log.js';
import { HeapGrowth, levelTuningFor } from './memory-budget.js';
import { serveMetrics } from './metrics/metrics-server.js';
import { LevelOutbox } from './outbox/level-outbox.js';
import { OwnMemory } from './own-memory.js';
import { EventWriter, readPointRuntimes } from './read-points.js';
import { ReaderSet } from './reader-set.js';
import { Recorder } from './recorder.js';
import { applyPlan, rulesOf } from './reload.js';
import { describePlan, planReload } from './reload-plan.js';
import { type ReloadOutcome, ReloadRecord } from './reload-record.js';
import { type Running, runningHealth } from './running.js';
import { Smoother } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';
import { ReadTaps } from './taps/read-taps.js';
import { InboundLink } from './uplink/inbound-link.js';
import { redactUrl } from './uplink/redact.js';
import { applyUplinkWarnings } from './uplink/uplink-warnings.js';
import { gatewaySession, swapStage, UplinkStage, upstreamOf } from './uplink-stage.js';
import { Warnings } from './warnings.js';

interface Step {
  readonly name: string;
  readonly stop: () => Promise<void> | void;
}

/** How often departures, presence reports and passages are looked for. */
const SMOOTHING_TICK_MS = 200;
/** How often the readers' read rates are sampled. */
const RATE_SAMPLE_MS = 1000;

/** A stop signal came during start-up; what had started was stopped again. */
export class StartInterrupted extends Error {
  override readonly name = 'StartInterrupted';
  constructor() {
    super('asked to stop during start-up');
  }
}

export class Gateway {
  private readonly steps: Step[] = [];
  private running: Running | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private lastSample = 0;
  private publishedBefore = 0;
  private housekeeping: Housekeeping;
  private reloads: Promise<unknown> = Promise.resolve();
  private webConsole: RunningConsole | undefined;
  private readonly reloadRecord: ReloadRecord;
  private startedAt = Date.now();
  readonly topics: Topics;
  /** Messages from upstream and replies to it: one for the gateway's life, on whichever uplink runs. */
  readonly inbound: InboundLink;
  /** Settings in force that weaken security; every health report carries them. */
  readonly warnings = new Warnings();
  /** Called with every heartbeat's snapshot (the service manager's status line). */
  onHealth: ((health: HealthPayload) => void) | undefined;

  /** `configFile` is the file reloads read: the console checks it as a reload would. */
  constructor(
    private config: Config,
    private readonly log: Logger,
    private readonly configFile?: string,
  ) {
    this.topics = topics(config.uplink.topicPrefix, config.gateway.site, config.gateway.id);
    this.inbound = new InboundLink(this.topics, log.child({ component: 'inbound' }));
    this.reloadRecord = new ReloadRecord(log);
    this.housekeeping = this.makeHousekeeping();
  }

  private makeHousekeeping(): Housekeeping {
    return new Housekeeping(
      {
        topics: this.topics,
        log: this.log,
        parts: () => (this.running ? { ...this.running, uplink: this.running.stage.uplink } : undefined),
        config: () => this.config,
        health: () => this.health(),
        published: () => this.published(),
        write: (due, what) => this.write(due, what),
        onHealth: (h) => this.onHealth?.(h),
      },
      this.startedAt,
    );
  }

  /**
   * Starts every stage; if one fails, what was started is stopped again and the error thrown.
   * When `interrupt` aborts (a stop signal during start-up), start ends after the step under way:
   * what was started is stopped, in reverse order, and StartInterrupted thrown.
   */
  async start(interrupt?: AbortSignal): Promise<void> {
    const { config, log } = this;
    const goOn = () => {
      if (interrupt?.aborted) throw new StartInterrupted();
    };
    // A step that waits on the network (the uplink's first connection attempt) is not waited
    // out: its own stop step, already in place, ends it.
    const unlessInterrupted = <T>(step: Promise<T>): Promise<T> =>
      interrupt
        ? Promise.race([
            step,
            new Promise<never>((_, reject) => {
              if (interrupt.aborted) reject(new StartInterrupted());
              interrupt.addEventListener('abort', () => reject(new StartInterrupted()), { once: true });
            }),
          ])
        : step;
    this.startedAt = Date.now();
    this.housekeeping = this.makeHousekeeping();
    try {
      const heap = new HeapGrowth(config.memory.budgetMb);
      heap.start();
      this.steps.push({ name: 'heap growth', stop: () => heap.stop() });
      const memory = new OwnMemory({ budgetMb: config.memory.budgetMb, holdIndexMb: config.holds?.indexMb });
      const unfit = memory.warning();
      this.warnings.set('memory.limit', unfit);
      if (unfit) log.warn({ limitBytes: memory.limitBytes }, unfit);
      const outbox = new LevelOutbox(
        join(config.dataDir, 'outbox'),
        { ...config.outbox, level: levelTuningFor(config.memory.budgetMb) },
        log.child({ component: 'outbox' }),
      );
      await outbox.open();
      this.steps.push({ name: 'outbox', stop: () => outbox.close() });
      const compaction = new OutboxCompaction(outbox, () => this.config.jobs.compactAfterEvents, log);
      compaction.start();
      this.steps.push({ name: 'outbox compaction', stop: () => compaction.stop() });
      goOn();
      this.housekeeping.restore(outbox);
      // Just before the outbox closes, once the readers have stopped: the period's final counts.
      // Not awaited: a failing store writes it only at its close, the next step.
      this.steps.push({
        name: 'summary note',
        stop: () => {
          void this.housekeeping.save();
        },
      });

      let broker: EmbeddedBroker | undefined;
      if (embeddedBrokerRuns(config)) {
        broker = new EmbeddedBroker(
          { ...brokerOptions(config), readPoints: () => this.config.readPoints },
          log.child({ component: 'broker' }),
        );
        await broker.start();
        const started = broker;
        this.steps.push({ name: 'broker', stop: () => started.stop() });
        this.warnAnonymous(config);
        goOn();
      }
      const upstream = upstreamOf(config, broker && gatewaySession(broker));
      const stage = this.reportsOnConnect(
        new UplinkStage(config, upstream, outbox, this.topics, log, this.inbound),
      );
      this.steps.push({ name: 'uplink', stop: () => this.running?.stage.stop() ?? stage.stop() });
      await applyUplinkWarnings(config, this.warnings, log);
      await unlessInterrupted(stage.start());
      goOn();

      const recorder = new Recorder(
        outbox,
        { batchMax: config.outbox.batchMax, retryMs: 500 },
        log.child({ component: 'recorder' }),
      );
      this.steps.push({ name: 'recorder', stop: () => recorder.stop() });

      const points = readPointRuntimes(config, this.topics);
      const smoother = new Smoother({ maxTracked: config.smoothing.maxTracked }, rulesOf(points));
      const events = new EventWriter(points, recorder, log.child({ component: 'events' }));
      const scanCommands = new ScanCommands();
      const inventory = await InventoryStage.start({
        config,
        topics: this.topics,
        inbound: this.inbound,
        recorder,
        events,
        smoother,
        scanCommands,
        log,
      });
      this.steps.push({ name: 'inventory', stop: () => inventory.stop() });
      goOn();
      const taps = new ReadTaps();
      const captures = new ReaderCaptures(config.gateway.id, taps, config.readers);
      captures.register(inventory.commands);
      this.steps.push({ name: 'captures', stop: () => captures.stop() });
      const readers = new ReaderSet({
        scanCommands,
        taps,
        gatewayId: config.gateway.id,
        smoother,
        events,
        publishReject: (reject) => {
          const uplink = this.running?.stage.uplink;
          if (uplink?.status().state !== 'connected') return false;
          uplink.publishStatus(this.topics.rejects, JSON.stringify(reject));
          return true;
        },
        rejects: config.rejects,
        log,
        ...(broker ? { broker } : {}),
        onState: (reader, st: ReaderStatus) =>
          reader.states.log(st.state, 'info', { state: st.state, lastError: st.lastError }, 'reader state'),
      });
      // Before the first reader: the console's taps see every read from the start.
      this.webConsole = await serveConsole(config, {
        taps,
        events,
        holdAlerts: inventory.holdAlerts,
        health: () => this.health(),
        config: () => this.config,
        configFile: this.configFile,
        log,
      });
      const webConsole = this.webConsole;
      if (webConsole) this.steps.push({ name: 'console', stop: () => webConsole.stop() });
      goOn();
      const jobs = new Jobs(config, this.housekeeping, log.child({ component: 'jobs' }));
      this.running = {
        outbox,
        compaction,
        broker,
        smoother,
        events,
        readers,
        inventory,
        taps,
        captures,
        stage,
        jobs,
        metrics: undefined,
        memory,
      };
      this.running.metrics = await serveMetrics(config, () => this.health(), this.log);
      this.steps.push({ name: 'metrics', stop: () => this.running?.metrics?.stop() });
      goOn();
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
      // The steps above stop the readers added so far, should start end here.
      for (const reader of config.readers) {
        await readers.add(reader);
        goOn();
      }
      log.info(
        {
          readers: config.readers.length,
          // Where a consumer finds the events: the embedded broker's address, not the in-process link.
          upstream: redactUrl(upstream.url.replace(/^embedded:/, 'mqtt:')),
          ...(upstream.nodes ? { nodes: upstream.nodes.map((u) => redactUrl(u)) } : {}),
          topics: this.topics.allEvents,
        },
        'readpoint running',
      );
      // A first report now, not a heartbeat later: `readpoint status` has the state at once.
      this.reportHealthSoon();
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
    // Read and checked before anything changes (a missing password file refuses the reload).
    const logins = await run.broker?.prepareLogins(readerLogins(next.readers), next.broker);
    const changes = logins ? run.broker!.loginChanges(logins) : { readers: [], consumers: [] };
    const loginsChanged = [...changes.readers, ...changes.consumers];
    if (plan.unchanged && loginsChanged.length === 0) {
      this.config = next;
      return this.noteReload(true, 'nothing changed');
    }
    const problems = await applyPlan(
      {
        readers: run.readers,
        smoother: run.smoother,
        events: run.events,
        topics: this.topics,
        write: (due, what) => this.write(due, what),
        swapUplink: (c) => this.swapUplink(run, c),
        swapMetrics: async (c) => {
          await run.metrics?.stop();
          run.metrics = undefined;
          run.metrics = await serveMetrics(c, () => this.health(), this.log);
        },
        swapJobs: (c) => {
          run.jobs.stop();
          run.jobs = new Jobs(c, this.housekeeping, this.log.child({ component: 'jobs' }));
          run.jobs.start();
        },
        ...(logins && loginsChanged.length > 0
          ? {
              swapBrokerLogins: () => {
                run.broker!.replaceLogins(logins);
                this.warnAnonymous(next);
              },
            }
          : {}),
      },
      plan,
      next,
    );
    run.captures.reconfigure(next.readers);
    this.config = next;
    this.reloadRecord.applied();
    const did = [
      ...(plan.unchanged ? [] : [describePlan(plan)]),
      ...(changes.readers.length > 0
        ? [`reader logins at the broker changed: ${changes.readers.join(', ')}`]
        : []),
      ...(changes.consumers.length > 0
        ? [`consumer logins at the broker changed: ${changes.consumers.join(', ')}`]
        : []),
    ].join('; ');
    // The reload's own line is written at the more verbose of the two levels, then the new one holds.
    const level = next.log.level;
    if (plan.logLevel && this.log.levels.values[level]! < this.log.levelVal) this.log.level = level;
    const outcome =
      problems.length === 0
        ? this.noteReload(true, did)
        : this.noteReload(false, `applied with problems: ${problems.join('; ')} (${did})`);
    this.log.level = level;
    return outcome;
  }

  private async swapUplink(run: Running, next: Config): Promise<void> {
    const make = (c: Config) =>
      this.reportsOnConnect(
        new UplinkStage(
          c,
          upstreamOf(c, run.broker && gatewaySession(run.broker)),
          run.outbox,
          this.topics,
          this.log,
          this.inbound,
        ),
      );
    const old = run.stage;
    const swapped = await swapStage(
      old,
      run.outbox,
      () => make(next),
      () => make(this.config),
    );
    run.stage = swapped.running;
    await applyUplinkWarnings(swapped.error ? this.config : next, this.warnings, this.log);
    this.publishedBefore += old.dispatcher.stats().published;
    if (swapped.error) throw swapped.error;
  }

  /** An embedded broker that lets anonymous clients in from the network: logged at each start, in every health report. */
  private warnAnonymous(config: Config): void {
    const warning = anonymousWarning(config);
    this.warnings.set('broker.anonymous', warning);
    if (warning) this.log.warn({ component: 'broker' }, warning);
  }

  private noteReload(ok: boolean, said: string): ReloadOutcome {
    const outcome = this.reloadRecord.note(ok, said, this.config);
    // The health topic says so at once, not at the next heartbeat.
    this.reportHealthSoon();
    return outcome;
  }

  /** Runs the health job on the next turn (a no-op until the gateway runs). */
  private reportHealthSoon(): void {
    setImmediate(() => void this.running?.jobs.run('health'));
  }

  /**
   * The stage's uplink reports health on every (re)connect: the retained report a broker holds
   * is then fresh after an outage, and a gateway that starts before its broker reports once it
   * is reachable instead of a heartbeat later.
   */
  private reportsOnConnect(stage: UplinkStage): UplinkStage {
    stage.uplink.on('up', () => this.reportHealthSoon());
    return stage;
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
    return runningHealth(run, {
      gatewayId: this.config.gateway.id,
      site: this.config.gateway.site,
      startedAt: this.startedAt,
      published: () => this.published(),
      config: () => this.reloadRecord.snapshot(),
      warnings: this.warnings,
      inbound: this.inbound,
    });
  }

  /** Where the web console listens, while it runs. */
  consoleAddress(): { host: string; port: number } | undefined {
    return this.webConsole?.server.address();
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
    this.inbound.close();
    this.running = undefined;
    this.webConsole = undefined;
    return failed;
  }
}
