/**
 * Events/s from driver input to PUBACK: the whole gateway in this process (simulator reader at
 * full rate -> identity -> smoothing -> recorder -> LevelDB outbox -> dispatcher -> mqtt.js) to
 * a real broker, timed from the first read to the PUBACK of the last event, with the CPU time it
 * took. Run in a process of its own (phase.ts), so the CPU and RSS are this work's alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.js';
import { Gateway } from '../../daemon/gateway.js';
import { silentLogger } from '../../daemon/log.js';
import { type CpuMark, cpuMark, type RunMeasured, runMeasuredSince, warmUpEvents } from './cpu.js';
import { anonMb, copyHoldStore } from './holds.js';

export interface GatewayResult extends RunMeasured {
  /** Peak RSS of the process during the run, MB. */
  readonly rssMb: number;
  /**
   * The measured run on the monotonic clock of process.hrtime, µs: the clock of a .cpuprofile's
   * timestamps, so a profile of the run can be cut to it (profile-summary.ts).
   */
  readonly fromUs: number;
  readonly toUs: number;
  /** The most of the process's own memory (RssAnon) sampled during the run, MB. */
  readonly anonMb?: number;
}

const hrUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * With `holds`, the gateway runs with holds on (a `holds` section), its hold list copied from
 * `holds.template` (a data dir made by holds.ts) when given; loading the list is part of the
 * start, which is not counted (on either side of a pair).
 */
export async function benchGateway(o: {
  url: string;
  n: number;
  inflight: number;
  holds?: { template?: string };
  /** Keep the where-is index (a `where` section), with this maxUnits when given. */
  where?: { maxUnits?: number };
}): Promise<GatewayResult> {
  const { url, n, inflight } = o;
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-'));
  if (o.holds?.template) copyHoldStore(o.holds.template, join(dir, 'data'));
  const config = parseConfig(
    `gateway: { id: bench, site: bench }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink: { url: "${url}", inflight: ${inflight}, healthIntervalS: 3600 }
readPoints: [{ id: line-1, bizStep: shipping }]
${o.holds ? 'holds: { upstream: false }\n' : ''}${o.where ? `where: { ${o.where.maxUnits ? `maxUnits: ${o.where.maxUnits}` : ''} }\n` : ''}readers:
  - { id: sim, driver: simulator, readPoint: line-1, readsPerSecond: 100000, units: ${n}, repeats: 1, garbageShare: 0, epcShare: 0.5, limit: ${n} }
`,
    'bench.yaml',
  );
  const gateway = new Gateway(config, silentLogger());
  // Counted from the end of the start (the uplink connected, the reader added; its first read
  // comes on a timer after), as raw mqtt.js counts from its connection: what a read costs, not
  // what opening the store, loading modules and connecting cost once.
  await gateway.start();
  const fromUs = hrUs();
  const started = cpuMark();
  let rss = 0;
  let anon = anonMb();
  // The steady state starts at the first look that finds the warm-up share acknowledged; the
  // events it counts are those acknowledged after that look, so the look's lateness costs nothing.
  let warm: CpuMark | undefined;
  let warmEvents = 0;
  try {
    for (;;) {
      const h = gateway.health();
      rss = Math.max(rss, process.memoryUsage.rss());
      anon = Math.max(anon, anonMb());
      if (h && warm === undefined && h.events.published >= warmUpEvents(n)) {
        warm = cpuMark();
        warmEvents = h.events.published;
      }
      if (h && h.events.published >= n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const measured = runMeasuredSince(started, warm ?? started, warmEvents, n);
    return { ...measured, rssMb: rss / 1048576, anonMb: anon, fromUs, toUs: hrUs() };
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
