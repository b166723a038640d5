/**
 * The health snapshot as Prometheus metrics, in the text exposition format 0.0.4.
 *
 * Contract:
 * - Pure: the same snapshot (and process sample) always gives the same text, byte for byte.
 * - Every sample carries the labels `gateway` and `site`; per-reader samples also `reader` and
 *   `driver`. Label values are escaped (`\` -> `\\`, `"` -> `\"`, newline -> `\n`), so no text
 *   from a reader or the configuration can break the format.
 * - Each family is written once, as `# HELP`, `# TYPE` and then all its samples; a family with
 *   no sample (an optional field absent from the snapshot) is left out entirely. No timestamps:
 *   the scrape time is the sample time.
 * - Names follow Prometheus conventions: `readpoint_` prefix, base units (seconds, bytes),
 *   `_total` on counters. Counters count since the daemon started (a restart resets them, which
 *   `rate()` handles), except `readpoint_outbox_last_sequence`, a gauge that never goes back.
 * - States are enums: one sample per known state, 1 for the current one and 0 for the others
 *   (a state not known here still gets its own sample with 1).
 */
import type { HealthPayload, ReaderHealth } from '../contract/topics.js';

/** Memory of the daemon's process, as `process.memoryUsage()` gives it (bytes). */
export interface ProcessMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
}

/** What is measured at scrape time rather than carried in the health snapshot. */
export interface ScrapeExtras {
  readonly memory?: ProcessMemory;
}

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [labels: Labels, value: number | boolean | undefined];

/** The reader states a driver can be in (drivers/driver.ts `ReaderState`). */
const READER_STATES = ['idle', 'connecting', 'connected', 'disconnected', 'stopped'];
/** The uplink states (daemon/uplink/uplink.ts `UplinkState`). */
const UPLINK_STATES = ['connecting', 'connected', 'disconnected', 'stopped'];

/** Every family, in the order written, with its HELP text. A `_total` name is a counter. */
const HELP = {
  readpoint_reader_connected: '1 when the reader is connected, else 0.',
  readpoint_reader_state: 'The reader state: 1 for the current state, 0 for the others.',
  readpoint_reader_reads_total: 'Reads received from the reader.',
  readpoint_reader_rejects_total:
    'Reads from the reader that were rejected: not framed or not decoded (as on the rejects topic).',
  readpoint_reader_reconnects_total: 'Times the connection to the reader was made again.',
  readpoint_reader_errors_total:
    'Times the reader went disconnected: a failed open, a lost device or connection.',
  readpoint_reader_last_read_age_seconds: "Seconds since the reader's last read.",
  readpoint_reader_reads_per_minute: 'Reads per minute from the reader, recently.',
  readpoint_events_published_total: 'Events delivered: acknowledged by the upstream broker (PUBACK).',
  readpoint_reads_suppressed_total: 'Reads of a unit already seen in the same pass (no event).',
  readpoint_reads_rejected_total: 'Reads that could not be decoded.',
  readpoint_reads_below_floor_total: "RFID reads weaker than their antenna's RSSI floor, ignored.",
  readpoint_triggers_no_read_total: 'Scanner triggers that read nothing.',
  readpoint_triggers_multi_read_total: 'Scanner triggers that read several codes at once.',
  readpoint_smoothing_tracked_units: 'Units with an open pass at a read point.',
  readpoint_smoothing_fixtures: 'Open passes of units taken for fixtures.',
  readpoint_smoothing_evicted_total: 'Passes ended early to stay within smoothing.maxTracked.',
  readpoint_smoothing_max_tracked_units: 'The bound on open passes (smoothing.maxTracked).',
  readpoint_smoothing_bytes: 'Memory the open passes take, estimated, bytes.',
  readpoint_outbox_depth: 'Undelivered events in the outbox.',
  readpoint_outbox_bytes: 'Bytes of undelivered events in the outbox.',
  readpoint_outbox_oldest_undelivered_age_seconds: 'Age of the oldest undelivered event.',
  readpoint_outbox_dropped_total: 'Events dropped by the overflow policy.',
  readpoint_outbox_runway_seconds: 'Seconds until the outbox is full at the current fill rate.',
  readpoint_outbox_appends_per_second: 'Events accepted per second, over the last ~30 s.',
  readpoint_outbox_acks_per_second: 'Events acknowledged by the broker per second, over the last ~30 s.',
  readpoint_outbox_reading_stopped: '1 while the readers are held back, else 0.',
  readpoint_outbox_stalls_total: 'Times the readers were held back.',
  readpoint_outbox_stalled_seconds_total: 'Seconds the readers were held back.',
  readpoint_outbox_held: 'Events waiting in memory for the store, not yet accepted.',
  readpoint_outbox_write_failing: '1 while the store cannot be written (the health topic says why).',
  readpoint_outbox_quarantined_total: 'Stored records that could not be decoded, moved aside.',
  readpoint_outbox_last_sequence: 'Sequence number of the last accepted event.',
  readpoint_uplink_connected: '1 when connected to the upstream broker, else 0.',
  readpoint_uplink_state: 'The uplink state: 1 for the current state, 0 for the others.',
  readpoint_uplink_connects_total: 'Connections made to the upstream broker.',
  readpoint_uplink_inflight: 'Events published and awaiting PUBACK.',
  readpoint_uplink_round_trip_seconds: 'Round-trip time of the last PUBACK.',
  readpoint_uplink_node: 'With several nodes in uplink.url: the node in use or last tried, from 0.',
  readpoint_uplink_node_switches_total: 'Connections made to another broker node than the one before.',
  readpoint_process_uptime_seconds: 'Seconds since the daemon started.',
  readpoint_process_resident_memory_bytes: 'Resident set size of the daemon process.',
  readpoint_process_heap_used_bytes: 'JavaScript heap in use.',
  readpoint_process_heap_total_bytes: 'JavaScript heap allocated.',
  readpoint_memory_budget_bytes: 'What the daemon sizes its own memory to (memory.budgetMb).',
  readpoint_memory_own_bytes: "The daemon's own memory (RssAnon: heap and native allocations).",
  readpoint_memory_limit_bytes: "The memory limit of the daemon's process (its cgroup), when it has one.",
  readpoint_config_generation: 'Generation of the configuration in use.',
  readpoint_config_reloads_total: 'Configuration reloads applied.',
  readpoint_config_reload_failures_total: 'Configuration reloads refused.',
} as const;

