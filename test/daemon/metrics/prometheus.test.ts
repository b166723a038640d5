/** The health snapshot as Prometheus text: exact output, escaping, absent fields, and a parse-back. */
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../../daemon/contract/topics.js';
import { healthSnapshot } from '../../../daemon/health.js';
import { renderMetrics } from '../../../daemon/metrics/prometheus.js';
import type { Driver, ReaderStatus } from '../../../drivers/driver.js';
import { FakeUplink } from '../../support/fake-uplink.js';
import { MemoryOutbox } from '../../support/memory-outbox.js';

/** A snapshot with every required field; `extra` adds or replaces fields (also ones still to come). */
function health(extra: Record<string, unknown> = {}): HealthPayload {
  return {
    gateway: 'dock-gw',
    site: 'wh-1',
    time: '2025-03-01T10:00:00.000Z',
    uptimeS: 3600.5,
    readers: [],
    events: { published: 900, suppressedReads: 280, rejected: 3 },
    outbox: {
      depth: 5,
      bytes: 4096,
      dropped: 0,
      lastSeq: 905,
      backlog: 5,
      policy: 'drop-oldest',
      appendRate: 0.8,
      ackRate: 0.7,
      runwayS: null,
      readingStopped: false,
      stalledS: 0,
      stalls: 0,
      held: 0,
      unannouncedDrops: 0,
      totalDropped: 0,
      quarantined: 0,
      replaying: false,
    },
    uplink: { state: 'connected', connects: 2, inflight: 1 },
    ...extra,
  } as HealthPayload;
}

const door3 = {
  id: 'door-3',
  driver: 'serial-line',
  state: 'connected',
  reads: 1200,
  rejects: 3,
  reconnects: 1,
  lastReadAgeS: 2.5,
  lastError: 'device unplugged',
  readsPerMin: 40,
  errors: 2,
};

const full = health({
  readers: [door3],
  events: {
    published: 900,
    suppressedReads: 280,
    rejected: 3,
    belowFloorReads: 7,
    noReads: 4,
    multiReads: 1,
  },
  smoothing: { tracked: 12, fixtures: 1, evicted: 0, maxTracked: 107374, bytes: 3000 },
  outbox: {
    ...health().outbox,
    oldestUndeliveredAgeS: 1.5,
    runwayS: 123456.7,
    stalls: 2,
    stalledS: 4.5,
    writeError: 'ENOSPC: no space left on device',
  },
  uplink: { state: 'connected', connects: 2, inflight: 1, rttMs: 35 },
  config: {
    generation: 3,
    loadedAt: '2025-03-01T09:00:00.000Z',
    reloads: 2,
    reloadFailures: 1,
    lastReload: { at: '2025-03-01T09:30:00.000Z', ok: false, message: 'readers[0].path: missing' },
  },
  jobs: { anything: 1 },
  memory: { budgetBytes: 134217728, ownBytes: 104857600, heapUsedBytes: 20971520, limitBytes: 268435456 },
});
const memory = { rss: 52428800, heapUsed: 20971520, heapTotal: 33554432 };

