import { afterEach, describe, expect, it } from 'vitest';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type FleetStep, fleetSetups, saturated } from './fleet.js';
import { aroundSequence, SimulatedGateway } from './fleet-gateway.js';
import { conveyorEvents, sequenceOf } from './path.js';

describe('fleet bench helpers', () => {
  it('puts any sequence into a real event and leaves every other byte as it was', () => {
    const event = conveyorEvents(3)[2]!;
    const [head, tail] = aroundSequence(event);
    expect(head + 3 + tail).toBe(event);
    expect(sequenceOf(head + 123456 + tail)).toBe(123456);
    expect((head + 123456 + tail).length).toBe(event.length + 5);
    expect(() => aroundSequence('{"eventID":"x"}')).toThrow(/rp:sequence/);
  });

  it('spreads gateways over the nodes by rotating one list, each with a client id of its own', () => {
    const setups = fleetSetups(['n1', 'n2', 'n3'], 5);
    expect(setups.map((s) => s.nodes)).toEqual([
      ['n1', 'n2', 'n3'],
      ['n2', 'n3', 'n1'],
      ['n3', 'n1', 'n2'],
      ['n1', 'n2', 'n3'],
      ['n2', 'n3', 'n1'],
    ]);
    expect(setups.map((s) => s.firstNode)).toEqual([0, 1, 2, 0, 1]);
    expect(setups.map((s) => s.id)).toEqual(['gw-001', 'gw-002', 'gw-003', 'gw-004', 'gw-005']);
    expect(new Set(setups.map((s) => s.clientId)).size).toBe(5);
    expect(setups[0]).toMatchObject({ keepaliveS: 30, inflight: 100 });
  });

  it('calls a step saturated at p99 >= the limit, under 95% of the events acknowledged or delivered', () => {
    const step = (p99Ms: number, ackedPerS: number, deliveredPerS = Number.NaN) =>
      ({ p99Ms, ackedPerS, offeredPerS: 1000, deliveredPerS }) as FleetStep;
    expect(saturated(step(999, 1000), 1000)).toBe(false);
    expect(saturated(step(999, 950), 1000)).toBe(false);
    expect(saturated(step(1000, 1000), 1000)).toBe(true);
    expect(saturated(step(10, 949), 1000)).toBe(true);
    expect(saturated(step(Number.NaN, 0), 1000)).toBe(true);
    expect(saturated(step(10, 1000, 950), 1000)).toBe(false);
    expect(saturated(step(10, 1000, 949), 1000)).toBe(true);
  });
});

describe('a simulated gateway', () => {
  let broker: Mosquitto | undefined;
  let gateway: SimulatedGateway | undefined;
  afterEach(async () => {
    await gateway?.uplink.stop();
    await broker?.stop();
  });

  it('sends every event again after its broker is killed and has each acknowledged once', async () => {
    broker = await startMosquitto();
    const [setup] = fleetSetups([broker.url], 1);
    const acks: number[] = [];
    const g = new SimulatedGateway(
      { ...setup!, retry: { minMs: 50, maxMs: 200 } },
      'readpoint/v1/fleet/gw-001/events/dock-1',
      'readpoint/v1/fleet/gw-001/status',
      aroundSequence(conveyorEvents(1)[0]!),
      5,
      0,
      (_at, latencyMs) => acks.push(latencyMs),
    );
    gateway = g;
    await g.uplink.start();
    g.begin(performance.timeOrigin + performance.now());
    const ticker = setInterval(() => g.tick(performance.timeOrigin + performance.now()), 5);
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      await until(() => g.counts.acked >= 100);
      await broker.kill();
      await until(() => g.outages.length === 1);
      await broker.restart();
      await until(() => g.outages[0]!.resumedAt > 0 && g.counts.acked >= 300);
    } finally {
      clearInterval(ticker);
    }
    const until1 = performance.timeOrigin + performance.now();
    const drain = setInterval(() => g.tick(until1, until1), 5);
    await until(() => g.drained);
    clearInterval(drain);
    const { offered, acked } = g.counts;
    expect(acked).toBe(offered);
    expect(acks.length).toBe(offered);
    expect(g.outages).toHaveLength(1);
    expect(g.outages[0]!.resumedAt).toBeGreaterThan(g.outages[0]!.downAt);
    expect(g.drained).toBe(true);
  }, 20_000);
});
