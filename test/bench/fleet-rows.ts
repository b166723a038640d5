/**
 * The fleet bench's rows (run.ts, sections `fleet, ...`): a series of growing fleets into one
 * Mosquitto and into a 3-node RabbitMQ cluster, the gateways each absorbs with PUBACK p99 under
 * a second, and the stall when a cluster node is killed.
 *
 * Sizes: BENCH_FLEET_STEPS (gateways per step, default 10,20,40,80,160,320; a series stops at the
 * first step that saturates), BENCH_FLEET_RATE (events/s of each gateway, default 50),
 * BENCH_FLEET_S (seconds measured per step, after 3 s of warm-up; default 5), BENCH_FLEET_PROCS
 * (processes the gateways run in, default 1), BENCH_FLEET_KILL (gateways during the node kill;
 * default half the cluster's largest absorbed step, at least the first step), BENCH_FLEET_CONSUMER
 * (0: no subscriber during the steps; default one QoS 1 subscriber to every gateway's events).
 */
import { startRabbitCluster } from '../support/rabbitmq.js';
import { type FleetStep, fleetSeries, saturated } from './fleet.js';
import { fleetNodeKill } from './fleet-kill.js';
import { conveyorEvents } from './path.js';
import { fmt, row } from './table.js';

const STEPS = (process.env.BENCH_FLEET_STEPS ?? '10,20,40,80,160,320').split(',').map(Number);
const RATE = Number(process.env.BENCH_FLEET_RATE ?? 50);
const MEASURE_S = Number(process.env.BENCH_FLEET_S ?? 5);
const WARMUP_S = 3;
const PROCESSES = Math.max(1, Number(process.env.BENCH_FLEET_PROCS ?? 1));
const P99_LIMIT_MS = 1000;
/** A QoS 1 subscriber to every gateway's events during the steps (on node 2 of the cluster). */
const CONSUMER = process.env.BENCH_FLEET_CONSUMER !== '0';
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const s = (n: number) => (Number.isFinite(n) ? (n / 1000).toFixed(2) : 'never');

/** The sizes the fleet rows run with, for the bench's header line. */
export function fleetSizes(): string {
  return `BENCH_FLEET_STEPS=${STEPS.join(',')} BENCH_FLEET_RATE=${RATE} BENCH_FLEET_S=${MEASURE_S} BENCH_FLEET_PROCS=${PROCESSES} BENCH_FLEET_CONSUMER=${CONSUMER ? 1 : 0}${process.env.BENCH_FLEET_KILL ? ` BENCH_FLEET_KILL=${process.env.BENCH_FLEET_KILL}` : ''}`;
}

function stepRow(broker: string, step: FleetStep): void {
  const bytes = Buffer.byteLength(conveyorEvents(1)[0]!);
  const consumer = CONSUMER ? ' / received by the consumer' : '';
  const delivered = CONSUMER ? ` / ${fmt(step.deliveredPerS)}` : '';
  row(
    `fleet, ${broker}: ${fmt(step.gateways)} gateways x ${RATE} events/s (the daemon's MqttUplink each, own client id and topics, QoS 1, window 100, ${fmt(bytes)}-byte events; ${step.processes} process${step.processes > 1 ? 'es' : ''}; ${WARMUP_S} s warm-up, ${MEASURE_S} s measured): events/s offered / acknowledged${consumer}; PUBACK latency from the event's due time, ms, p50 / p99 / max; not acknowledged at the end`,
    `${fmt(step.offeredPerS)} / ${fmt(step.ackedPerS)}${delivered}; ${ms(step.p50Ms)} / ${ms(step.p99Ms)} / ${ms(step.maxMs)}; ${fmt(step.backlog)}`,
    '',
    `gateway process: ${Math.round(step.generatorCpu * 100)}% of a core, event-loop delay p99 ${ms(step.generatorDelayMs)} ms`,
    `p99 < ${fmt(P99_LIMIT_MS)}, >= 95% acknowledged${CONSUMER ? ' and delivered' : ''}: ${saturated(step, P99_LIMIT_MS) ? 'missed' : 'met'}`,
  );
}

