/**
 * Latency from read to PUBACK at a steady offered rate. A timer-driven feeder hands reads to the
 * pipeline through the drivers' own Handover (drivers/handover.ts, the window every driver uses)
 * at `rate` reads/s: each tick it hands over every read that has come due since the last one
 * (catch-up, so a late timer does not lower the rate). A read's latency runs from the moment it
 * is handed over to the PUBACK of its event. The first `warmupS` seconds are run at the same rate
 * and left out of the figures (the JIT settles; a gateway runs for months).
 *
 * If the path cannot keep up, the Handover's window fills and the feeder waits: reads are then
 * handed over late and their wait before hand-over is not in the latency. So the achieved rate
 * and how far the feeder fell behind its schedule are reported too.
 *
 * Beside read -> PUBACK, read -> accept: from the hand-over to the moment the pipeline's read()
 * resolves, which is when the read is safe (its event appended to the outbox, and under
 * `sync: batch` fsynced with its group commit). With `fdatasyncs`, the disk's own fdatasync is
 * measured first in the same directory (fdatasync.ts), before the path opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../daemon/log.js';
import type { ReadSink } from '../../drivers/driver.js';
import { Handover } from '../../drivers/handover.js';
import { measureFdatasync } from './fdatasync.js';
import { conveyorRead, openPath, within } from './path.js';
import { type Percentiles, percentiles } from './percentile.js';

export interface LatencyResult {
  readonly rate: number;
  readonly seconds: number;
  readonly events: number;
  /** Reads/s handed over in the measured window (from its scheduled start to its last hand-over). */
  readonly achievedRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The most a read was handed over after its scheduled time, ms (timer ticks make ~1 ms normal). */
  readonly maxFeederLagMs: number;
  readonly rssMb: number;
  /** Read -> accept (the pipeline's read() resolved: the read is safe), ms, same reads. */
  readonly accept: Percentiles;
  /** The disk's fdatasync after a 1 KB append, ms, in the outbox's directory (with `fdatasyncs`). */
  readonly fdatasync?: Percentiles;
}

export async function benchLatency(o: {
  url: string;
  inflight: number;
  rate: number;
  seconds: number;
  warmupS: number;
  sync?: 'batch' | 'interval';
  /** fdatasyncs to time on the same disk before the run (none without). */
  fdatasyncs?: number;
}): Promise<LatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-latency-'));
  const fdatasync = o.fdatasyncs ? measureFdatasync(dir, o.fdatasyncs) : undefined;
  const warm = Math.round(o.rate * o.warmupS);
  const total = warm + Math.round(o.rate * o.seconds);
  const handedAt = new Float64Array(total);
  const ackedAt = new Float64Array(total);
  const acceptedAt = new Float64Array(total);
  let acked = 0;
  let allAcked: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allAcked = resolve;
  });
  const path = await openPath({
    url: o.url,
    dataDir: join(dir, 'data'),
    inflight: o.inflight,
    ...(o.sync ? { sync: o.sync } : {}),
    onPuback: (seq) => {
      // A fresh outbox and one pipeline: read i becomes the event numbered i + 1.
      ackedAt[seq - 1] = performance.now();
      if (++acked === total) allAcked();
    },
  });
  let maxLag = 0;
  let rss = 0;
  const sampler = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage.rss());
  }, 100);
  try {
    await path.connect();
    // Reads reach the pipeline in hand-over order, so the k-th call is read k.
    let accepting = 0;
    const pipeline = path.pipeline;
    const sink: ReadSink = {
      read: (read) => {
        const k = accepting++;
        return pipeline.read(read).then(() => {
          acceptedAt[k] = performance.now();
        });
      },
      reject: (reject) => pipeline.reject(reject),
    };
    const handover = new Handover(sink, silentLogger());
    const start = performance.now();
    let i = 0;
    while (i < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * o.rate) / 1000) + 1);
      while (i < due) {
        const read = conveyorRead(i);
        handedAt[i] = performance.now();
        maxLag = Math.max(maxLag, handedAt[i]! - start - (i * 1000) / o.rate);
        await handover.push(read);
        i++;
      }
      const next = start + (i * 1000) / o.rate;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    await within(done, 60_000, () => `latency bench: ${acked} of ${total} PUBACKs within 60 s`);
    const c = path.pipeline.counters;
    if (c.events !== total || c.rejected !== 0 || c.suppressed !== 0)
      throw new Error(`latency bench: ${JSON.stringify(c)} for ${total} reads: reads and events do not pair`);
    const latencies = new Float64Array(total - warm);
    const accepts = new Float64Array(total - warm);
    for (let k = warm; k < total; k++) {
      latencies[k - warm] = ackedAt[k]! - handedAt[k]!;
      accepts[k - warm] = acceptedAt[k]! - handedAt[k]!;
    }
    const toPuback = percentiles(latencies);
    // From the measured window's scheduled start to its last hand-over: a feeder that falls
    // behind shows as a rate below the one offered.
    const span = (handedAt[total - 1]! - (start + (warm * 1000) / o.rate)) / 1000;
    return {
      rate: o.rate,
      seconds: o.seconds,
      events: total - warm,
      achievedRate: (total - warm) / span,
      p50Ms: toPuback.p50,
      p99Ms: toPuback.p99,
      maxMs: toPuback.max,
      maxFeederLagMs: maxLag,
      rssMb: rss / 1048576,
      accept: percentiles(accepts),
      ...(fdatasync ? { fdatasync } : {}),
    };
  } finally {
    clearInterval(sampler);
    await path.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
