/**
 * The message the console's pages are drawn from, built once per push for every browser: the
 * health snapshot (readers, outbox, uplink), the sampled reads and antennas, the events by read
 * point, and what needs a technician's eye (among it the last hold alerts). Reads and events
 * come as what is new since the previous message (`n` and `seq` let a browser that joined later
 * keep what it has).
 */
import type { Config } from '../../config/schema.js';
import type { HealthPayload } from '../contract/topics.js';
import { alertsOf, type HealthHistory } from './health-history.js';
import type { HoldAlertLog } from './hold-alert-log.js';
import type { PassSampler } from './pass-sampler.js';
import { type ReadSampler, RSSI_BIN_DB, RSSI_BINS, RSSI_MIN_DBM } from './read-sampler.js';

export interface ViewSources {
  readonly reads: ReadSampler;
  readonly passes: PassSampler;
  readonly history: HealthHistory;
  readonly holdAlerts: HoldAlertLog;
  readonly config: () => Config;
  readonly counters: () => {
    readonly watching: number;
    readonly dropped: number;
    readonly failedLogins: number;
  };
}

/** Where an antenna's reads go and its floor, from the reader's configuration. */
function portOf(config: Config, readerId: string, antenna: number) {
  const reader = config.readers.find((r) => r.id === readerId);
  if (!reader) return { readPoint: undefined, zone: undefined, floorDbm: undefined };
  const port = reader.antennaMap?.find((a) => a.antenna === antenna);
  return {
    readPoint: port?.readPoint ?? reader.readPoint,
    zone: port?.zone,
    floorDbm: port?.rssiFloorDbm ?? reader.rssiFloorDbm,
  };
}

/** Reads and events a message carries at most: what a page shows, not what a busy door makes. */
const MAX_NEW = 50;

export function consoleView(
  s: ViewSources,
  health: HealthPayload,
  now: number,
  after: { readonly read: number; readonly seq: number },
) {
  const config = s.config();
  return {
    time: health.time,
    gateway: health.gateway,
    site: health.site,
    readers: health.readers.map((r) => ({
      id: r.id,
      driver: r.driver,
      state: r.state,
      connected: r.connected ?? r.state === 'connected',
      reads: r.reads,
      readsPerMin: r.readsPerMin ?? 0,
      rejects: r.rejects,
      rejectsByCode: r.rejectsByCode ?? {},
      lastError: r.lastError ?? null,
      lastRead: s.reads.lastRead(r.id) ?? null,
      spark: s.history.spark(r.id),
    })),
    readPoints: config.readPoints.map((p) => p.id),
    rssi: { minDbm: RSSI_MIN_DBM, binDb: RSSI_BIN_DB, bins: RSSI_BINS },
    antennas: s.reads.antennaViews(now).map((a) => ({ ...a, ...portOf(config, a.reader, a.antenna) })),
    stream: s.reads.readsAfter(after.read, MAX_NEW),
    notShown: s.reads.notShown,
    passes: {
      counts: s.passes.countsByReadPoint(),
      recent: s.passes.after(after.seq, MAX_NEW),
      notShown: s.passes.notShown,
    },
    events: health.events,
    outbox: {
      depth: health.outbox.depth,
      oldestAgeS: health.outbox.oldestUndeliveredAgeS ?? null,
      runwayS: health.outbox.runwayS,
      policy: health.outbox.policy,
      appendRate: health.outbox.appendRate,
      ackRate: health.outbox.ackRate,
      series: s.history.outboxSeries(),
    },
    uplink: health.uplink,
    alerts: alertsOf(health),
    holdAlerts: { recent: s.holdAlerts.recent(), total: s.holdAlerts.total },
    console: s.counters(),
  };
}

export type ConsoleView = ReturnType<typeof consoleView>;
