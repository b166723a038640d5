/**
 * The wiring: builds every stage from the frozen config, starts them in dependency order and
 * stops them in reverse. Read this file last; it only connects the pieces.
 *
 *   drivers -> pipelines (identity, smoothing) -> recorder -> outbox -> dispatcher -> uplink
 *                                                               outbox drop ledger -> overflow notices -> uplink
 *
 * Back-pressure (outbox.overflow: stop-reading, or a store that cannot be written) needs no wiring
 * of its own: the outbox holds the appends, so the recorder's batch stays pending, the pipelines'
 * read() calls stay pending, each driver's handover window fills and the driver stops pulling
 * bytes from its device until the outbox takes appends again.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Driver, ReaderStatus } from '../drivers/driver.js';
import { createDriver } from '../drivers/registry.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { readerLogins } from './broker/reader-access.js';
import { type HealthPayload, type Topics, topics } from './contract/topics.js';
import { Dispatcher } from './dispatcher.js';
import { healthSnapshot } from './health.js';
import type { Logger } from './log.js';
import { LevelOutbox } from './outbox/level-outbox.js';
import { OverflowNotifier } from './outbox/overflow-notices.js';
import { Pipeline } from './pipeline.js';
import { EventWriter, readPointRuntimes } from './read-points.js';
import { Recorder } from './recorder.js';
import { Smoother } from './smoothing/smoother.js';
import { MqttUplink } from './uplink/mqtt-uplink.js';
import { redactUrl } from './uplink/redact.js';

interface Step {
  readonly name: string;
  readonly stop: () => Promise<void> | void;
}

/** How often departures, presence reports and passages are looked for. */
const SMOOTHING_TICK_MS = 200;