// Written by hand from the format spec (0.0.4): HELP, TYPE, then the family's samples.
const GOLDEN = `# HELP readpoint_reader_connected 1 when the reader is connected, else 0.
# TYPE readpoint_reader_connected gauge
readpoint_reader_connected{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 1
# HELP readpoint_reader_state The reader state: 1 for the current state, 0 for the others.
# TYPE readpoint_reader_state gauge
readpoint_reader_state{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line",state="idle"} 0
readpoint_reader_state{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line",state="connecting"} 0
readpoint_reader_state{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line",state="connected"} 1
readpoint_reader_state{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line",state="disconnected"} 0
readpoint_reader_state{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line",state="stopped"} 0
# HELP readpoint_reader_reads_total Reads received from the reader.
# TYPE readpoint_reader_reads_total counter
readpoint_reader_reads_total{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 1200
# HELP readpoint_reader_rejects_total Reads from the reader that were rejected: not framed or not decoded (as on the rejects topic).
# TYPE readpoint_reader_rejects_total counter
readpoint_reader_rejects_total{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 3
# HELP readpoint_reader_reconnects_total Times the connection to the reader was made again.
# TYPE readpoint_reader_reconnects_total counter
readpoint_reader_reconnects_total{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 1
# HELP readpoint_reader_errors_total Times the reader went disconnected: a failed open, a lost device or connection.
# TYPE readpoint_reader_errors_total counter
readpoint_reader_errors_total{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 2
# HELP readpoint_reader_last_read_age_seconds Seconds since the reader's last read.
# TYPE readpoint_reader_last_read_age_seconds gauge
readpoint_reader_last_read_age_seconds{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 2.5
# HELP readpoint_reader_reads_per_minute Reads per minute from the reader, recently.
# TYPE readpoint_reader_reads_per_minute gauge
readpoint_reader_reads_per_minute{gateway="dock-gw",site="wh-1",reader="door-3",driver="serial-line"} 40
# HELP readpoint_events_published_total Events delivered: acknowledged by the upstream broker (PUBACK).
# TYPE readpoint_events_published_total counter
readpoint_events_published_total{gateway="dock-gw",site="wh-1"} 900
# HELP readpoint_reads_suppressed_total Reads of a unit already seen in the same pass (no event).
# TYPE readpoint_reads_suppressed_total counter
readpoint_reads_suppressed_total{gateway="dock-gw",site="wh-1"} 280
# HELP readpoint_reads_rejected_total Reads that could not be decoded.
# TYPE readpoint_reads_rejected_total counter
readpoint_reads_rejected_total{gateway="dock-gw",site="wh-1"} 3
# HELP readpoint_reads_below_floor_total RFID reads weaker than their antenna's RSSI floor, ignored.
# TYPE readpoint_reads_below_floor_total counter
readpoint_reads_below_floor_total{gateway="dock-gw",site="wh-1"} 7
# HELP readpoint_triggers_no_read_total Scanner triggers that read nothing.
# TYPE readpoint_triggers_no_read_total counter
readpoint_triggers_no_read_total{gateway="dock-gw",site="wh-1"} 4
# HELP readpoint_triggers_multi_read_total Scanner triggers that read several codes at once.
# TYPE readpoint_triggers_multi_read_total counter
readpoint_triggers_multi_read_total{gateway="dock-gw",site="wh-1"} 1
# HELP readpoint_smoothing_tracked_units Units with an open pass at a read point.
# TYPE readpoint_smoothing_tracked_units gauge
readpoint_smoothing_tracked_units{gateway="dock-gw",site="wh-1"} 12
# HELP readpoint_smoothing_fixtures Open passes of units taken for fixtures.
# TYPE readpoint_smoothing_fixtures gauge
readpoint_smoothing_fixtures{gateway="dock-gw",site="wh-1"} 1
# HELP readpoint_smoothing_evicted_total Passes ended early to stay within smoothing.maxTracked.
# TYPE readpoint_smoothing_evicted_total counter
readpoint_smoothing_evicted_total{gateway="dock-gw",site="wh-1"} 0
# HELP readpoint_smoothing_max_tracked_units The bound on open passes (smoothing.maxTracked).
# TYPE readpoint_smoothing_max_tracked_units gauge
readpoint_smoothing_max_tracked_units{gateway="dock-gw",site="wh-1"} 107374
# HELP readpoint_smoothing_bytes Memory the open passes take, estimated, bytes.
# TYPE readpoint_smoothing_bytes gauge
readpoint_smoothing_bytes{gateway="dock-gw",site="wh-1"} 3000
# HELP readpoint_outbox_depth Undelivered events in the outbox.
# TYPE readpoint_outbox_depth gauge
readpoint_outbox_depth{gateway="dock-gw",site="wh-1"} 5
# HELP readpoint_outbox_bytes Bytes of undelivered events in the outbox.
# TYPE readpoint_outbox_bytes gauge
readpoint_outbox_bytes{gateway="dock-gw",site="wh-1"} 4096
# HELP readpoint_outbox_oldest_undelivered_age_seconds Age of the oldest undelivered event.
# TYPE readpoint_outbox_oldest_undelivered_age_seconds gauge
readpoint_outbox_oldest_undelivered_age_seconds{gateway="dock-gw",site="wh-1"} 1.5
# HELP readpoint_outbox_dropped_total Events dropped by the overflow policy.
# TYPE readpoint_outbox_dropped_total counter
readpoint_outbox_dropped_total{gateway="dock-gw",site="wh-1"} 0
# HELP readpoint_outbox_runway_seconds Seconds until the outbox is full at the current fill rate.
# TYPE readpoint_outbox_runway_seconds gauge
readpoint_outbox_runway_seconds{gateway="dock-gw",site="wh-1"} 123456.7
# HELP readpoint_outbox_appends_per_second Events accepted per second, over the last ~30 s.
# TYPE readpoint_outbox_appends_per_second gauge
readpoint_outbox_appends_per_second{gateway="dock-gw",site="wh-1"} 0.8
# HELP readpoint_outbox_acks_per_second Events acknowledged by the broker per second, over the last ~30 s.
# TYPE readpoint_outbox_acks_per_second gauge
readpoint_outbox_acks_per_second{gateway="dock-gw",site="wh-1"} 0.7
# HELP readpoint_outbox_reading_stopped 1 while the readers are held back, else 0.
# TYPE readpoint_outbox_reading_stopped gauge
readpoint_outbox_reading_stopped{gateway="dock-gw",site="wh-1"} 0
# HELP readpoint_outbox_stalls_total Times the readers were held back.
# TYPE readpoint_outbox_stalls_total counter
readpoint_outbox_stalls_total{gateway="dock-gw",site="wh-1"} 2
# HELP readpoint_outbox_stalled_seconds_total Seconds the readers were held back.
# TYPE readpoint_outbox_stalled_seconds_total counter
readpoint_outbox_stalled_seconds_total{gateway="dock-gw",site="wh-1"} 4.5
# HELP readpoint_outbox_held Events waiting in memory for the store, not yet accepted.
# TYPE readpoint_outbox_held gauge
readpoint_outbox_held{gateway="dock-gw",site="wh-1"} 0
# HELP readpoint_outbox_write_failing 1 while the store cannot be written (the health topic says why).
# TYPE readpoint_outbox_write_failing gauge
readpoint_outbox_write_failing{gateway="dock-gw",site="wh-1"} 1
# HELP readpoint_outbox_quarantined_total Stored records that could not be decoded, moved aside.
# TYPE readpoint_outbox_quarantined_total counter
readpoint_outbox_quarantined_total{gateway="dock-gw",site="wh-1"} 0
# HELP readpoint_outbox_last_sequence Sequence number of the last accepted event.
# TYPE readpoint_outbox_last_sequence gauge
readpoint_outbox_last_sequence{gateway="dock-gw",site="wh-1"} 905
# HELP readpoint_uplink_connected 1 when connected to the upstream broker, else 0.
# TYPE readpoint_uplink_connected gauge
readpoint_uplink_connected{gateway="dock-gw",site="wh-1"} 1
# HELP readpoint_uplink_state The uplink state: 1 for the current state, 0 for the others.
# TYPE readpoint_uplink_state gauge
readpoint_uplink_state{gateway="dock-gw",site="wh-1",state="connecting"} 0
readpoint_uplink_state{gateway="dock-gw",site="wh-1",state="connected"} 1
readpoint_uplink_state{gateway="dock-gw",site="wh-1",state="disconnected"} 0
readpoint_uplink_state{gateway="dock-gw",site="wh-1",state="stopped"} 0
# HELP readpoint_uplink_connects_total Connections made to the upstream broker.
# TYPE readpoint_uplink_connects_total counter
readpoint_uplink_connects_total{gateway="dock-gw",site="wh-1"} 2
# HELP readpoint_uplink_inflight Events published and awaiting PUBACK.
# TYPE readpoint_uplink_inflight gauge
readpoint_uplink_inflight{gateway="dock-gw",site="wh-1"} 1
# HELP readpoint_uplink_round_trip_seconds Round-trip time of the last PUBACK.
# TYPE readpoint_uplink_round_trip_seconds gauge
readpoint_uplink_round_trip_seconds{gateway="dock-gw",site="wh-1"} 0.035
# HELP readpoint_process_uptime_seconds Seconds since the daemon started.
# TYPE readpoint_process_uptime_seconds gauge
readpoint_process_uptime_seconds{gateway="dock-gw",site="wh-1"} 3600.5
# HELP readpoint_process_resident_memory_bytes Resident set size of the daemon process.
# TYPE readpoint_process_resident_memory_bytes gauge
readpoint_process_resident_memory_bytes{gateway="dock-gw",site="wh-1"} 52428800
# HELP readpoint_process_heap_used_bytes JavaScript heap in use.
# TYPE readpoint_process_heap_used_bytes gauge
readpoint_process_heap_used_bytes{gateway="dock-gw",site="wh-1"} 20971520
# HELP readpoint_process_heap_total_bytes JavaScript heap allocated.
# TYPE readpoint_process_heap_total_bytes gauge
readpoint_process_heap_total_bytes{gateway="dock-gw",site="wh-1"} 33554432
# HELP readpoint_memory_budget_bytes What the daemon sizes its own memory to (memory.budgetMb).
# TYPE readpoint_memory_budget_bytes gauge
readpoint_memory_budget_bytes{gateway="dock-gw",site="wh-1"} 134217728
# HELP readpoint_memory_own_bytes The daemon's own memory (RssAnon: heap and native allocations).
# TYPE readpoint_memory_own_bytes gauge
readpoint_memory_own_bytes{gateway="dock-gw",site="wh-1"} 104857600
# HELP readpoint_memory_limit_bytes The memory limit of the daemon's process (its cgroup), when it has one.
# TYPE readpoint_memory_limit_bytes gauge
readpoint_memory_limit_bytes{gateway="dock-gw",site="wh-1"} 268435456
# HELP readpoint_config_generation Generation of the configuration in use.
# TYPE readpoint_config_generation gauge
readpoint_config_generation{gateway="dock-gw",site="wh-1"} 3
# HELP readpoint_config_reloads_total Configuration reloads applied.
# TYPE readpoint_config_reloads_total counter
readpoint_config_reloads_total{gateway="dock-gw",site="wh-1"} 2
# HELP readpoint_config_reload_failures_total Configuration reloads refused.
# TYPE readpoint_config_reload_failures_total counter
readpoint_config_reload_failures_total{gateway="dock-gw",site="wh-1"} 1
`;

