/**
 * `npm run bench`: every figure beside the ceiling measured in the same run on this machine.
 * Prints a Markdown table for docs/benchmarks.md.
 *
 * Sizes: BENCH_EVENTS (gateway run, default 50,000), BENCH_RATE and BENCH_LATENCY_S (latency
 * phase, default 5,000 events/s for 10 s after 2 s of warm-up), BENCH_BACKLOG (default
 * 1,000,000), BENCH_OUTBOX (outbox phase, default 100,000), BENCH_RFID_TAGS (RFID phase, default 500).
 */
import { cpus } from 'node:os';
import { startMosquitto } from '../support/mosquitto.js';
import type { BacklogResult } from './backlog.js';
import { benchGateway } from './gateway.js';
import type { DecodeRate } from './identity.js';
import type { LatencyResult } from './latency.js';
import { benchRawMqtt } from './mqtt.js';
import { benchOutbox } from './outbox.js';
import { conveyorEvents } from './path.js';
import { runPhase } from './phase.js';
import type { RfidResult, UnitMemoryResult } from './rfid.js';

const N = Number(process.env.BENCH_EVENTS ?? 50000);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 10);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
const OUTBOX = Number(process.env.BENCH_OUTBOX ?? 100000);
const WINDOW = 100;
const P99_TARGET_MS = 20;
const RSS_TARGET_MB = 200;
const rows: string[] = [];
const row = (what: string, value: string, ceiling: string, ratio: string) =>
  rows.push(`| ${what} | ${value} | ${ceiling} | ${ratio} |`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(1);

const broker = await startMosquitto();
try {
  const raw = await benchRawMqtt(broker.url, N, WINDOW);
  const gw = await benchGateway(broker.url, N, WINDOW);
  row(
    `events/s, driver input -> PUBACK (${fmt(N)} events, window ${WINDOW}, Mosquitto)`,
    fmt(gw.perSecond),
    `${fmt(raw.perSecond)} (raw mqtt.js QoS 1, same window)`,
    (gw.perSecond / raw.perSecond).toFixed(2),
  );
  row('peak RSS of the bench process during the gateway run, MB', gw.rssMb.toFixed(0), '', '');

  for (const sync of ['batch', 'interval'] as const) {
    const lat = await runPhase<LatencyResult>('latency', {
      url: broker.url,
      inflight: WINDOW,
      rate: RATE,
      seconds: LATENCY_S,
      warmupS: 2,
      sync,
    });
    row(
      `latency read -> PUBACK, ms, p50 / p99 / max, \`outbox.sync: ${sync}\` (${fmt(RATE)} events/s offered for ${LATENCY_S} s after 2 s warm-up; ${fmt(lat.events)} events, achieved ${fmt(lat.achievedRate)}/s, feeder at most ${fmt(lat.maxFeederLagMs)} ms behind; own process, RSS max ${fmt(lat.rssMb)} MB)`,
      `${ms(lat.p50Ms)} / ${ms(lat.p99Ms)} / ${ms(lat.maxMs)}`,
      `target p99 <= ${P99_TARGET_MS}`,
      `p99 at ${(lat.p99Ms / P99_TARGET_MS).toFixed(2)} x target`,
    );
  }

  // The ceiling drains the same number of the same events with the same window, just before.
  const rawBacklog = await benchRawMqtt(broker.url, BACKLOG, WINDOW, conveyorEvents(1000));
  const bl = await runPhase<BacklogResult>('backlog', { url: broker.url, inflight: WINDOW, n: BACKLOG });
  row(
    `backlog drain, events/s (${fmt(BACKLOG)} events stored while the uplink was down, then drained; window ${WINDOW}, Mosquitto)`,
    fmt(bl.drainPerSecond),
    `${fmt(rawBacklog.perSecond)} (raw mqtt.js QoS 1, same window, same events)`,
    (bl.drainPerSecond / rawBacklog.perSecond).toFixed(2),
  );
  row(
    'backlog fill, events/s (reads -> pipeline -> outbox, fsync per group commit, uplink down)',
    fmt(bl.fillPerSecond),
    '',
    '',
  );
  row(
    'backlog RSS, MB: max sampled during fill / during drain / kernel peak (VmHWM) of the process doing it',
    `${fmt(bl.fillRssMb)} / ${fmt(bl.drainRssMb)} / ${fmt(bl.peakRssMb)}`,
    `target <= ${RSS_TARGET_MB} throughout`,
    `peak at ${(bl.peakRssMb / RSS_TARGET_MB).toFixed(2)} x target`,
  );
  row(
    'of that, the process own memory (RssAnon; the rest is mapped LevelDB table files), MB: max during fill / during drain',
    `${fmt(bl.fillAnonMb)} / ${fmt(bl.drainAnonMb)}`,
    `target <= ${RSS_TARGET_MB} throughout`,
    `max at ${(Math.max(bl.fillAnonMb, bl.drainAnonMb) / RSS_TARGET_MB).toFixed(2)} x target`,
  );
  row(
    `backlog disk bytes per event (du of the LevelDB dir after the fill; events of ${fmt(bl.payloadBytes)} bytes)`,
    fmt(bl.diskBytesPerEvent),
    '',
    '',
  );
} finally {
  await broker.stop();
}
for (const sync of ['batch', 'interval'] as const) {
  const ob = await benchOutbox(OUTBOX, sync);
  const how = sync === 'batch' ? 'fsync per group commit' : 'no fsync per write';
  row(
    `outbox append + drain, events/s (LevelDB, \`sync: ${sync}\`)`,
    fmt(ob.outboxAppendDrainPerSecond),
    `${fmt(ob.rawPutDrainPerSecond)} (raw level batch put + drain, ${how})`,
    ob.ratio.toFixed(2),
  );
  if (sync === 'batch') row('outbox disk bytes per event', fmt(ob.bytesPerEvent), '', '');
}
// RFID reads through the driver and smoothing, and the memory of a tracked unit (issue 5).
const RFID_TAGS = Number(process.env.BENCH_RFID_TAGS ?? 500);
const rfid = await runPhase<RfidResult>('rfid', { tags: RFID_TAGS, cycleMs: 10, seconds: 5 });
row(
  `raw tag reads/s, ThingMagic driver over a socat PTY -> decode -> smoothing at a two-zone dock door (${fmt(RFID_TAGS)} tags on 2 antennas, module simulator in its own process; CPU share of the gateway process in brackets)`,
  `${fmt(rfid.readsPerSecond)} (${rfid.cpuShare.toFixed(2)} of a core: ${fmt(rfid.readsPerSecond / rfid.cpuShare)} per core-second)`,
  'target 50,000 on one core',
  (rfid.readsPerSecond / rfid.cpuShare / 50_000).toFixed(2),
);
const memory = await runPhase<UnitMemoryResult>('unit-memory', { units: 100_000 });
row(
  `memory per tracked unit, bytes of heap (${fmt(memory.units)} SGTIN-96 tags in open passes, after a full GC)`,
  fmt(memory.bytesPerUnit),
  '',
  '',
);

// Decoding alone, in a fresh process: one core, a heap of its own.
for (const r of await runPhase<DecodeRate[]>('identity', {})) {
  row(
    `decodes/s: ${r.name} (one core, own process; best 200 ms window, median in brackets)`,
    `${fmt(r.perSecond)} (${fmt(r.median)})`,
    'target 500,000',
    (r.perSecond / 500_000).toFixed(2),
  );
}

console.log(`readpoint bench — ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`);
console.log(
  `BENCH_EVENTS=${N} BENCH_RATE=${RATE} BENCH_LATENCY_S=${LATENCY_S} BENCH_BACKLOG=${BACKLOG} BENCH_OUTBOX=${OUTBOX} BENCH_RFID_TAGS=${RFID_TAGS}\n`,
);
console.log('| measure | readpoint | ceiling (same run) | ratio |\n|---|---|---|---|');
console.log(rows.join('\n'));
process.exit(0);