type Family = keyof typeof HELP;

/** Renders `h` (and, when given, the process memory) as a Prometheus text exposition. */
export function renderMetrics(h: HealthPayload, extra: ScrapeExtras = {}): string {
  const out = new Exposition({ gateway: h.gateway, site: h.site });
  const readers = h.readers;
  const perReader = (family: Family, value: (r: ReaderHealth) => number | undefined) =>
    out.family(
      family,
      readers.map((r) => [readerLabels(r), value(r)]),
    );

  perReader('readpoint_reader_connected', (r) => (r.state === 'connected' ? 1 : 0));
  out.family(
    'readpoint_reader_state',
    readers.flatMap((r) => enumSamples(readerLabels(r), r.state, READER_STATES)),
  );
  perReader('readpoint_reader_reads_total', (r) => r.reads);
  perReader('readpoint_reader_rejects_total', (r) => r.rejects);
  perReader('readpoint_reader_reconnects_total', (r) => r.reconnects);
  perReader('readpoint_reader_errors_total', (r) => r.errors);
  perReader('readpoint_reader_last_read_age_seconds', (r) => r.lastReadAgeS);
  perReader('readpoint_reader_reads_per_minute', (r) => r.readsPerMin);

  const ev = h.events;
  out.one('readpoint_events_published_total', ev.published);
  out.one('readpoint_reads_suppressed_total', ev.suppressedReads);
  out.one('readpoint_reads_rejected_total', ev.rejected);
  out.one('readpoint_reads_below_floor_total', ev.belowFloorReads);
  out.one('readpoint_triggers_no_read_total', ev.noReads);
  out.one('readpoint_triggers_multi_read_total', ev.multiReads);

  const sm = h.smoothing;
  out.one('readpoint_smoothing_tracked_units', sm?.tracked);
  out.one('readpoint_smoothing_fixtures', sm?.fixtures);
  out.one('readpoint_smoothing_evicted_total', sm?.evicted);
  out.one('readpoint_smoothing_max_tracked_units', sm?.maxTracked);
  out.one('readpoint_smoothing_bytes', sm?.bytes);

  const ob = h.outbox;
  out.one('readpoint_outbox_depth', ob.depth);
  out.one('readpoint_outbox_bytes', ob.bytes);
  out.one('readpoint_outbox_oldest_undelivered_age_seconds', ob.oldestUndeliveredAgeS);
  out.one('readpoint_outbox_dropped_total', ob.dropped);
  out.one('readpoint_outbox_runway_seconds', ob.runwayS ?? undefined); // null: not filling
  out.one('readpoint_outbox_appends_per_second', ob.appendRate);
  out.one('readpoint_outbox_acks_per_second', ob.ackRate);
  out.one('readpoint_outbox_reading_stopped', ob.readingStopped);
  out.one('readpoint_outbox_stalls_total', ob.stalls);
  out.one('readpoint_outbox_stalled_seconds_total', ob.stalledS);
  out.one('readpoint_outbox_held', ob.held);
  out.one('readpoint_outbox_write_failing', ob.writeError !== undefined);
  out.one('readpoint_outbox_quarantined_total', ob.quarantined);
  out.one('readpoint_outbox_last_sequence', ob.lastSeq);

  const up = h.uplink;
  out.one('readpoint_uplink_connected', up.state === 'connected');
  out.family('readpoint_uplink_state', enumSamples({}, up.state, UPLINK_STATES));
  out.one('readpoint_uplink_connects_total', up.connects);
  out.one('readpoint_uplink_inflight', up.inflight);
  out.one('readpoint_uplink_round_trip_seconds', up.rttMs === undefined ? undefined : up.rttMs / 1000);
  out.one('readpoint_uplink_node', up.node);
  out.one('readpoint_uplink_node_switches_total', up.nodeSwitches);

  out.one('readpoint_process_uptime_seconds', h.uptimeS);
  out.one('readpoint_process_resident_memory_bytes', extra.memory?.rss);
  out.one('readpoint_process_heap_used_bytes', extra.memory?.heapUsed);
  out.one('readpoint_process_heap_total_bytes', extra.memory?.heapTotal);
  out.one('readpoint_memory_budget_bytes', h.memory?.budgetBytes);
  out.one('readpoint_memory_own_bytes', h.memory?.ownBytes);
  out.one('readpoint_memory_limit_bytes', h.memory?.limitBytes);

  const cf = h.config;
  out.one('readpoint_config_generation', cf?.generation);
  out.one('readpoint_config_reloads_total', cf?.reloads);
  out.one('readpoint_config_reload_failures_total', cf?.reloadFailures);

  return out.text();
}

