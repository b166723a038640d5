/**
 * `npm run bench`: every figure beside the ceiling measured in the same run on this machine.
 * Prints a Markdown table for docs/benchmarks.md, a row as soon as it is measured. A section that
 * fails prints its error in its row and the others still run; the exit code is then 1.
 *
 * Where there is a ceiling, the gateway and the ceiling run alternately BENCH_PAIRS times (default
 * 5) and the table gives the medians, with CPU time per event (process and main thread). The
 * driver rows are given twice: over the whole run, and over its steady state (from the mark at
 * which WARM_UP_SHARE of the events were acknowledged to the last PUBACK, both sides alike); the
 * targets are judged on the whole run.
 * Sizes: BENCH_EVENTS (gateway run, each pair, default 50,000), BENCH_RATE and BENCH_LATENCY_S
 * (latency phase, default 5,000 events/s for 10 s after 2 s of warm-up), BENCH_BACKLOG (default
 * 1,000,000, drained in BENCH_PAIRS parts; run a second time in a memory cgroup of BENCH_CGROUP_MIB,
 * default 256 MiB), BENCH_OUTBOX (outbox phase, each pair, default
 * 100,000), BENCH_CONSOLE_S (console section, each side of each pair, default 10 s at BENCH_RATE),
 * BENCH_RFID_TAGS (RFID phase, default 500), BENCH_PTY_LINES (lines of each run through
 * a socat PTY, each side of each pair, default 20,000), BENCH_HOLDS (hold entries of the holds
 * sections, default 1,000,000), BENCH_REPLAY_S (length of the dock door capture the replay
 * section replays, default 600 s); the fleet's sizes in fleet-rows.ts.
 *
 * BENCH_WHERE_UNITS (where-is phase, default 1,000,000) and BENCH_WHERE_LOOKUPS (default 100,000).
 *
 * BENCH_ONLY=pty,latency (comma-separated) runs only the sections whose names start with those
 * words: driver, holds, where, pty, latency, console, backlog, outbox, rfid, replay, memory, decodes, profile, fleet (simulated
 * gateways into one Mosquitto and into a 3-node RabbitMQ cluster, with a node killed).
 * The section `PTY lines, real Node-RED` runs Node-RED itself (the pinned versions in
 * node-red-setup.ts), which npm installs on first use, from the registry, into BENCH_CACHE
 * (default node_modules/.cache/readpoint-bench in this checkout) and reuses from there; without
 * the registry that section prints FAILED with npm's error and the others still run.
 * BENCH_PROFILE=<dir> adds one more gateway run under `node --cpu-prof` (outside the pairs, whose
 * figures it would slow), writes its .cpuprofile to <dir> and prints its summary (self time per
 * package and per function, µs per event; profile-summary.ts) below the table.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHoldStore } from '../support/hold-store.js';
import { createMemoryCgroup, ownMemoryCgroup } from '../support/memory-cgroup.js';
import { startMosquitto } from '../support/mosquitto.js';
import type { BacklogResult } from './backlog.js';
import type { ConsoleResult } from './console.js';
import { type RunMeasured, WARM_UP_SHARE } from './cpu.js';
import { fleetMosquitto, fleetRabbitCluster, fleetSizes } from './fleet-rows.js';
import type { GatewayResult } from './gateway.js';
import type { HoldIndexResult, HoldLoadResult } from './holds.js';
import type { DecodeRate } from './identity.js';
import type { LatencyResult } from './latency.js';
import { installNodeRed, nodeRedDir } from './node-red-install.js';
import { benchLevelOutbox, benchRawLevel } from './outbox.js';
import { alternate, summarize } from './pairs.js';
import { formatSummary, summarizeProfile } from './profile-summary.js';
import type { ReplayBenchResult } from './replay.js';
import type { RfidResult, UnitMemoryResult } from './rfid.js';
import type { PtyResult } from './scanner-pty.js';
import { runPhase } from './spawn-phase.js';
import { failed, fmt, header, pairRows, ratio, row, section } from './table.js';
import type { WhereResult } from './where.js';

const N = Number(process.env.BENCH_EVENTS ?? 50000);
const RATE = Number(process.env.BENCH_RATE ?? 5000);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 10);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
/** The memory cgroup the backlog runs in a second time, as on a small gateway. */
const CGROUP_MIB = Number(process.env.BENCH_CGROUP_MIB ?? 256);
const MiB = 1024 * 1024;
const OUTBOX = Number(process.env.BENCH_OUTBOX ?? 100000);
const RFID_TAGS = Number(process.env.BENCH_RFID_TAGS ?? 500);
const PTY_LINES = Number(process.env.BENCH_PTY_LINES ?? 20000);
const HOLDS = Number(process.env.BENCH_HOLDS ?? 1_000_000);
const PROFILE = process.env.BENCH_PROFILE;
/** Units in the where-is index phase (its default maxUnits), and the lookups timed in it. */
const WHERE_UNITS = Number(process.env.BENCH_WHERE_UNITS ?? 1_000_000);
const WHERE_LOOKUPS = Number(process.env.BENCH_WHERE_LOOKUPS ?? 100_000);
/** Length of the dock door capture the replay section replays, s. */
const REPLAY_S = Number(process.env.BENCH_REPLAY_S ?? 600);
/** fdatasyncs timed on the outbox's disk before the `sync: batch` latency run. */
const FDATASYNCS = 500;
const PAIRS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 5));
/** Seconds each side of the console section measures (BENCH_CONSOLE_S). */
const CONSOLE_S = Number(process.env.BENCH_CONSOLE_S ?? 10);
/** The console may cost at most 5 % of the pipeline's rate and CPU per read. */
const CONSOLE_TARGET = 0.95;
/**
 * How the backlog phases are started: as systemd/readpoint.service starts the daemon, with its
 * node flags (the young generation's size, which node otherwise shrinks under a memory limit)
 * and its environment (two malloc arenas).
 */