export class Gateway {
  private readonly steps: Step[] = [];
  private readonly drivers = new Map<string, Driver>();
  private readonly pipelines = new Map<string, Pipeline>();
  private healthTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private smoothing: { readonly smoother: Smoother; readonly events: EventWriter } | undefined;
  private snapshot: (() => HealthPayload) | undefined;
  readonly topics: Topics;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.topics = topics(config.uplink.topicPrefix, config.gateway.site, config.gateway.id);
  }

  /** Starts every stage; if one fails, what was started is stopped again and the error thrown. */
  async start(): Promise<void> {
    const { config, log } = this;
    const startedAt = Date.now();
    try {
      const outbox = new LevelOutbox(
        join(config.dataDir, 'outbox'),
        config.outbox,
        log.child({ component: 'outbox' }),
      );
      await outbox.open();
      this.steps.push({ name: 'outbox', stop: () => outbox.close() });

      let url = config.uplink.url;
      let auth = { username: config.uplink.username, password: config.uplink.password };
      let broker: EmbeddedBroker | undefined;
      if (config.broker.enabled) {
        broker = new EmbeddedBroker(
          { ...config.broker, readers: readerLogins(config.readers) },
          log.child({ component: 'broker' }),
        );
        await broker.start();
        const started = broker;
        this.steps.push({ name: 'broker', stop: () => started.stop() });
        if (!url) {
          const { host, port } = broker.address();
          url = `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
          auth = { username: config.broker.username, password: config.broker.password };
        }
      }
      if (!url) throw new Error('no upstream: set uplink.url or enable the embedded broker');

      const uplink = new MqttUplink(
        {
          url,
          clientId: config.uplink.clientId ?? `readpoint-${config.gateway.site}-${config.gateway.id}`,
          ...(auth.username ? { username: auth.username } : {}),
          ...(auth.password ? { password: auth.password } : {}),
          ...(config.uplink.ca ? { ca: config.uplink.ca } : {}),
          ...(config.uplink.cert ? { cert: config.uplink.cert } : {}),
          ...(config.uplink.key ? { key: config.uplink.key } : {}),
          rejectUnauthorized: config.uplink.rejectUnauthorized,
          keepaliveS: config.uplink.keepaliveS,
          // One slot beyond the dispatcher's window, for the overflow notice in flight.
          inflight: config.uplink.inflight + 1,
          retry: config.uplink.retry,
          statusTopic: this.topics.status,
        },
        log.child({ component: 'uplink' }),
      );
      await uplink.start();
      this.steps.push({ name: 'uplink', stop: () => uplink.stop() });

      const dispatcher = new Dispatcher(outbox, uplink, log.child({ component: 'dispatcher' }), {
        window: config.uplink.inflight,
        liveShare: config.uplink.liveShare,
      });
      dispatcher.start();
      this.steps.push({ name: 'dispatcher', stop: () => dispatcher.stop() });

      const notices = new OverflowNotifier(
        outbox,
        uplink,
        {
          topic: this.topics.overflow,
          gateway: config.gateway.id,
          site: config.gateway.site,
          policy: config.outbox.overflow,
        },
        log.child({ component: 'overflow' }),
      );
      notices.start();
      this.steps.push({ name: 'overflow notices', stop: () => notices.stop() });

      const recorder = new Recorder(
        outbox,
        { batchMax: config.outbox.batchMax, retryMs: 500 },
        log.child({ component: 'recorder' }),
      );
      this.steps.push({ name: 'recorder', stop: () => recorder.stop() });

      const points = readPointRuntimes(config, this.topics);
      const smoother = new Smoother(
        { maxTracked: config.smoothing.maxTracked },
        new Map([...points].map(([id, p]) => [id, p.rules])),
      );
      const events = new EventWriter(points, recorder);
      this.smoothing = { smoother, events };
      const health = (): HealthPayload =>
        healthSnapshot({
          gatewayId: config.gateway.id,
          site: config.gateway.site,
          startedAt,
          drivers: () => this.drivers.values(),
          pipelines: () => this.pipelines.values(),
          outbox,
          uplink,
          dispatcher,
          smoothing: () => smoother.stats(),
        });
      this.snapshot = health;
      this.healthTimer = setInterval(() => {
        const snapshot = health();
        uplink.publishStatus(this.topics.health, JSON.stringify(snapshot));
        log.info({ component: 'health', health: snapshot }, 'health');
      }, config.uplink.healthIntervalS * 1000);
      // Departures, presence reports and passages are due by time, not by a read.
      this.tickTimer = setInterval(() => this.tick(), SMOOTHING_TICK_MS);
      this.steps.push({
        name: 'timers',
        stop: () => {
          clearInterval(this.healthTimer);
          clearInterval(this.tickTimer);
        },
      });

      for (const reader of config.readers) {
        const readerLog = log.child({ component: 'reader', reader: reader.id });
        const pipeline = new Pipeline({
          gatewayId: config.gateway.id,
          reader,
          smoother,
          events,
          publishReject: (reject) => uplink.publishStatus(this.topics.rejects, JSON.stringify(reject)),
          log: readerLog,
        });
        const driver = createDriver(reader, { log: readerLog, ...(broker ? { broker } : {}) });
        driver.on('state', (st: ReaderStatus) =>
          readerLog.info({ state: st.state, lastError: st.lastError }, 'reader state'),
        );
        await driver.start(pipeline);
        this.drivers.set(reader.id, driver);
        this.pipelines.set(reader.id, pipeline);
        this.steps.push({ name: `reader ${reader.id}`, stop: () => driver.stop() });
      }
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
        { readers: config.readers.length, upstream: redactUrl(url), topics: this.topics.allEvents },
        'readpoint running',
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Writes the transitions due by now: departures, presence reports, passages. */
  private tick(): void {
    const smoothing = this.smoothing;
    if (!smoothing) return;
    const due = smoothing.smoother.tick(performance.now(), Date.now());
    if (due.length === 0) return;
    // The outbox counts and announces what its policy refuses; here only a write that fails
    // (a recorder stopped at shutdown: passes still open then are not reported).
    smoothing.events
      .write(due)
      .catch((err: unknown) =>
        this.log.warn(
          { err, transitions: due.length },
          'departures, presence reports or passages not written',
        ),
      );
  }

  /** The current health snapshot (what the health topic carries), once started. */
  health(): HealthPayload | undefined {
    return this.snapshot?.();
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
    this.drivers.clear();
    this.snapshot = undefined;
    return failed;
  }
}
