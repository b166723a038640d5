/**
 * A backlog after an outage: `n` reads go through the pipeline (decode, smoothing, real EPCIS
 * events of about 700 bytes, group commits with the default fsync per batch) into the outbox
 * while there is no uplink, as during a broker outage; then the uplink connects and the
 * dispatcher drains the outbox to the broker in `pairs` parts, each beside raw mqtt.js sending
 * as many of the same events in a process of its own, alternately (the uplink disconnects
 * between parts, as after a lost connection). Reports the fill rate, each part's drain rate and
 * CPU time per event beside the raw run's, the disk bytes
 * per event (du of the LevelDB directory after the fill) and the RSS of this process, sampled
 * every 100 ms through both phases, and its peak as the kernel counted it (VmHWM).
 *
 * Run it in a process of its own (test/bench/phase.ts): the RSS is then this work's alone. The
 * bench also runs it inside a memory cgroup, with the ceiling's process outside it
 * (`ceilingCgroup`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../daemon/log.js';
import { Handover } from '../../drivers/handover.js';
import { launcherInto } from '../support/memory-cgroup.js';
import { cpuMark, type Measured, measuredSince } from './cpu.js';
import { diskUsage } from './disk.js';
import { alternate, type Pair } from './pairs.js';
import { conveyorRead, openPath, within } from './path.js';
import { runPhase } from './spawn-phase.js';
import { threadMark, ticksByThread } from './threads.js';

export interface BacklogResult {
  readonly events: number;
  readonly fillPerSecond: number;
  /** The drain's parts, each beside raw mqtt.js with as many of the same events. */
  readonly drain: Pair[];
  /** Allocated bytes of the outbox directory after the fill (as du counts), per event. */
  readonly diskBytesPerEvent: number;
  /** Serialized event bytes, mean (of one in 256 published). */
  readonly payloadBytes: number;
  readonly fillRssMb: number;
  readonly drainRssMb: number;
  /** The kernel's peak RSS of this process (VmHWM), MB. */
  readonly peakRssMb: number;
  /**
   * Of the RSS, the process's own memory (RssAnon: heap, native allocations) at most during the
   * fill and the drain, MB. The rest is RssFile: pages of LevelDB's table files that it maps to
   * read them, page cache the kernel takes back under pressure.
   */
  readonly fillAnonMb: number;
  readonly drainAnonMb: number;
  /** Of drainAnonMb, the highest once every event was acknowledged, while the store is compacted. */
  readonly drainedAnonMb: number;
  /** RssFile (mapped LevelDB table files) at most during the drain, MB. */
  readonly drainFileMb: number;
  /** Allocated bytes of the outbox directory once drained (as du counts), MB. */
  readonly diskAfterDrainMb: number;
  /**
   * CPU µs per event drained by thread, over the drain's parts: `main`, V8's helpers, libuv's
   * pool, LevelDB's background thread, each by the name the kernel gives it (threads.ts).
   */
  readonly drainThreadsUs: Record<string, number>;
}