const DAEMON_LAUNCH = { nodeFlags: ['--max-semi-space-size=16'], env: { MALLOC_ARENA_MAX: '2' } };
const WINDOW = 100;
const P99_TARGET_MS = 20;
const RSS_TARGET_MB = 200;
/** The process's own memory (RssAnon) through the backlog, with no limit from outside. */
const ANON_TARGET_MB = 150;
/** Targets against the ceiling: events/s and CPU per event, driver input -> PUBACK; backlog drain. */
const RATE_TARGET = 0.5;
const CPU_TARGET = 0.35;
const DRAIN_TARGET = 0.6;
const ms = (n: number) => n.toFixed(1);

/**
 * Per-thread CPU (threads.ts) as the main thread's and the others' sum, then each other thread
 * that worked, in the order they were made. The kernel names V8's helpers, libuv's pool and
 * LevelDB's background thread alike (`node`), so they are not told apart here.
 */
function threadShares(us: Record<string, number>): string {
  const others = Object.entries(us)
    .filter(([name, v]) => name !== 'main' && v > 0)
    .sort((a, b) => Number(a[0].split('#')[1]) - Number(b[0].split('#')[1]))
    .map(([, v]) => v);
  const sum = others.reduce((a, b) => a + b, 0);
  return `${(us.main ?? 0).toFixed(1)} / ${sum.toFixed(1)} (${others.map((v) => v.toFixed(1)).join(', ')})`;
}

console.log(`readpoint bench — ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}`);
console.log(
  `BENCH_PAIRS=${PAIRS} BENCH_EVENTS=${N} BENCH_RATE=${RATE} BENCH_LATENCY_S=${LATENCY_S} BENCH_BACKLOG=${BACKLOG} BENCH_CGROUP_MIB=${CGROUP_MIB} BENCH_OUTBOX=${OUTBOX} BENCH_RFID_TAGS=${RFID_TAGS} BENCH_PTY_LINES=${PTY_LINES} BENCH_HOLDS=${HOLDS}${process.env.BENCH_CACHE ? ` BENCH_CACHE=${process.env.BENCH_CACHE}` : ''}${process.env.BENCH_ONLY ? ` BENCH_ONLY=${process.env.BENCH_ONLY}` : ''}`,
);
console.log(`${fleetSizes()}\n`);
header();

