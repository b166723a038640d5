/**
 * Health: one snapshot of the gateway, published periodically on the health topic and logged.
 * Consumers use it to see reader states, outbox depth, the age of the oldest undelivered event
 * and every drop (with the first and last dropped sequence numbers, so gaps can be explained),
 * how fast the outbox fills and drains and how long until it is full (the runway), whether the
 * readers are held back, the store's write error while it cannot be written, and the daemon's
 * own memory against its budget and its limit.
 */
import type { Driver } from '../drivers/driver.js';
import type {
  BrokerHealth,
  ConfigHealth,
  HealthPayload,
  InventoryHealth,
  MemoryHealth,
} from './contract/topics.js';
import type { Outbox } from './outbox/outbox.js';
import type { PipelineCounters } from './pipeline.js';
import type { SmootherStats } from './smoothing/smoother.js';
import type { Uplink } from './uplink/uplink.js';

export interface HealthSources {
  readonly gatewayId: string;
  readonly site: string;
  readonly startedAt: number;
  readonly drivers: () => Iterable<Driver>;
  /** Pipeline counters (of every reader, or their totals). */
  readonly pipelines: () => Iterable<{ readonly counters: PipelineCounters }>;
  readonly outbox: Outbox;
  readonly uplink: Uplink;
  /** Events delivered since start. */
  readonly dispatcher: { stats(): { readonly published: number } };
  readonly smoothing?: () => SmootherStats;
  /**
   * Per reader: its reads and rejects as its pipeline counts them (rejects: decode rejects and the
   * driver's own, as on the rejects topic and in the summary; in all and by code), which carry on
   * when a reload restarts the reader's driver; reads per minute; times it went disconnected.
   */
  readonly readerExtras?: (id: string) =>
    | {
        readonly reads: number;
        readonly readsPerMin: number;
        readonly errors: number;
        readonly rejects: number;
        readonly rejectsByCode?: Readonly<Record<string, number>>;
      }
    | undefined;
  readonly config?: () => ConfigHealth;
  /** Standing warnings: security the configuration weakens, what the gateway cannot keep (see `Warnings`). */
  readonly warnings?: () => readonly string[];
  /** The embedded broker, when it runs. */
  readonly broker?: () => BrokerHealth | undefined;
  /** When the next scheduled heartbeat is due (epoch ms), when known. */
  readonly nextHeartbeat?: () => number | undefined;
  /** The inventory features at the edge that run, each its own fields. */
  readonly inventory?: () => InventoryHealth;
  /** The daemon's own memory against its budget and its process's limit. */
  readonly memory?: () => MemoryHealth;
}

export function healthSnapshot(s: HealthSources, now = Date.now()): HealthPayload {
  const ob = s.outbox.stats();
  const up = s.uplink.status();
  let suppressed = 0;
  let rejected = 0;
  let belowFloor = 0;
  let noReads = 0;
  let multiReads = 0;
  for (const p of s.pipelines()) {
    suppressed += p.counters.suppressed;
    rejected += p.counters.rejected;
    belowFloor += p.counters.belowFloor;
    noReads += p.counters.noReads;
    multiReads += p.counters.multiReads;
  }
  const smoothing = s.smoothing?.();
  const broker = s.broker?.();
  const readers = [...s.drivers()].map((d) => {
    const st = d.status();
    const extras = s.readerExtras?.(st.id);
    return {
      id: st.id,
      driver: st.driver,
      state: st.state,
      connected: st.state === 'connected',
      reads: extras?.reads ?? st.reads,
      // The driver counts only the frames it rejects itself; the pipeline counts every reject.
      rejects: extras?.rejects ?? st.rejects,
      reconnects: st.reconnects,
      ...(extras ? { readsPerMin: round(extras.readsPerMin), errors: extras.errors } : {}),
      ...(extras?.rejectsByCode ? { rejectsByCode: extras.rejectsByCode } : {}),
      ...(st.lastReadAt !== undefined ? { lastReadAgeS: round((now - st.lastReadAt) / 1000) } : {}),
      ...(st.lastError ? { lastError: st.lastError } : {}),
    };
  });
  return {
    gateway: s.gatewayId,
    site: s.site,
    time: new Date(now).toISOString(),
    uptimeS: round((now - s.startedAt) / 1000),
    ...nextHeartbeatAt(s.nextHeartbeat?.()),
    readers,
    events: {
      published: s.dispatcher.stats().published,
      suppressedReads: suppressed,
      rejected,
      belowFloorReads: belowFloor,
      noReads,
      multiReads,
    },
    ...(smoothing
      ? {
          smoothing: {
            tracked: smoothing.tracked,
            fixtures: smoothing.fixtures,
            evicted: smoothing.evicted,
            maxTracked: smoothing.maxTracked,
            bytes: smoothing.bytes,
          },
        }
      : {}),
    outbox: {
      depth: ob.depth,
      bytes: ob.bytes,
      ...(ob.oldestAt !== undefined ? { oldestUndeliveredAgeS: round((now - ob.oldestAt) / 1000) } : {}),
      dropped: ob.dropped,
      ...(ob.firstDropped ? { firstDroppedSeq: ob.firstDropped.seq } : {}),
      ...(ob.lastDropped ? { lastDroppedSeq: ob.lastDropped.seq } : {}),
      lastSeq: ob.lastSeq,
      backlog: ob.depth,
      policy: ob.policy ?? 'unknown',
      appendRate: round(ob.appendRate ?? 0),
      ackRate: round(ob.ackRate ?? 0),
      runwayS: ob.runwayS === undefined || ob.runwayS === null ? null : round(ob.runwayS),
      readingStopped: ob.readingStopped ?? false,
      stalledS: round((ob.stalledMs ?? 0) / 1000),
      stalls: ob.stalls ?? 0,
      held: ob.held ?? 0,
      ...(ob.writeError !== undefined ? { writeError: ob.writeError } : {}),
      unannouncedDrops: ob.unannouncedDrops ?? 0,
      totalDropped: ob.totalDropped ?? ob.dropped,
      quarantined: ob.quarantined ?? 0,
      replaying: ob.replaying ?? false,
    },
    uplink: {
      state: up.state,
      connects: up.connects,
      inflight: up.inflight,
      ...(up.rttMs !== undefined ? { rttMs: round(up.rttMs) } : {}),
      ...(up.node !== undefined
        ? { node: up.node, nodeUrl: up.url, nodeSwitches: up.nodeSwitches ?? 0 }
        : {}),
    },
    ...(s.config ? { config: s.config() } : {}),
    ...(s.warnings ? { warnings: [...s.warnings()] } : {}),
    ...(broker ? { broker } : {}),
    ...(s.inventory ? { inventory: s.inventory() } : {}),
    ...(s.memory ? { memory: s.memory() } : {}),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The next heartbeat's due time, so that a consumer which never sees the retained copy (on a
 * cluster, retained messages stay on one node) can tell a silent gateway from a quiet one.
 */
function nextHeartbeatAt(due: number | undefined): { nextHeartbeatAt?: string } {
  return due === undefined || !Number.isFinite(due) ? {} : { nextHeartbeatAt: new Date(due).toISOString() };
}
