/**
 * The fleet bench: N simulated gateways (the daemon's MqttUplink each, fleet-gateway.ts) in one
 * or a few processes of their own, each publishing its events at a fixed rate, QoS 1, into one
 * broker or the nodes of a cluster, spread over the nodes by the order of each one's node list.
 * A step runs N gateways for a warm-up and a measured window; a series runs steps of growing N
 * until one saturates (PUBACK p99 over the limit or fewer events acknowledged than offered).
 */
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../config/load.js';
import { countingConsumer } from './fleet-consumer.js';
import { epochMs, type GatewaySetup } from './fleet-gateway.js';
import type { WindowReport } from './fleet-gateways.js';
import { FleetProcess } from './fleet-process.js';
import { percentiles } from './percentile.js';

export interface FleetOptions {
  /** One broker's URL, or every node of a cluster. */
  readonly nodes: readonly string[];
  readonly gateways: number;
  /** Processes the gateways are spread over. */
  readonly processes: number;
  /** Events per second of each gateway. */
  readonly rate: number;
}

export interface StepOptions extends FleetOptions {
  readonly warmupMs: number;
  readonly measureMs: number;
  /** The broker (node) a subscriber to every gateway's events is connected to during the step; none if absent. */
  readonly consumer?: string;
}

export interface FleetStep {
  readonly gateways: number;
  readonly processes: number;
  readonly offeredPerS: number;
  readonly ackedPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Events offered and not yet acknowledged at the window's end, all gateways. */
  readonly backlog: number;
  /** The busiest gateway process: its CPU share of one core, its event loop's delay p99, ms. */
  readonly generatorCpu: number;
  readonly generatorDelayMs: number;
  /** Until every gateway was connected, ms (processes start together). */
  readonly connectMs: number;
  /** Events/s the subscriber received in the window (NaN without one). */
  readonly deliveredPerS: number;
}

/** The uplink settings every simulated gateway takes: the daemon's defaults. */
export function uplinkDefaults(): Pick<GatewaySetup, 'keepaliveS' | 'inflight' | 'retry'> {
  const config = parseConfig(
    `gateway: { id: fleet-gw, site: fleet }
dataDir: /nonexistent
broker: { enabled: false }
uplink: { url: "mqtt://127.0.0.1:1883" }
readPoints: [{ id: dock-1 }]
readers: [{ id: sim, driver: simulator, readPoint: dock-1 }]
`,
    'fleet.yaml',
  );
  const u = config.uplink;
  return { keepaliveS: u.keepaliveS, inflight: u.inflight, retry: u.retry };
}

/** N gateways, node list of gateway i starting at node i mod nodes (a fleet's url lists spread so). */
export function fleetSetups(nodes: readonly string[], count: number): GatewaySetup[] {
  const run = randomBytes(3).toString('hex');
  const defaults = uplinkDefaults();
  return Array.from({ length: count }, (_, i) => {
    const id = `gw-${String(i + 1).padStart(3, '0')}`;
    const first = i % nodes.length;
    return {
      id,
      nodes: [...nodes.slice(first), ...nodes.slice(0, first)],
      firstNode: first,
      clientId: `rp-fleet-${run}-${id}`,
      ...defaults,
    };
  });
}

/** The gateways forked into `processes` processes, each resolved once all its gateways are up. */
export async function startFleet(o: FleetOptions): Promise<FleetProcess[]> {
  const setups = fleetSetups(o.nodes, o.gateways);
  const per = Math.ceil(setups.length / o.processes);
  const started = await Promise.allSettled(
    Array.from({ length: Math.ceil(setups.length / per) }, (_, p) =>
      FleetProcess.start({
        gateways: setups.slice(p * per, (p + 1) * per),
        rate: o.rate,
        offset: p * per,
        fleet: setups.length,
        connectTimeoutMs: 60_000,
      }),
    ),
  );
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(ok.map((p) => p.stop()));
    throw (failure as PromiseRejectedResult).reason;
  }
  return ok;
}

/** Every process's report of one window, merged. */
export function merge(reports: readonly WindowReport[], windowMs: number) {
  const lat = percentiles(Float64Array.from(reports.flatMap((r) => r.latencies)));
  return {
    offeredPerS: (reports.reduce((n, r) => n + r.offered, 0) * 1000) / windowMs,
    ackedPerS: (reports.reduce((n, r) => n + r.acked, 0) * 1000) / windowMs,
    p50Ms: lat.p50,
    p99Ms: lat.p99,
    maxMs: lat.max,
    backlog: reports.reduce((n, r) => n + r.backlog, 0),
    generatorCpu: Math.max(...reports.map((r) => r.cpuMs / r.wallMs)),
    generatorDelayMs: Math.max(...reports.map((r) => r.loopDelayP99Ms)),
  };
}

const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - epochMs())));

/** One step: N gateways connect, publish for warmupMs, then for measureMs, measured. */
export async function fleetStep(o: StepOptions): Promise<FleetStep> {
  const consumer = o.consumer ? await countingConsumer(o.consumer) : undefined;
  try {
    const procs = await startFleet(o);
    try {
      const t0 = epochMs() + 50;
      for (const p of procs) p.go(t0);
      const from = t0 + o.warmupMs;
      const to = from + o.measureMs;
      await until(from);
      for (const p of procs) p.mark();
      const receivedFrom = consumer?.received ?? Number.NaN;
      await until(to);
      const received = (consumer?.received ?? Number.NaN) - receivedFrom;
      const reports = await Promise.all(procs.map((p) => p.report(from, to)));
      return {
        gateways: o.gateways,
        processes: procs.length,
        connectMs: Math.max(...procs.map((p) => p.connectMs)),
        deliveredPerS: (received * 1000) / o.measureMs,
        ...merge(reports, o.measureMs),
      };
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  } finally {
    await consumer?.close();
  }
}

/**
 * Whether a step is past what the broker absorbs: PUBACK p99 at the limit, under 95% of the events
 * acknowledged, or (with a consumer) under 95% of those delivered: a queue growing at the broker.
 */
export function saturated(step: FleetStep, p99LimitMs: number): boolean {
  const behind = (done: number, of: number) => done < 0.95 * of;
  return (
    !(step.p99Ms < p99LimitMs) ||
    behind(step.ackedPerS, step.offeredPerS) ||
    (!Number.isNaN(step.deliveredPerS) && behind(step.deliveredPerS, step.ackedPerS))
  );
}

/**
 * Steps of growing N (each reported through onStep as it is measured) until one saturates;
 * resolves with the largest N absorbed (p99 under the limit), 0 if none.
 */
export async function fleetSeries(
  o: Omit<StepOptions, 'gateways'> & { steps: readonly number[]; p99LimitMs: number },
  onStep: (step: FleetStep) => void,
): Promise<{ absorbed: number; saturatedAt?: FleetStep }> {
  let absorbed = 0;
  for (const gateways of o.steps) {
    const step = await fleetStep({ ...o, gateways });
    onStep(step);
    if (saturated(step, o.p99LimitMs)) return { absorbed, saturatedAt: step };
    absorbed = gateways;
  }
  return { absorbed };
}
