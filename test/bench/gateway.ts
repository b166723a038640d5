/**
 * Events/s from driver input to PUBACK: the whole gateway in this process (simulator reader at
 * full rate -> identity -> smoothing -> recorder -> LevelDB outbox -> dispatcher -> mqtt.js) to
 * a real broker, timed from the first read to the PUBACK of the last event, with the CPU time it
 * took. Run in a process of its own (phase.ts), so the CPU and RSS are this work's alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.js';
import { Gateway } from '../../daemon/gateway.js';
import { silentLogger } from '../../daemon/log.js';
import { cpuMark, type Measured, measuredSince } from './cpu.js';

export interface GatewayResult extends Measured {
  /** Peak RSS of the process during the run, MB. */
  readonly rssMb: number;
  /** Of it, the process's own memory (RssAnon: heap, native allocations) at most, MB (sampled). */
  readonly anonMb: number;
  /**
   * The measured run on the monotonic clock of process.hrtime, µs: the clock of a .cpuprofile's
   * timestamps, so a profile of the run can be cut to it (profile-summary.ts).
   */
  readonly fromUs: number;
  readonly toUs: number;
}

/** RssAnon of this process, bytes (from /proc/self/status). */
function rssAnonBytes(): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

const hrUs = () => Number(process.hrtime.bigint() / 1000n);

export async function benchGateway(o: {
  url: string;
  n: number;
  inflight: number;
  /** Keep the where-is index (a `where` section with its defaults). */
  where?: boolean;
  /** With `where`: its maxUnits (default: the config's default). */
  whereUnits?: number;
}): Promise<GatewayResult> {
  const { url, n, inflight } = o;
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-'));
  const config = parseConfig(
    `gateway: { id: bench, site: bench }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink: { url: "${url}", inflight: ${inflight}, healthIntervalS: 3600 }
readPoints: [{ id: line-1, bizStep: shipping }]
readers:
  - { id: sim, driver: simulator, readPoint: line-1, readsPerSecond: 100000, units: ${n}, repeats: 1, garbageShare: 0, epcShare: 0.5, limit: ${n} }
${o.where ? `where: { ${o.whereUnits ? `maxUnits: ${o.whereUnits}` : ''} }\n` : ''}`,
    'bench.yaml',
  );
  const gateway = new Gateway(config, silentLogger());
  const fromUs = hrUs();
  const started = cpuMark();
  await gateway.start();
  let rss = 0;
  let anon = 0;
  try {
    for (;;) {
      const h = gateway.health();
      rss = Math.max(rss, process.memoryUsage().rss);
      anon = Math.max(anon, rssAnonBytes());
      if (h && h.events.published >= n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      ...measuredSince(started, n),
      rssMb: rss / 1048576,
      anonMb: anon / 1048576,
      fromUs,
      toUs: hrUs(),
    };
  } finally {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
