/**
 * A process of simulated gateways for the fleet bench (fleet.ts forks one or a few): each a real
 * MqttUplink (fleet-gateway.ts), all driven by one ticker. It speaks with its parent over the
 * IPC channel, one message each way at a time:
 *
 *   parent -> {type: 'go', t0}                 events are due from t0 (epoch ms) on
 *   parent -> {type: 'mark'}                   CPU time and event-loop delay count from here
 *   parent -> {type: 'report', from, to}       -> {type: 'report', ...WindowReport}
 *   parent -> {type: 'drain', timeoutMs}       stop offering; -> {type: 'drained', gateways}
 *   parent -> {type: 'stop'}                   stops every uplink and exits
 *
 * and sends {type: 'ready', connectMs} once every uplink is connected (or {type: 'error'}).
 * Options come as JSON in argv[2] (FleetProcessOptions).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  aroundSequence,
  epochMs,
  type GatewaySetup,
  type Outage,
  SimulatedGateway,
} from './fleet-gateway.js';
import { conveyorEvents } from './path.js';

export interface FleetProcessOptions {
  readonly gateways: readonly GatewaySetup[];
  /** Events per second of each gateway. */
  readonly rate: number;
  /** This process's first gateway's place in the whole fleet, and the fleet's size: spreads phases. */
  readonly offset: number;
  readonly fleet: number;
  readonly connectTimeoutMs: number;
}

/** What a process measured between `from` and `to` (epoch ms). */
export interface WindowReport {
  /** Events due in the window. */
  readonly offered: number;
  /** First PUBACKs received in the window. */
  readonly acked: number;
  /** Their latencies from due time to PUBACK, ms. */
  readonly latencies: number[];
  /** Events offered and not yet acknowledged at the report. */
  readonly backlog: number;
  /** CPU time of this process since the last mark, ms, over wall-clock ms, and its event loop's delay, ms. */
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly gateways: readonly GatewayReport[];
}

export interface GatewayReport {
  readonly id: string;
  readonly node: number;
  readonly offered: number;
  readonly acked: number;
  readonly outages: readonly Outage[];
  /** Its longest PUBACK latency since the last mark, ms. */
  readonly worstMs: number;
}

const TICK_MS = 5;
/** The event-loop delay monitor's timer, ms: its histogram holds the timer's period plus the delay. */
const LOOP_RESOLUTION_MS = 10;

async function main(o: FleetProcessOptions): Promise<void> {
  const send = (message: object) => process.send?.(message);
  const template = aroundSequence(conveyorEvents(1)[0]!);
  const periodMs = 1000 / o.rate;
  const ackAt: number[] = [];
  const latency: number[] = [];
  const gateways = o.gateways.map(
    (g, i) =>
      new SimulatedGateway(
        g,
        `readpoint/v1/fleet/${g.id}/events/dock-1`,
        `readpoint/v1/fleet/${g.id}/status`,
        template,
        periodMs,
        (((o.offset + i) % o.fleet) / o.fleet) * periodMs,
        (at, ms) => {
          ackAt.push(at);
          latency.push(ms);
        },
      ),
  );
  const began = epochMs();
  // A few at a time, as gateways that boot at different moments: hundreds of CONNECTs at once
  // would measure a connect storm, which is not what the steps are about.
  for (let i = 0; i < gateways.length; i += 10) {
    await Promise.all(gateways.slice(i, i + 10).map((g) => g.uplink.start()));
  }
  while (!gateways.every((g) => g.connected)) {
    if (epochMs() - began > o.connectTimeoutMs) {
      const down = gateways.filter((g) => !g.connected).map((g) => g.setup.id);
      throw new Error(
        `${down.length} gateways not connected after ${o.connectTimeoutMs} ms: ${down.join(' ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  send({ type: 'ready', connectMs: epochMs() - began });

  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let ticker: NodeJS.Timeout | undefined;
  let until = Number.POSITIVE_INFINITY;
  let cpuAt = process.cpuUsage();
  let markAt = epochMs();
  const mark = () => {
    cpuAt = process.cpuUsage();
    markAt = epochMs();
    loop.reset();
    for (const g of gateways) g.worstMs = 0;
  };
  process.on(
    'message',
    async (m: { type: string; t0?: number; from?: number; to?: number; timeoutMs?: number }) => {
      if (m.type === 'go') {
        for (const g of gateways) g.begin(m.t0!);
        ticker = setInterval(() => {
          const now = epochMs();
          for (const g of gateways) g.tick(now, until);
        }, TICK_MS);
        loop.enable();
        mark();
      } else if (m.type === 'mark') {
        mark();
      } else if (m.type === 'report') {
        send({ type: 'report', ...report(m.from!, m.to!) });
      } else if (m.type === 'drain') {
        until = epochMs();
        const deadline = until + m.timeoutMs!;
        while (!gateways.every((g) => g.drained) && epochMs() < deadline) {
          for (const g of gateways) g.tick(epochMs(), until);
          await new Promise((r) => setTimeout(r, 20));
        }
        send({ type: 'drained', gateways: gateways.map(gatewayReport) });
      } else if (m.type === 'stop') {
        clearInterval(ticker);
        await Promise.all(gateways.map((g) => g.uplink.stop()));
        process.exit(0);
      }
    },
  );

  function gatewayReport(g: SimulatedGateway): GatewayReport {
    return { id: g.setup.id, node: g.node, ...g.counts, outages: g.outages, worstMs: g.worstMs };
  }

  function report(from: number, to: number): WindowReport {
    const latencies: number[] = [];
    let acked = 0;
    for (let i = 0; i < ackAt.length; i++) {
      if (ackAt[i]! < from || ackAt[i]! >= to) continue;
      acked++;
      latencies.push(Math.round(latency[i]! * 10) / 10);
    }
    const perGateway = o.rate * ((to - from) / 1000);
    const cpu = process.cpuUsage(cpuAt);
    const r: WindowReport = {
      offered: Math.round(perGateway * gateways.length),
      acked,
      latencies,
      backlog: gateways.reduce((n, g) => n + g.counts.offered - g.counts.acked, 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: epochMs() - markAt,
      loopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      loopDelayMaxMs: Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS),
      gateways: gateways.map(gatewayReport),
    };
    return r;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(JSON.parse(process.argv[2] ?? '{}')).catch((err: Error) => {
    process.send?.({ type: 'error', error: err.message ?? String(err) });
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