function readerLabels(r: ReaderHealth): Labels {
  return { reader: r.id, driver: r.driver };
}

function enumSamples(labels: Labels, current: string, known: readonly string[]): Sample[] {
  const states = known.includes(current) ? known : [...known, current];
  return states.map((state) => [{ ...labels, state }, state === current]);
}

/** Collects families and writes them in the 0.0.4 text format. */
class Exposition {
  private readonly lines: string[] = [];

  constructor(private readonly common: Labels) {}

  /** A family with a single sample (no labels beyond the common ones). */
  one(name: Family, value: number | boolean | undefined): void {
    this.family(name, [[{}, value]]);
  }

  /** Writes HELP, TYPE and the samples whose value is known; nothing when none is. */
  family(name: Family, samples: readonly Sample[]): void {
    const seen = new Set<string>();
    const body: string[] = [];
    for (const [labels, value] of samples) {
      if (value === undefined) continue;
      const series = `${name}{${labelText({ ...this.common, ...labels })}}`;
      // A repeated series makes Prometheus refuse the whole scrape; ids are unique by config.
      if (seen.has(series)) continue;
      seen.add(series);
      body.push(`${series} ${valueText(value)}`);
    }
    if (body.length === 0) return;
    const kind = name.endsWith('_total') ? 'counter' : 'gauge';
    this.lines.push(`# HELP ${name} ${escapeHelp(HELP[name])}`, `# TYPE ${name} ${kind}`, ...body);
  }

  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

function labelText(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}

/** Label values: backslash, double quote and line feed are escaped (format 0.0.4). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text: backslash and line feed are escaped (format 0.0.4). */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function valueText(v: number | boolean): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
