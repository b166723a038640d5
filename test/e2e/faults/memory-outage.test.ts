/**
 * A long outage on a small box: the real daemon runs in a 256 MiB memory cgroup (as under the
 * systemd unit's `MemoryMax=` on a small gateway) while a simulated conveyor streams EVENTS
 * distinct units at full rate and the way to Mosquitto is shut (a gate in the test refuses every
 * connection). Once the outbox holds every event, the gate opens and the backlog drains to a
 * consumer that subscribed to Mosquitto directly before the daemon started, so none of its
 * messages can be lost to a race.
 *
 * It asserts that the kernel's OOM killer never struck in the cgroup, the daemon ran throughout
 * and exited 0 on SIGTERM, and the consumer received every sequence number 1..EVENTS (duplicates
 * counted). It prints the cgroup's peak, failcnt and the highest RSS sampled: figures, not
 * assertions (speed and memory belong to the bench).
 *
 * Run twice: with the default memory budget in 256 MiB; and with holds on and a full hold list
 * loaded, in the smallest limit the daemon's memory check takes without a warning (the budget,
 * the hold index's default limit and the room for Node: 128 + 48 + 64 = 240 MiB), so that the
 * check's sizing is shown to carry a long outage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { DEFAULT_BUDGET_MB, holdIndexMbFor } from '../../../daemon/memory-budget.js';
import { NODE_ROOM_MB } from '../../../daemon/own-memory.js';
import { type DaemonProcess, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import {
  EVENTS_FILTER,
  healthOf,
  outboxState,
  streamingReader,
  until,
  waitForHealth,
} from '../../support/faults.js';
import { writeHoldStore } from '../../support/hold-store.js';
import { createMemoryCgroup, type MemoryCgroup } from '../../support/memory-cgroup.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { scale } from '../../support/soak.js';
import { type BrokerGate, startBrokerGate } from './broker-gate.js';

const MiB = 1024 * 1024;
const LIMIT = 256 * MiB;
/** The smallest limit the memory check takes for the default budget with holds on. */
const HOLDS_LIMIT = (DEFAULT_BUDGET_MB + holdIndexMbFor(DEFAULT_BUDGET_MB) + NODE_ROOM_MB) * MiB;
const EVENTS = scale(100_000, 1_000_000);
/** Entries of the full hold list (none holds a simulated unit: every event is looked up). */
const HOLDS = scale(200_000, 1_000_000);
const WINDOW = 100;

/** Events the outbox dropped for want of room, from a health payload. */
const dropped = (h: ReturnType<typeof healthOf>) => (h.outbox as { dropped?: number }).dropped ?? 0;

/**
 * A QoS 1 subscriber that keeps only a count per sequence number: a million events of about a
 * kilobyte each would not fit in this process as messages.
 */
class SequenceCounter {
  /** 1 for each sequence number received at least once. */
  readonly counts: Uint8Array;
  distinct = 0;
  received = 0;
  outOfRange = 0;
  private constructor(
    readonly client: MqttClient,
    last: number,
  ) {
    this.counts = new Uint8Array(last + 1);
    client.on('message', (_topic, payload) => {
      const seq = (JSON.parse(payload.toString('utf8')) as { 'rp:sequence': number })['rp:sequence'];
      this.received++;
      if (!Number.isInteger(seq) || seq < 1 || seq >= this.counts.length) this.outOfRange++;
      else if (this.counts[seq] === 0) {
        this.counts[seq] = 1;
        this.distinct++;
      }
    });
  }

  static async subscribe(url: string, last: number): Promise<SequenceCounter> {
    const client = mqtt.connect(url, { clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    const counter = new SequenceCounter(client, last);
    await new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.once('connect', () =>
        client.subscribe(EVENTS_FILTER, { qos: 1 }, (err, granted) =>
          err || granted?.[0]?.qos !== 1
            ? reject(err ?? new Error(`granted ${granted?.[0]?.qos}`))
            : resolve(),
        ),
      );
    });
    return counter;
  }

  missing(): number[] {
    const out: number[] = [];
    for (let seq = 1; seq < this.counts.length; seq++) if (this.counts[seq] === 0) out.push(seq);
    return out;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(false, {}, () => resolve()));
  }
}

let dir: string;
let broker: Mosquitto;
let gate: BrokerGate;
let cgroup: MemoryCgroup | undefined;
let consumer: SequenceCounter | undefined;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker?.stop();
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-memory-outage-'));
  gate = await startBrokerGate(broker.port);
});