/** RssAnon or RssFile of this process, bytes (from /proc/self/status). */
function rssOf(kind: 'Anon' | 'File'): number {
  const m = new RegExp(`Rss${kind}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Reads pending in the pipeline at most during the fill: eight readers' Handover windows. */
const FILL_WINDOW = 512;

function vmHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function benchBacklog(o: {
  url: string;
  inflight: number;
  n: number;
  pairs?: number;
  /**
   * The memory cgroup the raw mqtt.js ceiling runs in (a directory under the controller), when
   * this process runs in one with a limit the ceiling must not share.
   */
  ceilingCgroup?: string;
}): Promise<BacklogResult> {
  const parts = Math.max(1, Math.min(o.pairs ?? 1, o.n));
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-backlog-'));
  const seen = new Uint8Array(o.n + 1);
  let distinct = 0;
  // The part under way ends when `distinct` reaches `until`.
  let until = Number.POSITIVE_INFINITY;
  let partDone: () => void = () => {};
  const path = await openPath({
    url: o.url,
    dataDir: join(dir, 'data'),
    inflight: o.inflight,
    maxEvents: Math.max(1_000_000, o.n + 1),
    maxBytes: Math.max(1 << 30, o.n * 2048),
    onPuback: (seq) => {
      if (seen[seq] === 1) return;
      seen[seq] = 1;
      if (++distinct >= until) partDone();
    },
  });
  const rss = { fill: 0, drain: 0, drained: 0 };
  const anon = { fill: 0, drain: 0, drained: 0 };
  const file = { fill: 0, drain: 0, drained: 0 };
  let phase: 'fill' | 'drain' | 'drained' = 'fill';
  const sampler = setInterval(() => {
    rss[phase] = Math.max(rss[phase], process.memoryUsage.rss());
    anon[phase] = Math.max(anon[phase], rssOf('Anon'));
    file[phase] = Math.max(file[phase], rssOf('File'));
  }, 100);
  const threadTicks: Record<string, number> = {};
  try {
    const handover = new Handover(path.pipeline, silentLogger(), FILL_WINDOW);
    const t = performance.now();
    for (let i = 0; i < o.n; i++) await handover.push(conveyorRead(i));
    await handover.drain();
    const fillSeconds = (performance.now() - t) / 1000;
    const c = path.pipeline.counters;
    if (c.events !== o.n) throw new Error(`backlog bench: ${c.events} events stored of ${o.n} reads`);
    const depth = path.outbox.stats().depth;
    if (depth !== o.n) throw new Error(`backlog bench: outbox depth ${depth} after ${o.n} events`);
    const diskBytes = diskUsage(path.outboxDir).allocated;

    phase = 'drain';
    const ours = async (part: number): Promise<Measured> => {
      const from = distinct;
      until = Math.round(((part + 1) * o.n) / parts);
      const done = new Promise<void>((resolve) => {
        partDone = resolve;
      });
      if (distinct >= until) partDone();
      const threads = threadMark();
      const start = cpuMark();
      await path.connect();
      await within(
        done,
        1_800_000,
        () => `backlog bench: ${distinct} of ${until} acknowledged within 30 min`,
      );
      const measured = measuredSince(start, distinct - from);
      for (const [name, ticks] of Object.entries(ticksByThread(threads, threadMark())))
        threadTicks[name] = (threadTicks[name] ?? 0) + ticks;
      if (part < parts - 1) await path.disconnect();
      return measured;
    };
    const events = (part: number) =>
      Math.round(((part + 1) * o.n) / parts) - Math.round((part * o.n) / parts);
    const ceiling = (part: number) =>
      runPhase<Measured>(
        'raw-mqtt',
        { url: o.url, n: events(part), window: o.inflight, events: 1000 },
        o.ceilingCgroup ? { launcher: launcherInto(o.ceilingCgroup) } : {},
      );
    // A pair is a part of the drain (in order) and its ceiling.
    const drain = await alternate(parts, ours, ceiling);
    if (distinct !== o.n)
      throw new Error(`backlog bench: ${distinct} distinct events acknowledged of ${o.n}`);
    // As the daemon leaves it: the compaction a drained backlog asks for has run.
    phase = 'drained';
    await path.drained();
    const diskAfter = diskUsage(path.outboxDir).allocated;
    const drainThreadsUs: Record<string, number> = {};
    for (const [name, ticks] of Object.entries(threadTicks))
      drainThreadsUs[name] = Math.round((ticks * 10_000 * 100) / o.n) / 100;
    return {
      events: o.n,
      fillPerSecond: o.n / fillSeconds,
      drain,
      diskBytesPerEvent: diskBytes / o.n,
      payloadBytes: path.payloadBytes(),
      fillRssMb: rss.fill / 1048576,
      drainRssMb: Math.max(rss.drain, rss.drained) / 1048576,
      peakRssMb: vmHwmMb(),
      fillAnonMb: anon.fill / 1048576,
      drainAnonMb: Math.max(anon.drain, anon.drained) / 1048576,
      drainFileMb: Math.max(file.drain, file.drained) / 1048576,
      drainedAnonMb: anon.drained / 1048576,
      diskAfterDrainMb: diskAfter / 1048576,
      drainThreadsUs,
    };
  } finally {
    clearInterval(sampler);
    await path.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