function absorbedRow(broker: string, absorbed: number, saturatedAt: FleetStep | undefined): void {
  const delivered = (step: FleetStep) =>
    Number.isNaN(step.deliveredPerS) ? '' : `, ${fmt(step.deliveredPerS)} received by the consumer`;
  const next = saturatedAt
    ? `; ${fmt(saturatedAt.gateways)} saturated it: ${fmt(saturatedAt.ackedPerS)} of ${fmt(saturatedAt.offeredPerS)} events/s acknowledged${delivered(saturatedAt)}, p99 ${ms(saturatedAt.p99Ms)} ms`
    : '; the largest step measured, so at least that many';
  row(
    `fleet, ${broker}: gateways absorbed at ${RATE} events/s each with PUBACK p99 < 1 s (largest step met${next})`,
    fmt(absorbed),
  );
}

/** Growing fleets into `nodes` (the consumer, when there is one, on `consumer`), a row per step. */
async function growingFleet(broker: string, nodes: readonly string[], consumer: string) {
  const series = await fleetSeries(
    {
      nodes,
      ...(CONSUMER ? { consumer } : {}),
      processes: PROCESSES,
      rate: RATE,
      steps: STEPS,
      warmupMs: WARMUP_S * 1000,
      measureMs: MEASURE_S * 1000,
      p99LimitMs: P99_LIMIT_MS,
    },
    (step) => stepRow(broker, step),
  );
  absorbedRow(broker, series.absorbed, series.saturatedAt);
  return series;
}

/** Growing fleets into the Mosquitto at `url`. */
export async function fleetMosquitto(url: string): Promise<void> {
  await growingFleet('one Mosquitto', [url], url);
}

/** Growing fleets into a 3-node RabbitMQ cluster, then a node killed under a comfortable fleet. */
export async function fleetRabbitCluster(): Promise<void> {
  const cluster = await startRabbitCluster({ nodes: 3 });
  try {
    const broker = 'RabbitMQ, 3-node cluster (gateways spread over the nodes by their uplink.url order)';
    row(
      'fleet: RabbitMQ 3-node cluster (test/support/rabbitmq.ts: MQTT plugin, one machine), ms from the first node spawned until every node took CONNECTs and joined',
      fmt(cluster.startMs),
    );
    const series = await growingFleet(broker, cluster.urls, cluster.urls[1]!);
    const gateways = Number(
      process.env.BENCH_FLEET_KILL ?? Math.max(STEPS[0]!, Math.floor(series.absorbed / 2)),
    );
    const kill = await fleetNodeKill(cluster, {
      gateways,
      processes: PROCESSES,
      rate: RATE,
      victim: 0,
      beforeMs: 4000,
      afterMs: 3000,
    });
    row(
      `fleet, RabbitMQ 3-node cluster, node 1 SIGKILLed under ${fmt(kill.gateways)} gateways x ${RATE} events/s (${fmt(kill.onNode)} of them on it; a QoS 1 consumer, clean session, on node 2): stall of each gateway on the killed node, kill -> its next PUBACK (on another node), s, min / median / max`,
      `${s(kill.stallsMs[0] ?? Number.NaN)} / ${s(kill.stallMedianMs)} / ${s(kill.stallMaxMs)}`,
      '',
      `gateways on the other nodes: ${fmt(kill.othersDropped)} lost their connection, longest PUBACK latency after the kill ${ms(kill.othersWorstMs)} ms; all gateways after the kill: p99 / max ${ms(kill.p99Ms)} / ${ms(kill.maxMs)} ms`,
      `next PUBACK within 2 s: ${kill.stallMaxMs <= 2000 ? 'met' : 'missed'}`,
    );
    row(
      `fleet, the same node kill: events acknowledged by the cluster / received by the consumer / lost (acknowledged, never received) / received twice`,
      `${fmt(kill.acked)} / ${fmt(kill.received)} / ${fmt(kill.lost)} / ${fmt(kill.duplicates)}`,
      '',
      '',
      `0 lost: ${kill.lost === 0 ? 'met' : 'missed'}`,
    );
  } finally {
    await cluster.stop();
  }
}
