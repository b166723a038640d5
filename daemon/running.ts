/**
 * What a started gateway is made of (gateway.ts builds it), and its health snapshot: each part
 * asked for its share of what the health topic carries.
 */

import type { EmbeddedBroker } from './broker/embedded-broker.js';
import type { ReaderCaptures } from './capture/reader-captures.js';
import type { ConfigHealth, HealthPayload } from './contract/topics.js';
import type { OutboxCompaction } from './drain-compaction.js';
import { healthSnapshot } from './health.js';
import type { InventoryStage } from './inventory/inventory-stage.js';
import type { Jobs } from './jobs.js';
import type { MetricsServer } from './metrics/metrics-server.js';
import type { LevelOutbox } from './outbox/level-outbox.js';
import type { OwnMemory } from './own-memory.js';
import type { EventWriter } from './read-points.js';
import type { ReaderSet } from './reader-set.js';
import type { Smoother } from './smoothing/smoother.js';
import type { ReadTaps } from './taps/read-taps.js';
import type { InboundLink } from './uplink/inbound-link.js';
import type { UplinkStage } from './uplink-stage.js';
import type { Warnings } from './warnings.js';

/** The parts that exist once started. */
export interface Running {
  readonly outbox: LevelOutbox;
  readonly compaction: OutboxCompaction;
  readonly broker: EmbeddedBroker | undefined;
  readonly smoother: Smoother;
  readonly events: EventWriter;
  readonly readers: ReaderSet;
  readonly inventory: InventoryStage;
  /** Who watches the reads themselves (the console, the capture). */
  readonly taps: ReadTaps;
  /** Recordings of the readers' raw traffic (`readpoint record`, the rings). */
  readonly captures: ReaderCaptures;
  stage: UplinkStage;
  jobs: Jobs;
  metrics: MetricsServer | undefined;
  /** The daemon's own memory against its budget and its limit. */
  readonly memory: OwnMemory;
}

/** What the gateway itself adds to its parts' health. */
export interface GatewayFacts {
  readonly gatewayId: string;
  readonly site: string;
  readonly startedAt: number;
  /** Events delivered since start, across uplink swaps. */
  readonly published: () => number;
  readonly config: () => ConfigHealth;
  readonly warnings: Warnings;
  readonly inbound: InboundLink;
}

export function runningHealth(run: Running, g: GatewayFacts): HealthPayload {
  return healthSnapshot({
    gatewayId: g.gatewayId,
    site: g.site,
    startedAt: g.startedAt,
    drivers: () => [...run.readers.readers()].map((r) => r.driver),
    pipelines: () => [{ counters: run.readers.totals() }],
    outbox: run.outbox,
    uplink: run.stage.uplink,
    dispatcher: { stats: () => ({ published: g.published() }) },
    smoothing: () => run.smoother.stats(),
    readerExtras: (id) => {
      const r = run.readers.get(id);
      return r
        ? {
            reads: r.pipeline.counters.reads,
            readsPerMin: r.rate.perMinute(),
            errors: r.errors,
            rejects: r.pipeline.counters.rejected,
            rejectsByCode: Object.fromEntries(r.pipeline.rejectCodes),
          }
        : undefined;
    },
    config: g.config,
    warnings: () => [...g.warnings.list(), ...run.inventory.warnings()],
    broker: () => run.broker?.health(),
    inventory: () => ({ inbound: { ...g.inbound.stats() }, ...run.inventory.health() }),
    nextHeartbeat: () => run.jobs.nextHeartbeat(),
    memory: () => run.memory.health(),
  });
}
