/**
 * The fleet bench's node kill: N gateways publishing into a RabbitMQ cluster, spread over its
 * nodes, and a QoS 1 consumer on another node; one node is SIGKILLed mid-stream. Measured: for
 * each gateway that was on the killed node, the time from the kill until its next PUBACK (its
 * stall); and, once every gateway has drained, whether the consumer received every event the
 * broker acknowledged (events lost) and how many twice (resent in-flight windows).
 */
import { type Collector, collect } from '../support/mqtt-collector.js';
import type { RabbitCluster } from '../support/rabbitmq.js';
import { type FleetOptions, merge, startFleet } from './fleet.js';
import { FLEET_EVENTS } from './fleet-consumer.js';
import { epochMs } from './fleet-gateway.js';
import type { GatewayReport } from './fleet-gateways.js';
import { sequenceOf } from './path.js';
import { percentile } from './percentile.js';

export interface NodeKillResult {
  readonly gateways: number;
  /** Gateways on the killed node when it died. */
  readonly onNode: number;
  /** Their stalls, kill -> next PUBACK, ms: median and max; NaN where one never resumed. */
  readonly stallMedianMs: number;
  readonly stallMaxMs: number;
  /** Every stall, ms, lowest first. */
  readonly stallsMs: readonly number[];
  /** Gateways on the other nodes that lost their connection too, and their longest PUBACK latency after the kill, ms. */
  readonly othersDropped: number;
  readonly othersWorstMs: number;
  /** PUBACK latency, all gateways, from the kill until the end of the run, ms. */
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Events the broker acknowledged, the consumer's count of them, and those it never received. */
  readonly acked: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicates: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function fleetNodeKill(
  cluster: RabbitCluster,
  o: Omit<FleetOptions, 'nodes'> & { victim: number; beforeMs: number; afterMs: number },
): Promise<NodeKillResult> {
  const watcher = cluster.nodes.findIndex((_, i) => i !== o.victim);
  const consumer = await collect(cluster.urls[watcher]!, FLEET_EVENTS);
  const procs = await startFleet({ ...o, nodes: cluster.urls });
  try {
    const t0 = epochMs() + 50;
    for (const p of procs) p.go(t0);
    await sleep(o.beforeMs);
    const before = await Promise.all(procs.map((p) => p.report(t0, epochMs())));
    const onVictim = new Set(
      before.flatMap((r) => r.gateways.filter((g) => g.node === o.victim).map((g) => g.id)),
    );
    const killAt = epochMs();
    await cluster.nodes[o.victim]!.kill();
    for (const p of procs) p.mark();
    // Until each gateway of the killed node has its next PUBACK, then afterMs more (at most 60 s).
    const resumed = (gateways: readonly GatewayReport[]) =>
      gateways
        .filter((g) => onVictim.has(g.id))
        .every((g) => g.outages.some((x) => x.downAt >= killAt && x.resumedAt > 0));
    const deadline = killAt + 60_000;
    let gateways: GatewayReport[] = [];
    do {
      await sleep(250);
      gateways = (await Promise.all(procs.map((p) => p.report(killAt, killAt)))).flatMap((r) => r.gateways);
    } while (!resumed(gateways) && epochMs() < deadline);
    await sleep(o.afterMs);
    const end = epochMs();
    gateways = (await Promise.all(procs.map((p) => p.report(killAt, killAt)))).flatMap((r) => r.gateways);
    const after = merge(await Promise.all(procs.map((p) => p.report(killAt, end))), end - killAt);
    const drained = (await Promise.all(procs.map((p) => p.drain(30_000)))).flat();
    const undrained = drained.filter((g) => g.acked !== g.offered);
    if (undrained.length > 0)
      throw new Error(
        `${undrained.length} gateways did not drain within 30 s of the end (${undrained[0]!.id}: ${undrained[0]!.acked} of ${undrained[0]!.offered} acknowledged)`,
      );
    const stalls = drained
      .filter((g) => onVictim.has(g.id))
      .map((g) => {
        const outage = g.outages.find((x) => x.downAt >= killAt);
        return outage && outage.resumedAt > 0 ? outage.resumedAt - killAt : Number.POSITIVE_INFINITY;
      })
      .sort((a, b) => a - b);
    const othersDropped = drained.filter(
      (g) => !onVictim.has(g.id) && g.outages.some((x) => x.downAt >= killAt),
    ).length;
    const othersWorstMs = Math.max(...gateways.filter((g) => !onVictim.has(g.id)).map((g) => g.worstMs));
    const check = await received(consumer, drained);
    return {
      gateways: o.gateways,
      onNode: onVictim.size,
      stallMedianMs: percentile(stalls, 0.5),
      stallMaxMs: stalls.at(-1) ?? Number.NaN,
      stallsMs: stalls,
      othersDropped,
      othersWorstMs,
      p99Ms: after.p99Ms,
      maxMs: after.maxMs,
      ...check,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await consumer.close();
  }
}

/**
 * What the consumer got of the acknowledged events 1..acked of every gateway: it is waited for
 * until it has them all or has received nothing new for 10 s.
 */
async function received(consumer: Collector, gateways: readonly GatewayReport[]) {
  const acked = gateways.reduce((n, g) => n + g.acked, 0);
  const seen = new Map(gateways.map((g) => [g.id, new Uint8Array(g.acked + 1)]));
  let unique = 0;
  let duplicates = 0;
  let read = 0;
  let quietSince = epochMs();
  for (;;) {
    for (; read < consumer.messages.length; read++) {
      const m = consumer.messages[read]!;
      const got = seen.get(m.topic.split('/')[3] ?? '');
      const s = sequenceOf(m.payload);
      if (!got || s < 1 || s >= got.length) continue;
      if (got[s] === 1) duplicates++;
      else {
        got[s] = 1;
        unique++;
      }
      quietSince = epochMs();
    }
    if (unique === acked || epochMs() - quietSince > 10_000) break;
    await sleep(100);
  }
  return { acked, received: unique, lost: acked - unique, duplicates };
}