interface Family {
  help?: string;
  type?: string;
  samples: number;
}

/**
 * Reads an exposition back, failing on anything the format or Prometheus would refuse: a sample
 * before its family's HELP and TYPE, a second HELP or TYPE, a family split in two, a repeated
 * series, a malformed line. Returns each series (`name` + labels in order) and its value.
 */
function parseBack(text: string): {
  families: Map<string, Family>;
  series: Map<string, { labels: Record<string, string>; value: number }>;
} {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map<string, Family>();
  const series = new Map<string, { labels: Record<string, string>; value: number }>();
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (name: string): Family => {
    if (current !== name) {
      if (current) finished.add(current);
      if (finished.has(name)) throw new Error(`family ${name} is split`);
      current = name;
    }
    const f = families.get(name) ?? { samples: 0 };
    families.set(name, f);
    return f;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
      const f = enter(name);
      if (f.samples > 0) throw new Error(`${what} of ${name} after its samples`);
      const key = what === 'HELP' ? 'help' : 'type';
      if (f[key] !== undefined) throw new Error(`second ${what} of ${name}`);
      f[key] = rest;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/s.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string, string];
    const f = enter(name);
    if (f.help === undefined || f.type === undefined) throw new Error(`sample of ${name} before HELP/TYPE`);
    f.samples++;
    const labels = parseLabels(labelText);
    const id = `${name}${JSON.stringify(labels)}`;
    if (series.has(id)) throw new Error(`repeated series ${id}`);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value in ${line}`);
    series.set(id, { labels, value });
  }
  return { families, series };
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!m) throw new Error(`bad labels: ${text}`);
    const [all, name, escaped] = m as unknown as [string, string, string];
    if (name in labels) throw new Error(`label ${name} twice`);
    labels[name] = escaped.replace(/\\([\\"n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

const value = (text: string, name: string, labels: Record<string, string>) =>
  parseBack(text).series.get(`${name}${JSON.stringify(labels)}`)?.value;

describe('renderMetrics', () => {
  it('writes the exact exposition of a full snapshot', () => {
    expect(renderMetrics(full, { memory })).toBe(GOLDEN);
  });

  it('reads back: one HELP and one TYPE before each family, no repeated series, counters end in _total', () => {
    const { families, series } = parseBack(renderMetrics(full, { memory }));
    expect(families.size).toBe(48);
    expect(series.size).toBe(48 - 2 + 5 + 4); // the two enum families have 5 and 4 samples
    for (const [name, f] of families) {
      expect(f.samples, name).toBeGreaterThan(0);
      expect(f.type, name).toBe(name.endsWith('_total') ? 'counter' : 'gauge');
      expect(f.help, name).toMatch(/^\S.*\S$/);
    }
    for (const { labels } of series.values())
      expect(labels).toMatchObject({ gateway: 'dock-gw', site: 'wh-1' });
  });

  it('escapes backslash, double quote and line feed in label values', () => {
    const odd = { ...door3, id: 'dock "3"\\east\nside', driver: 'serial-line' };
    const text = renderMetrics(health({ readers: [odd] }));
    expect(text).toContain(
      'readpoint_reader_reads_total{gateway="dock-gw",site="wh-1",reader="dock \\"3\\"\\\\east\\nside",driver="serial-line"} 1200\n',
    );
    expect(
      value(text, 'readpoint_reader_reads_total', {
        gateway: 'dock-gw',
        site: 'wh-1',
        reader: odd.id,
        driver: 'serial-line',
      }),
    ).toBe(1200);
  });

  it('round-trips any reader id and site through the escaping', () => {
    // Mostly the characters that matter to the format, among any others.
    const unit = fc.oneof(
      fc.constantFrom('"', '\\', '\n', '\r', ',', '=', '{', '}', ' ', '#'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1 }), fc.string({ unit }), (id, site) => {
        const text = renderMetrics(health({ site, readers: [{ ...door3, id }] }));
        const labels = { gateway: 'dock-gw', site, reader: id, driver: 'serial-line' };
        expect(value(text, 'readpoint_reader_rejects_total', labels)).toBe(3);
        expect(value(text, 'readpoint_reader_state', { ...labels, state: 'connected' })).toBe(1);
      }),
    );
  });

  it('writes no sample, HELP or TYPE for fields the snapshot does not carry', () => {
    const bare = { ...door3 } as Record<string, unknown>;
    for (const k of ['lastReadAgeS', 'readsPerMin', 'errors']) delete bare[k];
    const text = renderMetrics(health({ readers: [bare] }));
    const names = [...parseBack(text).families.keys()];
    for (const absent of [
      'readpoint_reader_errors_total',
      'readpoint_reader_last_read_age_seconds',
      'readpoint_reader_reads_per_minute',
      'readpoint_reads_below_floor_total',
      'readpoint_triggers_no_read_total',
      'readpoint_triggers_multi_read_total',
      'readpoint_smoothing_tracked_units',
      'readpoint_smoothing_fixtures',
      'readpoint_smoothing_evicted_total',
      'readpoint_outbox_oldest_undelivered_age_seconds',
      'readpoint_outbox_runway_seconds',
      'readpoint_uplink_round_trip_seconds',
      'readpoint_process_resident_memory_bytes',
      'readpoint_process_heap_used_bytes',
      'readpoint_process_heap_total_bytes',
      'readpoint_memory_budget_bytes',
      'readpoint_memory_own_bytes',
      'readpoint_memory_limit_bytes',
      'readpoint_config_generation',
      'readpoint_config_reloads_total',
      'readpoint_config_reload_failures_total',
    ]) {
      expect(text).not.toContain(absent);
    }
    expect(names).toHaveLength(46 - 21);
    expect(value(text, 'readpoint_outbox_write_failing', { gateway: 'dock-gw', site: 'wh-1' })).toBe(0);
  });

  it('gives the broker node and its switches with several nodes in uplink.url', () => {
    const text = renderMetrics(
      health({
        uplink: {
          state: 'connected',
          connects: 3,
          inflight: 0,
          node: 2,
          nodeUrl: 'mqtt://n3:1883',
          nodeSwitches: 2,
        },
      }),
    );
    expect(text).toContain(
      [
        '# HELP readpoint_uplink_node With several nodes in uplink.url: the node in use or last tried, from 0.',
        '# TYPE readpoint_uplink_node gauge',
        'readpoint_uplink_node{gateway="dock-gw",site="wh-1"} 2',
        '# HELP readpoint_uplink_node_switches_total Connections made to another broker node than the one before.',
        '# TYPE readpoint_uplink_node_switches_total counter',
        'readpoint_uplink_node_switches_total{gateway="dock-gw",site="wh-1"} 2',
      ].join('\n'),
    );
    expect(renderMetrics(health())).not.toContain('readpoint_uplink_node');
  });

  it('leaves out every reader family when there is no reader', () => {
    const text = renderMetrics(health());
    expect(text).not.toContain('readpoint_reader_');
    expect(parseBack(text).families.size).toBe(46 - 21 - 5);
  });

  it('keeps a state it does not know as its own enum sample, and says disconnected as 0', () => {
    const text = renderMetrics(
      health({
        readers: [{ ...door3, state: 'flapping' }],
        uplink: { state: 'disconnected', connects: 0, inflight: 0 },
      }),
    );
    const r = { gateway: 'dock-gw', site: 'wh-1', reader: 'door-3', driver: 'serial-line' };
    expect(value(text, 'readpoint_reader_state', { ...r, state: 'flapping' })).toBe(1);
    expect(value(text, 'readpoint_reader_state', { ...r, state: 'connected' })).toBe(0);
    expect(value(text, 'readpoint_reader_connected', r)).toBe(0);
    expect(value(text, 'readpoint_uplink_connected', { gateway: 'dock-gw', site: 'wh-1' })).toBe(0);
    expect(
      value(text, 'readpoint_uplink_state', { gateway: 'dock-gw', site: 'wh-1', state: 'disconnected' }),
    ).toBe(1);
    expect(text.match(/^readpoint_reader_state\{/gm)).toHaveLength(6);
  });

  it('writes one series when two readers share an id (Prometheus would refuse the whole scrape)', () => {
    const text = renderMetrics(health({ readers: [door3, { ...door3, reads: 7 }] }));
    expect(text.match(/^readpoint_reader_reads_total\{/gm)).toHaveLength(1);
    const r = { gateway: 'dock-gw', site: 'wh-1', reader: 'door-3', driver: 'serial-line' };
    expect(value(text, 'readpoint_reader_reads_total', r)).toBe(1200); // parseBack throws on a repeat
  });

  it("renders the gateway's own health snapshot", () => {
    const reader = new (class extends EventEmitter {
      readonly id = 'conveyor-1';
      async start() {}
      async stop() {}
      status(): ReaderStatus {
        return {
          id: 'conveyor-1',
          driver: 'sim',
          state: 'disconnected',
          reads: 4,
          rejects: 1,
          reconnects: 2,
          discardedOnStop: 0,
        };
      }
    })() as Driver;
    const uplink = new FakeUplink(10);
    const outbox = new MemoryOutbox();
    const h = healthSnapshot(
      {
        gatewayId: 'gw',
        site: 'site',
        startedAt: 1_000,
        drivers: () => [reader],
        pipelines: () => [],
        outbox,
        uplink,
        dispatcher: { stats: () => ({ published: 9 }) },
        readerExtras: (id) =>
          id === 'conveyor-1' ? { reads: 4, readsPerMin: 12, errors: 3, rejects: 5 } : undefined,
        config: () => ({
          generation: 2,
          loadedAt: '2025-03-01T10:00:00.000Z',
          reloads: 1,
          reloadFailures: 0,
        }),
      },
      61_000,
    );
    const text = renderMetrics(h);
    const r = { gateway: 'gw', site: 'site', reader: 'conveyor-1', driver: 'sim' };
    expect(value(text, 'readpoint_reader_reconnects_total', r)).toBe(2);
    expect(value(text, 'readpoint_reader_state', { ...r, state: 'disconnected' })).toBe(1);
    expect(value(text, 'readpoint_reader_reads_per_minute', r)).toBe(12);
    expect(value(text, 'readpoint_reader_errors_total', r)).toBe(3);
    // The pipeline's count of the reader's rejects, not the driver's own (framing only).
    expect(value(text, 'readpoint_reader_rejects_total', r)).toBe(5);
    const g = { gateway: 'gw', site: 'site' };
    expect(value(text, 'readpoint_events_published_total', g)).toBe(9);
    expect(value(text, 'readpoint_process_uptime_seconds', g)).toBe(60);
    expect(value(text, 'readpoint_uplink_connected', g)).toBe(1);
    expect(value(text, 'readpoint_config_generation', g)).toBe(2);
    expect(value(text, 'readpoint_config_reloads_total', g)).toBe(1);
    expect(value(text, 'readpoint_config_reload_failures_total', g)).toBe(0);
  });
});
