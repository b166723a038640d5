/**
 * Fault: the broker node the gateway is on dies, twice. Three Mosquittos stand in for the nodes of
 * one clustered broker (uplink.url lists all three); each test subscriber is on one node, and
 * together they must have every sequence number 1..lastSeq, duplicates at most one in-flight
 * window per switch. The health topic must say which node the gateway is on and how often it
 * moved.
 *
 * As in broker-kill.test.ts, each node is reached through a proxy that reads the wire: right
 * before a kill it holds what the daemon sends, and the test waits until the node's subscriber
 * has everything the node acknowledged (Mosquitto PUBACKs before its subscribers have a message,
 * a loss no publisher can prevent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstNode } from '../../../daemon/uplink/broker-node.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import {
  EVENTS_FILTER,
  Ledger,
  outboxState,
  streamingReader,
  until,
  waitForHealth,
} from '../../support/faults.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { WireLog } from '../../support/mqtt-wire.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const EVENTS = 3000;
const WINDOW = 100;
const STATUS_TOPIC = 'readpoint/v1/site-test/gw-test/status';

let dir: string;
const nodes: Mosquitto[] = [];
const proxies: TcpProxy[] = [];
const wires: WireLog[] = [];
const collectors: Collector[] = [];
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-node-failover-'));
  for (let i = 0; i < 3; i++) {
    const node = await startMosquitto();
    nodes.push(node);
    const wire = new WireLog();
    wires.push(wire);
    proxies.push(await startTcpProxy(node.port, { tap: wire.tap }));
    collectors.push(await collect(node.url, EVENTS_FILTER));
  }
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  for (const c of collectors) await c.close();
  for (const p of proxies) await p.close();
  for (const n of nodes) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface NodeHealth {
  state: string;
  connects: number;
  node?: number;
  nodeUrl?: string;
  nodeSwitches?: number;
}
const uplinkOf = (line: LogLine) => (line.health as { uplink: NodeHealth }).uplink;

describe('broker node SIGKILL with uplink.url listing three nodes', () => {
  it('moves to the next node each time, and every sequence arrives across the nodes', async () => {
    const ledgers = collectors.map((c) => new Ledger(c));
    const distinct = () => new Set(ledgers.flatMap((l) => l.sequences())).size;
    const config = writeE2eConfig({
      dir,
      uplinkUrl: `[${proxies.map((p) => p.url).join(', ')}]`,
      readers: streamingReader({ readsPerSecond: 1000, limit: EVENTS }),
      inflight: WINDOW,
    });
    // The gateway starts on the node its client id hashes to: node 0 for this test's gateway.
    expect(firstNode('readpoint-site-test-gw-test', 3)).toBe(0);
    daemon = startDaemon(config);
    const running = daemon;
    await running.waitForLog((l) => l.msg === 'uplink connected', 15_000);
    await running.waitForLog((l) => l.msg === 'health' && uplinkOf(l).node === 0, 10_000);

    const stalls: number[] = [];
    for (const [on, next, position] of [
      [0, 1, 800],
      [1, 2, 1800],
    ] as const) {
      await until(
        () => distinct() >= position,
        30_000,
        () => `${distinct()} of ${position} events delivered before node ${on} dies`,
      );
      const since = running.logs.length;
      const wire = wires[on]!;
      proxies[on]!.holdUpstream();
      await until(
        () =>
          wire.unackedOnLatest() === 0 && ledgers[on]!.countReceived(wire.acked.keys()) === wire.acked.size,
        10_000,
        () => `node ${on}: ${wire.unackedOnLatest()} publishes not acknowledged before the kill`,
      );
      await nodes[on]!.kill();
      const killedAt = Date.now();
      const switched = await running.waitForLog(
        (l) => l.msg === 'uplink switched to another broker node',
        10_000,
        since,
      );
      expect(switched).toMatchObject({ fromNode: on, node: next, url: proxies[next]!.url, switches: next });
      stalls.push(Date.parse(String(switched.time)) - killedAt);
      const health = await running.waitForLog(
        (l) => l.msg === 'health' && uplinkOf(l).node === next,
        10_000,
        since,
      );
      expect(uplinkOf(health)).toMatchObject({
        state: 'connected',
        node: next,
        nodeUrl: proxies[next]!.url,
        nodeSwitches: next,
      });
    }

    await until(
      () => distinct() === EVENTS,
      30_000,
      () => `${distinct()} of ${EVENTS} distinct events across the three nodes`,
    );
    await waitForHealth(running, (h) => h.outbox.depth === 0 && h.outbox.lastSeq === EVENTS, 10_000);
    // The node the gateway ended on has its retained `online`.
    const status = await collect(nodes[2]!.url, STATUS_TOPIC);
    await status.waitFor(1, 5000);
    await status.close();
    expect(status.messages[0]).toMatchObject({ topic: STATUS_TOPIC, retain: true });
    expect(status.messages[0]!.payload.toString()).toBe('online');

    expect(await running.kill('SIGTERM')).toBe(0);
    const { lastSeq, depth } = await outboxState(join(dir, 'data'));
    expect([lastSeq, depth]).toEqual([EVENTS, 0]);
    const received = ledgers.reduce((n, l) => n + l.received, 0);
    expect(new Set(ledgers.flatMap((l) => l.sequences()))).toEqual(
      new Set(Array.from({ length: EVENTS }, (_, i) => i + 1)),
    );
    expect(ledgers.flatMap((l) => l.unexpected(EVENTS))).toEqual([]);
    expect(received - EVENTS).toBeLessThanOrEqual(2 * WINDOW);
    // Each node got a share: the gateway was on all three.
    expect(ledgers.map((l) => l.distinct > 0)).toEqual([true, true, true]);
    expect(running.logs.filter((l) => l.msg === 'uplink connected')).toHaveLength(3);
    console.log(
      `node-failover: ${EVENTS} events over 3 nodes, ${received - EVENTS} duplicates (bound ${2 * WINDOW}), ` +
        `connected to the next node ${stalls.map((ms) => `${ms} ms`).join(' and ')} after each SIGKILL`,
    );
  }, 60_000);
});