let broker: Awaited<ReturnType<typeof startMosquitto>> | undefined;
let profileSummary: string | undefined;
await section('Mosquitto', async () => {
  broker = await startMosquitto();
});
if (broker) {
  const url = broker.url;
  try {
    await section('driver input -> PUBACK', async () => {
      const pairs = await alternate(
        PAIRS,
        () => runPhase<GatewayResult>('gateway', { url, n: N, inflight: WINDOW }),
        () => runPhase<RunMeasured>('raw-mqtt', { url, n: N, window: WINDOW }),
      );
      pairRows(
        `driver input -> PUBACK (${fmt(N)} events a run, window ${WINDOW}, Mosquitto; each run in a process of its own)`,
        'raw mqtt.js QoS 1, same window',
        summarize(pairs),
        { rate: RATE_TARGET, cpu: CPU_TARGET },
      );
      pairRows(
        `driver input -> PUBACK, steady state (the same runs from the mark at which ${WARM_UP_SHARE * 100} % of the events were acknowledged to the last PUBACK, both sides alike: start-up and warm-up left out)`,
        'raw mqtt.js QoS 1, same window',
        summarize(pairs.map((p) => ({ ours: p.ours.steady, ceiling: p.ceiling.steady }))),
        { rate: RATE_TARGET, cpu: CPU_TARGET, shownOnly: true },
      );
      row(
        'peak RSS of the gateway process during its run, MB (highest of the pairs)',
        fmt(Math.max(...pairs.map((p) => p.ours.rssMb))),
      );
    });

    // The where-is index: what keeping it costs the whole gateway (on and off alternated, the
    // same events), then the index alone: its cost per event, lookups/s and memory when full.
    await section('where-is index', async () => {
      const pairs = await alternate(
        PAIRS,
        () => runPhase<GatewayResult>('gateway', { url, n: N, inflight: WINDOW, where: {} }),
        () => runPhase<GatewayResult>('gateway', { url, n: N, inflight: WINDOW }),
      );
      pairRows(
        `driver input -> PUBACK with the where-is index kept (\`where: {}\`; ${fmt(N)} events a run, window ${WINDOW}, Mosquitto; each run in a process of its own)`,
        'the same gateway without a where section',
        summarize(pairs),
      );
      const anon = (side: 'ours' | 'ceiling') => Math.max(...pairs.map((p) => p[side].anonMb ?? Number.NaN));
      row(
        'the gateway process own memory (RssAnon) at most, MB, highest of the pairs: with the index / without',
        fmt(anon('ours')),
        fmt(anon('ceiling')),
        '',
        `<= ${ANON_TARGET_MB} with the index: ${anon('ours') <= ANON_TARGET_MB ? 'met' : 'missed'}`,
      );
      const w = await runPhase<WhereResult>('where', { units: WHERE_UNITS, lookups: WHERE_LOOKUPS });
      const us = (n: number) => n.toFixed(2);
      row(
        `where-is index alone, ${fmt(w.units)} new units then each again: events/s, process CPU µs per event (main thread), the observer's call on the read path µs`,
        `${fmt(w.keep.perSecond)}, ${us(w.keep.cpuUs)} (${us(w.keep.mainUs)}), ${us(w.keep.observeUs)}`,
      );
      row(
        `where-is lookups/s in an index of ${fmt(w.units)} units (${fmt(WHERE_LOOKUPS)} finds one after another; process CPU µs each)`,
        `${fmt(w.find.perSecond)} (${us(w.find.cpuUs)})`,
      );
      row(
        'where-is questions as `readpoint where` and the query topic ask them (scan decoded + find, 100 units a question): units/s (process CPU µs each)',
        `${fmt(w.asked.perSecond)} (${us(w.asked.cpuUs)})`,
      );
      row(
        `new units into the full index (each evicting the least recently seen): events/s, evictions`,
        `${fmt(w.evict.perSecond)}, ${fmt(w.evict.evictions)}`,
      );
      row(
        `the index-alone process own memory (RssAnon), MB: at start / max with the index filled to ${fmt(w.units)} units and asked (its feed runs as fast as the index takes it, faster than a gateway's read path: no target)`,
        `${fmt(w.anonStartMb)} / ${fmt(w.anonMaxMb)}`,
      );
    });

    // The same gateway with a million hold entries loaded, against itself with none.
    await section('holds, gateway', async () => {
      const template = mkdtempSync(join(tmpdir(), 'rp-bench-hold-store-'));
      try {
        await writeHoldStore(template, HOLDS);
        const load = await runPhase<HoldLoadResult>('hold-load', { template });
        row(
          `loading ${fmt(load.entries)} hold entries from LevelDB into the index, as the daemon does at start (fresh process), s / its own memory (RssAnon) before / most while / after, MB`,
          `${load.loadS.toFixed(1)} / ${fmt(load.beforeAnonMb)} / ${fmt(load.peakAnonMb)} / ${fmt(load.afterAnonMb)}`,
        );
        const pairs = await alternate(
          PAIRS,
          () => runPhase<GatewayResult>('gateway', { url, n: N, inflight: WINDOW, holds: { template } }),
          () => runPhase<GatewayResult>('gateway', { url, n: N, inflight: WINDOW, holds: {} }),
        );
        pairRows(
          `driver input -> PUBACK with ${fmt(HOLDS)} hold entries loaded (${fmt(N)} events a run; units, lots, serial ranges, GTINs and a company prefix on the simulator's own GTINs, none holding a simulated unit, so every kind is looked up for each event; CPU counted from the end of the start, which loads the list)`,
          'the same gateway with holds on and no entries',
          summarize(pairs),
        );
        row(
          `peak RSS of the gateway process with ${fmt(HOLDS)} hold entries / with none, MB (highest of the pairs)`,
          fmt(Math.max(...pairs.map((p) => p.ours.rssMb))),
          fmt(Math.max(...pairs.map((p) => p.ceiling.rssMb))),
        );
        const anon = Math.max(...pairs.map((p) => p.ours.anonMb ?? Number.NaN));
        row(
          `of that, the gateway process's own memory (RssAnon) during its run, most sampled, with ${fmt(HOLDS)} hold entries / with none, MB (highest of the pairs)`,
          fmt(anon),
          fmt(Math.max(...pairs.map((p) => p.ceiling.anonMb ?? Number.NaN))),
          '',
          `<= ${ANON_TARGET_MB}: ${anon <= ANON_TARGET_MB ? 'met' : 'missed'}`,
        );
      } finally {
        rmSync(template, { recursive: true, force: true });
      }
    });

    // A serial scanner line through a real PTY, beside a Node-RED-like flow on the same lines.
    for (const sync of ['batch', 'interval'] as const) {
      await section(`PTY lines, sync: ${sync}`, async () => {
        const pairs = await alternate(
          PAIRS,
          () => runPhase<PtyResult>('pty-gateway', { url, lines: PTY_LINES, inflight: WINDOW, sync }),
          () => runPhase<PtyResult>('serial-flow', { url, lines: PTY_LINES }),
        );
        pairRows(
          `serial scanner lines through a socat PTY -> PUBACK, the whole daemon, \`outbox.sync: ${sync}\` (${fmt(PTY_LINES)} GS1 DataMatrix lines a run, one event each, written by a process of their own as fast as the PTY takes them; each side in a process of its own; figures per line)`,
          "a flow serial in -> function -> mqtt out built from the libraries Node-RED's nodes use (serialport + parser-readline, mqtt.js QoS 1), not Node-RED itself: no decode, nothing on disk",
          summarize(pairs),
          { rate: 1, cpu: 1 },
        );
        row(
          `peak RSS during the PTY runs, \`outbox.sync: ${sync}\`, MB, highest of the pairs: readpoint / the flow (VmHWM of each, reset as the first line was written)`,
          fmt(Math.max(...pairs.map((p) => p.ours.rssMb))),
          fmt(Math.max(...pairs.map((p) => p.ceiling.rssMb))),
        );
      });
    }

    // The same lines beside Node-RED itself, installed on demand (node-red-install.ts).
    await section('PTY lines, real Node-RED', async () => {
      const red = await installNodeRed(nodeRedDir(process.env.BENCH_CACHE));
      const v = red.versions;
      const pairs = await alternate(
        PAIRS,
        () => runPhase<PtyResult>('pty-gateway', { url, lines: PTY_LINES, inflight: WINDOW, sync: 'batch' }),
        () => runPhase<PtyResult>('node-red', { url, lines: PTY_LINES, redJs: red.redJs }),
      );
      pairRows(
        `serial scanner lines through a socat PTY, the whole daemon, \`outbox.sync: batch\`, timed from the first line written to the PUBACK of the last event (${fmt(PTY_LINES)} GS1 DataMatrix lines a run, as above; figures per line)`,
        `Node-RED ${v['node-red']} itself, headless in a process of its own (node-red-node-serialport ${v['node-red-node-serialport']}, serialport ${v.serialport}, mqtt.js ${v.mqtt}): serial in (split on CR) -> function (trim) -> mqtt out QoS 1; no decode, nothing on disk; timed from the first line written to the last line received by a QoS 1 subscriber at Mosquitto (Node-RED reports no PUBACKs); its start-up not counted`,
        summarize(pairs),
        { rate: 1, cpu: 1 },
      );
      row(
        'peak RSS during the PTY runs beside Node-RED, MB, highest of the pairs: readpoint (VmHWM, reset as the first line was written) / Node-RED (VmHWM, reset when its flow was ready)',
        fmt(Math.max(...pairs.map((p) => p.ours.rssMb))),
        fmt(Math.max(...pairs.map((p) => p.ceiling.rssMb))),
      );
    });

    for (const sync of ['batch', 'interval'] as const) {
      await section(`latency, sync: ${sync}`, async () => {
        const lat = await runPhase<LatencyResult>('latency', {
          url,
          inflight: WINDOW,
          rate: RATE,
          seconds: LATENCY_S,
          warmupS: 2,
          sync,
          fdatasyncs: sync === 'batch' ? FDATASYNCS : 0,
        });
        row(
          `latency read -> PUBACK, ms, p50 / p99 / max, \`outbox.sync: ${sync}\` (${fmt(RATE)} events/s offered for ${LATENCY_S} s after 2 s warm-up; ${fmt(lat.events)} events, achieved ${fmt(lat.achievedRate)}/s, feeder at most ${fmt(lat.maxFeederLagMs)} ms behind; own process, RSS max ${fmt(lat.rssMb)} MB)`,
          `${ms(lat.p50Ms)} / ${ms(lat.p99Ms)} / ${ms(lat.maxMs)}`,
          '',
          `p99 at ${ratio(lat.p99Ms / P99_TARGET_MS)} x target`,
          `p99 <= ${P99_TARGET_MS}: ${lat.p99Ms <= P99_TARGET_MS ? 'met' : 'missed'}`,
        );
        const a = lat.accept;
        row(
          `latency read -> accept, ms, p50 / p99 / max, \`outbox.sync: ${sync}\` (the same reads, from the hand-over to the pipeline until its read() resolved: the event appended${sync === 'batch' ? ' and fsynced with its group commit' : ', fsynced later on the interval'})`,
          `${ms(a.p50)} / ${ms(a.p99)} / ${ms(a.max)}`,
          '',
          `p99 at ${ratio(a.p99 / P99_TARGET_MS)} x target`,
          `p99 <= ${P99_TARGET_MS}: ${a.p99 <= P99_TARGET_MS ? 'met' : 'missed'}`,
        );
        const f = lat.fdatasync;
        if (f)
          row(
            `the disk's fdatasync, ms, p50 / p99 / max (${fmt(f.count)} appends of 1 KB to a file beside the outbox, each followed by fdatasync, before the run)`,
            `${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}`,
          );
      });
    }

    // The web console on with a live feed taken, against the console off, at the same offered rate.
    await section('console', async () => {
      const options = { url, rate: RATE, seconds: CONSOLE_S, warmupS: 2 };
      const pairs = await alternate(
        PAIRS,
        () => runPhase<ConsoleResult>('console', { ...options, console: true }),
        () => runPhase<ConsoleResult>('console', { ...options, console: false }),
      );
      pairRows(
        `the web console's cost: the whole gateway at ${fmt(RATE)} reads/s offered for ${CONSOLE_S} s after 2 s warm-up (simulator, half RFID on two antennas, 2 reads a unit, 1 % noise -> MQTT QoS 1, Mosquitto), the console on with one live feed read and parsed like a browser by a process of its own; figures per read`,
        'the console off, same reads',
        summarize(pairs),
        { rate: CONSOLE_TARGET, cpu: CONSOLE_TARGET },
      );
      row(
        'live feed with the console on: messages parsed per run (one a second), lowest of the pairs / KB a message, highest',
        fmt(Math.min(...pairs.map((p) => p.ours.messages))),
        fmt(Math.max(...pairs.map((p) => p.ours.bytes / p.ours.messages / 1024))),
      );
    });

    await section('backlog', async () => {
      const bl = await runPhase<BacklogResult>(
        'backlog',
        { url, inflight: WINDOW, n: BACKLOG, pairs: PAIRS },
        DAEMON_LAUNCH,
      );
      row(
        'backlog fill, events/s (reads -> pipeline -> outbox, fsync per group commit, uplink down)',
        fmt(bl.fillPerSecond),
      );
      pairRows(
        `backlog drain (${fmt(BACKLOG)} events stored while the uplink was down, drained in ${bl.drain.length} parts of ${fmt(BACKLOG / bl.drain.length)}, the uplink reconnecting for each; window ${WINDOW}, Mosquitto)`,
        'raw mqtt.js QoS 1, same window, same events, own process',
        summarize(bl.drain),
        { rate: DRAIN_TARGET },
      );
      const peak = bl.peakRssMb / RSS_TARGET_MB;
      row(
        'backlog RSS, MB: max sampled during fill / during drain / kernel peak (VmHWM) of the process doing it',
        `${fmt(bl.fillRssMb)} / ${fmt(bl.drainRssMb)} / ${fmt(bl.peakRssMb)}`,
        '',
        `peak at ${ratio(peak)} x target`,
        `<= ${RSS_TARGET_MB} throughout: ${peak <= 1 ? 'met' : 'missed'}`,
      );
      const anon = Math.max(bl.fillAnonMb, bl.drainAnonMb) / ANON_TARGET_MB;
      row(
        'of that, the process own memory (RssAnon; the rest is mapped LevelDB table files), MB: max during fill / during drain',
        `${fmt(bl.fillAnonMb)} / ${fmt(bl.drainAnonMb)}`,
        '',
        `max at ${ratio(anon)} x target`,
        `<= ${ANON_TARGET_MB} throughout: ${anon <= 1 ? 'met' : 'missed'}`,
      );
      row(
        `backlog disk bytes per event (du of the LevelDB dir after the fill; events of ${fmt(bl.payloadBytes)} bytes)`,
        fmt(bl.diskBytesPerEvent),
      );
      row(
        'backlog drain: mapped LevelDB table files (RssFile) max during the drain / the outbox on disk once drained and compacted, MB',
        `${fmt(bl.drainFileMb)} / ${fmt(bl.diskAfterDrainMb)}`,
      );
      row(
        "backlog drain: CPU µs per event drained, main thread / the other threads (V8's helpers, libuv's pool, LevelDB's background thread; each that worked, in the order they were made), all parts",
        threadShares(bl.drainThreadsUs),
      );
    });

    // The same backlog on a small box: its process in a memory cgroup from its first instruction,
    // the ceiling's process outside it.
    await section(`backlog in a ${CGROUP_MIB} MiB memory cgroup`, async () => {
      const cgroup = createMemoryCgroup(CGROUP_MIB * MiB, 'bench-backlog');
      let rssMax = 0;
      const sampler = setInterval(() => {
        rssMax = Math.max(rssMax, cgroup.usage().rssBytes);
      }, 100);
      let bl: BacklogResult;
      try {
        bl = await runPhase<BacklogResult>(
          'backlog',
          { url, inflight: WINDOW, n: BACKLOG, pairs: PAIRS, ceilingCgroup: ownMemoryCgroup() },
          { ...DAEMON_LAUNCH, launcher: cgroup.launcher },
        );
      } catch (err) {
        const u = cgroup.usage();
        throw new Error(`${(err as Error).message} (cgroup: oom_kill ${u.oomKills}, failcnt ${u.failcnt})`);
      } finally {
        clearInterval(sampler);
      }
      const u = cgroup.usage();
      await cgroup.remove();
      const inCgroup = `in a ${CGROUP_MIB} MiB memory cgroup`;
      row(`backlog fill ${inCgroup}, events/s`, fmt(bl.fillPerSecond));
      pairRows(
        `backlog drain ${inCgroup} (${fmt(BACKLOG)} events, ${bl.drain.length} parts as above; the ceiling's process outside the cgroup)`,
        'raw mqtt.js QoS 1, same window, same events, own process',
        summarize(bl.drain),
        { rate: DRAIN_TARGET },
      );
      row(
        `backlog ${inCgroup}: cgroup peak MB (page cache included, which the kernel reclaims at the limit) / failcnt (times the limit was hit) / oom_kill`,
        `${fmt(u.peakBytes / 1048576)} / ${fmt(u.failcnt)} / ${u.oomKills}`,
        '',
        '',
        `no OOM kill: ${u.oomKills === 0 ? 'met' : 'missed'}`,
      );
      row(
        `backlog ${inCgroup}: cgroup RSS max (sampled every 100 ms) / the process own memory (RssAnon) max during fill / during drain, MB`,
        `${fmt(rssMax / 1048576)} / ${fmt(bl.fillAnonMb)} / ${fmt(bl.drainAnonMb)}`,
      );
    });

    await section('fleet-mosquitto', () => fleetMosquitto(url));

    if (PROFILE)
      await section('profile of a gateway run', async () => {
        mkdirSync(PROFILE, { recursive: true });
        const before = new Set(readdirSync(PROFILE));
        const run = await runPhase<GatewayResult>(
          'gateway',
          { url, n: N, inflight: WINDOW },
          { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] },
        );
        const file = readdirSync(PROFILE).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
        if (!file) throw new Error(`no new .cpuprofile in ${PROFILE}`);
        const path = join(PROFILE, file);
        const mainUs = Number.isFinite(run.mainUs) ? ` --main-us ${run.mainUs}` : '';
        const window = `--events ${N} --from ${run.fromUs} --to ${run.toUs}${mainUs}`;
        row(
          `CPU profile of one more gateway run (${fmt(N)} events, outside the pairs; under the profiler: events/s, process CPU µs per event): ${path}, summarised below the table (\`node dist/test/bench/profile-summary.js ${path} ${window}\`)`,
          `${fmt(run.perSecond)}, ${run.cpuUs.toFixed(1)} (${run.mainUs.toFixed(1)})`,
        );
        const profile = JSON.parse(readFileSync(path, 'utf8'));
        profileSummary = formatSummary(
          summarizeProfile(profile, { events: N, fromUs: run.fromUs, toUs: run.toUs, mainUs: run.mainUs }),
        );
      });
  } finally {
    await broker.stop();
  }
}