afterEach(async () => {
  await daemon?.kill('SIGKILL');
  daemon = undefined;
  await cgroup?.remove();
  cgroup = undefined;
  await consumer?.close();
  consumer = undefined;
  await gate?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The outage, with the daemon in a memory cgroup of `limit` and, given `holds`, that many hold entries. */
async function outage(o: { limit: number; holds?: number }): Promise<void> {
  consumer = await SequenceCounter.subscribe(broker.url, EVENTS);
  const counter = consumer;
  cgroup = createMemoryCgroup(o.limit, 'memory-outage');
  const cg = cgroup;
  onTestFailed(() => {
    const u = cg.usage();
    console.error(
      `memory-outage: cgroup ${cg.path}: oom_kill ${u.oomKills}, peak ${u.peakBytes} bytes, failcnt ${u.failcnt}; ${counter.distinct} of ${EVENTS} events received`,
    );
  });
  const config = writeE2eConfig({
    dir,
    uplinkUrl: gate.url,
    readers: streamingReader({ readsPerSecond: 100_000, limit: EVENTS }),
    inflight: WINDOW,
    // Room for every event (about 1.1 kB each) without an overflow drop.
    extra:
      `outbox:\n  maxEvents: ${Math.max(1_000_000, EVENTS)}\n  maxBytes: ${EVENTS * 2048}\n` +
      (o.holds ? 'holds: { upstream: false }\n' : ''),
  });
  if (o.holds) await writeHoldStore(join(dir, 'data'), o.holds);
  const started = Date.now();
  // With the node flags and malloc arenas of systemd/readpoint.service (a young generation
  // node would otherwise shrink under the limit).
  daemon = startDaemon(
    config,
    { NODE_OPTIONS: '--max-semi-space-size=16', MALLOC_ARENA_MAX: '2' },
    cg.launcher,
  );
  const running = daemon;
  let rssMax = 0;
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, cg.usage().rssBytes);
  }, 100);
  try {
    await running.waitForLog((l) => l.msg === 'outbox open', 20_000);
    // The daemon runs under the limit: its pid is in the cgroup (the launcher exec'd it).
    expect(cg.pids()).toContain(running.child.pid);
    expect(cg.usage().limitBytes).toBe(o.limit);
    if (o.holds) {
      const loaded = await running.waitForLog((l) => l.msg.startsWith('hold lists loaded'), 60_000);
      expect(loaded).toMatchObject({ msg: 'hold lists loaded', entries: o.holds });
    }
    // The memory check takes this sizing: no standing warning.
    const first = await waitForHealth(running, () => true, 20_000);
    expect((first.health as { warnings?: string[] }).warnings).toEqual([]);

    const full = await waitForHealth(
      running,
      (h) => (h.outbox.depth === EVENTS && h.outbox.lastSeq === EVENTS) || dropped(h) > 0,
      scale(110_000, 600_000),
    );
    expect(dropped(healthOf(full))).toBe(0);
    const filled = Date.now();
    expect(running.logs.filter((l) => l.msg === 'uplink connected')).toEqual([]);
    expect(cg.usage().oomKills).toBe(0);

    const since = running.logs.indexOf(full);
    gate.open();
    await until(
      () => counter.distinct === EVENTS,
      scale(60_000, 300_000),
      () =>
        `${counter.distinct} of ${EVENTS} events received; first missing: ${counter.missing().slice(0, 20)}`,
    );
    const drained = Date.now();
    await waitForHealth(running, (h) => h.outbox.depth === 0, 10_000, since);

    // Never OOM-killed: still running, nothing counted by the kernel, a clean stop.
    expect(running.child.exitCode).toBeNull();
    expect(running.child.signalCode).toBeNull();
    expect(cg.usage().oomKills).toBe(0);
    expect(await running.kill('SIGTERM')).toBe(0);
    const usage = cg.usage();
    expect(usage.oomKills).toBe(0);
    expect(running.stderr).toEqual([]);

    const { lastSeq, depth } = await outboxState(join(dir, 'data'));
    expect(lastSeq).toBe(EVENTS);
    expect(depth).toBe(0);
    expect(counter.missing()).toEqual([]);
    expect(counter.outOfRange).toBe(0);
    const connects = running.logs.filter((l) => l.msg === 'uplink connected').length;
    expect(connects).toBeGreaterThanOrEqual(1);
    const duplicates = counter.received - counter.distinct;
    expect(duplicates).toBeLessThanOrEqual(connects * WINDOW);
    console.log(
      `memory-outage: ${EVENTS} events in a ${o.limit / MiB} MiB cgroup${o.holds ? ` with ${o.holds} holds` : ''}: filled in ${((filled - started) / 1000).toFixed(1)} s, ` +
        `drained in ${((drained - filled) / 1000).toFixed(1)} s; ${counter.distinct} distinct received, ` +
        `${duplicates} duplicates, 0 lost; cgroup peak ${(usage.peakBytes / MiB).toFixed(0)} MiB ` +
        `(page cache included), RSS at most ${(rssMax / MiB).toFixed(0)} MiB (sampled every 100 ms), ` +
        `failcnt ${usage.failcnt}, oom_kill ${usage.oomKills}`,
    );
  } finally {
    clearInterval(sampler);
  }
}

describe('a long outage under a memory limit', () => {
  it(
    `stores ${EVENTS} events in a ${LIMIT / MiB} MiB memory cgroup while the broker is out of reach and delivers them all, with no OOM kill`,
    () => outage({ limit: LIMIT }),
    scale(180_000, 900_000),
  );

  it(
    `does the same with ${HOLDS} holds loaded, in ${HOLDS_LIMIT / MiB} MiB: the smallest limit the memory check takes for them`,
    () => outage({ limit: HOLDS_LIMIT, holds: HOLDS }),
    scale(240_000, 900_000),
  );
});
