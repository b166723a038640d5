/**
 * Replay after an outage, on real processes: the daemon reads while its way to Mosquitto is
 * closed, so a backlog builds up in the outbox; then the way opens while the reader keeps
 * streaming. With the default `uplink.liveShare` the reads made after the reconnect reach the
 * consumer before the backlog has finished draining; each lane keeps sequence order, and nothing
 * is lost or duplicated. With `liveShare: 0` everything arrives in strict sequence order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import { EVENTS_FILTER, Ledger, streamingReader } from '../../support/faults.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { scale } from '../../support/soak.js';
import { startBrokerGate } from './broker-gate.js';

const RATE = scale(1000, 2000);
/** Events in the outbox before the way to the broker opens. */
const BACKLOG = scale(4000, 60_000);
/** Reads after that, streamed while the backlog drains. */
const LIVE = scale(2000, 20_000);

let broker: Mosquitto;
const cleanup: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await broker?.stop();
});

const sequence = (m: { payload: Buffer }) => JSON.parse(String(m.payload))['rp:sequence'] as number;

async function outage(liveShare: number) {
  const dir = mkdtempSync(join(tmpdir(), 'rp-replay-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const gate = await startBrokerGate(broker.port);
  cleanup.push(() => gate.close());
  const events: Collector = await collect(broker.url, EVENTS_FILTER);
  cleanup.push(() => events.close());
  const total = BACKLOG + LIVE;
  const config = writeE2eConfig({
    dir,
    uplinkUrl: gate.url,
    readers: streamingReader({ readsPerSecond: RATE, limit: total }),
    liveShare,
  });
  const daemon = startDaemon(config);
  cleanup.push(() => daemon.kill('SIGKILL').then(() => undefined));
  await daemon.waitForLog(
    (l) => l.msg === 'health' && (l.health as { outbox: { depth: number } }).outbox.depth >= BACKLOG,
    60_000,
  );
  gate.open();
  const ledger = new Ledger(events);
  await ledger.waitForAll(total, scale(60_000, 300_000));
  // The last PUBACKs of the backlog may reach the daemon after the consumer has every event.
  if (liveShare > 0) await daemon.waitForLog((l) => l.msg === 'backlog drained', 20_000);
  expect(await daemon.kill('SIGTERM')).toBe(0);
  expect(ledger.duplicates).toBe(0);
  expect(ledger.unexpected(total)).toEqual([]);
  return { order: events.messages.map(sequence), logs: daemon.logs, total };
}

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! < x);

describe('replay after an outage', () => {
  it('live reads overtake the draining backlog (liveShare 0.2); each lane in order; none lost', async () => {
    const { order, logs } = await outage(0.2);
    const replay = logs.find((l) => l.msg === 'replaying the backlog beside live events');
    expect(replay).toBeDefined();
    const end = replay!.backlogEnd as number;
    expect(end).toBeGreaterThanOrEqual(BACKLOG);
    const backlog = order.filter((s) => s <= end);
    const live = order.filter((s) => s > end);
    expect(backlog).toHaveLength(end);
    expect(ascending(backlog)).toBe(true);
    expect(ascending(live)).toBe(true);
    // The first live event did not wait for the backlog's last one.
    expect(order.indexOf(end + 1)).toBeLessThan(order.indexOf(end));
    // One line says the backlog has drained: every backlog event delivered, and how long it took.
    const drained = logs.filter((l) => l.msg === 'backlog drained');
    expect(drained).toHaveLength(1);
    expect(drained[0]).toMatchObject({ level: 30, component: 'dispatcher', backlogEnd: end, replayed: end });
    expect(drained[0]!.seconds).toBeGreaterThan(0);
    expect(logs.indexOf(drained[0]!)).toBeGreaterThan(logs.indexOf(replay!));
  }, 120_000);

  it('liveShare 0: strict sequence order for everything', async () => {
    const { order, logs, total } = await outage(0);
    expect(logs.filter((l) => l.msg === 'replaying the backlog beside live events')).toEqual([]);
    expect(logs.filter((l) => l.msg === 'backlog drained')).toEqual([]);
    expect(order).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 120_000);
});