await section('fleet-rabbitmq', fleetRabbitCluster);

for (const sync of ['batch', 'interval'] as const) {
  await section(`outbox, sync: ${sync}`, async () => {
    let bytesPerEvent = Number.NaN;
    const pairs = await alternate(
      PAIRS,
      async () => {
        const ours = await benchLevelOutbox(OUTBOX, sync);
        bytesPerEvent = ours.bytesPerEvent;
        return ours;
      },
      () => benchRawLevel(OUTBOX, sync),
    );
    const how = sync === 'batch' ? 'fsync per group commit' : 'no fsync per write';
    pairRows(
      `outbox append + drain (LevelDB, \`sync: ${sync}\`, ${fmt(OUTBOX)} events a run, in the bench process)`,
      `raw level batch put + drain, ${how}`,
      summarize(pairs),
    );
    if (sync === 'batch') row('outbox disk bytes per event', fmt(bytesPerEvent));
  });
}

// RFID reads through the driver and smoothing, and the memory of a tracked unit.
await section('RFID', async () => {
  const rfid = await runPhase<RfidResult>('rfid', { tags: RFID_TAGS, cycleMs: 10, seconds: 5 });
  const perCore = rfid.readsPerSecond / rfid.cpuShare;
  row(
    `raw tag reads/s, ThingMagic driver over a socat PTY -> decode -> smoothing at a two-zone dock door (${fmt(RFID_TAGS)} tags on 2 antennas, module simulator in its own process; CPU share of the gateway process in brackets)`,
    `${fmt(rfid.readsPerSecond)} (${rfid.cpuShare.toFixed(2)} of a core: ${fmt(perCore)} per core-second)`,
    '',
    ratio(perCore / 50_000),
    `50,000 on one core: ${perCore >= 50_000 ? 'met' : 'missed'}`,
  );
});
// A capture of a busy dock door replayed (readpoint replay), against the capture's own length.
await section('replay', async () => {
  const r = await runPhase<ReplayBenchResult>('replay', { seconds: REPLAY_S, tags: 200, runs: PAIRS });
  const speed = r.captureS / r.inProcessS;
  row(
    `replay of a busy dock door capture, times real time (${fmt(r.reads)} reads in ${r.captureS} s, ${fmt(r.bytes / MiB)} MiB: a pallet of 200 cases every 12 s on 4 antennas; ${fmt(r.events)} events; decode, smoothing and event bytes in one process, median of ${PAIRS}; reads/s and CPU µs per read in brackets)`,
    `${fmt(speed)}x (${fmt(r.reads / r.inProcessS)} reads/s, ${r.cpuUsPerRead.toFixed(1)} µs)`,
    '',
    ratio(speed / 50),
    `>= 50x real time: ${speed >= 50 ? 'met' : 'missed'}`,
  );
  const cli = r.captureS / r.cliS;
  row(
    `readpoint replay --json > /dev/null, the same capture end to end (Node's start and every event printed), times real time, median of ${PAIRS}`,
    `${fmt(cli)}x (${r.cliS.toFixed(2)} s)`,
    '',
    ratio(cli / 50),
    `>= 50x real time: ${cli >= 50 ? 'met' : 'missed'}`,
  );
  row(
    `capture ring (readers[].capture) on the read path: CPU µs per read to keep it (16 MiB ring, the same reads), median of ${PAIRS}`,
    r.ringUsPerRead.toFixed(2),
  );
});
await section('memory per tracked unit', async () => {
  const memory = await runPhase<UnitMemoryResult>('unit-memory', { units: 100_000 });
  row(
    `memory per tracked unit, bytes of heap and array buffers (${fmt(memory.units)} SGTIN-96 tags in open passes, after a full GC)`,
    fmt(memory.bytesPerUnit),
  );
});

await section('holds index', async () => {
  const h = await runPhase<HoldIndexResult>('hold-index', { entries: HOLDS });
  row(
    `hold index, bytes per entry: its typed arrays / array buffers grown while it was built, after a full GC (${fmt(h.entries)} entries; their text stays in LevelDB)`,
    `${h.indexBytesPerEntry.toFixed(1)} / ${h.memoryBytesPerEntry.toFixed(1)}`,
  );
  row(
    `hold lookups/s, one core, ${fmt(h.entries)} entries: units not held / units held (each a hit)`,
    `${fmt(h.lookupsPerSecond)} / ${fmt(h.hitLookupsPerSecond)}`,
  );
});

// Decoding alone, in a fresh process: one core, a heap of its own.
await section('decodes', async () => {
  for (const r of await runPhase<DecodeRate[]>('identity', {})) {
    row(
      `decodes/s: ${r.name} (one core, own process; best 200 ms window, median in brackets)`,
      `${fmt(r.perSecond)} (${fmt(r.median)})`,
      '',
      ratio(r.perSecond / 500_000),
      `500,000: ${r.perSecond >= 500_000 ? 'met' : 'missed'}`,
    );
  }
});

if (profileSummary)
  console.log(`\nCPU profile of the gateway run, main thread, self time:\n\n${profileSummary}`);
if (failed() > 0) console.error(`\n${failed()} bench section(s) failed: see their rows.`);
process.exit(failed() > 0 ? 1 : 0);
