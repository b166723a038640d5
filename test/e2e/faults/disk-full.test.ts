/**
 * Disk full, on real processes: the daemon's data directory is on a small tmpfs the test mounts
 * (CI runs as root). While simulated reads stream, a filler file takes every free byte.
 *
 * 1. Broker reachable: the daemon keeps running, says `writeError: ENOSPC ...` on the health
 *    topic (and logs it once), and once the filler is deleted recovers by itself; every accepted
 *    event arrives: the sequence numbers received are 1..N except drops announced in notices.
 * 2. Broker unreachable, so everything stays in the outbox: after the disk came back and more
 *    events were accepted, the daemon is SIGKILLed and restarted. Every accepted event must still
 *    be there. (LevelDB left on its own keeps appending to a log with a torn record in it and
 *    loses what follows the tear on the next open; the outbox reopens the store first.)
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload, OverflowNotice } from '../../../daemon/contract/topics.js';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { scale } from '../../support/soak.js';
import { type BrokerGate, startBrokerGate } from './broker-gate.js';

const BASE = 'readpoint/v1/site-test/gw-test';
const READS = scale(3000, 30_000);
const RATE = scale(500, 1000);
const ENOSPC = 'ENOSPC: no space left on device';
const outboxDefaults = {
  maxEvents: 1_000_000,
  maxBytes: 1 << 30,
  overflow: 'drop-oldest' as const,
  batchMax: 512,
};

const asRoot = process.getuid?.() === 0;
let mountPoint: string;
let mounted = false;
let broker: Mosquitto;
const daemons: DaemonProcess[] = [];
const collectors: Collector[] = [];
const gates: BrokerGate[] = [];

beforeAll(async () => {
  // Never skipped: without root there is no small file system to fill, and that is an error.
  if (!asRoot)
    throw new Error('the disk-full tests mount a tmpfs and must run as root (CI does): run npm test as root');
  mountPoint = mkdtempSync(join(tmpdir(), 'rp-diskfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mountPoint]);
  mounted = true;
  broker = await startMosquitto();
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  for (const c of collectors) await c.close();
  for (const g of gates) await g.close();
  await broker?.stop();
  if (mounted) execFileSync('umount', [mountPoint]);
  if (mountPoint) rmSync(mountPoint, { recursive: true, force: true });
});

const reader = (limit: number) => `  - id: sim-1
    driver: simulator
    readPoint: conveyor-1
    readsPerSecond: ${RATE}
    units: 1000000
    repeats: 1
    garbageShare: 0
    epcShare: 0.3
    limit: ${limit}
`;

/** Writes zeros to `file` until the file system is full; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

const outboxOf = (l: LogLine) => (l.health as HealthPayload).outbox;
const isHealth = (l: LogLine) => l.msg === 'health';
const sequence = (m: { payload: Buffer }) => JSON.parse(String(m.payload))['rp:sequence'] as number;
const lastHealth = (c: Collector) => {
  const last = c.messages.at(-1);
  return last && (JSON.parse(String(last.payload)) as HealthPayload).outbox;
};

/** Sequence numbers announced as dropped by the notices collected. */
const announced = (notices: Collector) =>
  new Set(
    notices.messages.flatMap((m) =>
      (JSON.parse(String(m.payload)) as OverflowNotice).ranges.flatMap(([a, b]) =>
        Array.from({ length: b - a + 1 }, (_, i) => a + i),
      ),
    ),
  );

async function subscribe(...filters: string[]): Promise<Collector[]> {
  const out: Collector[] = [];
  for (const f of filters) out.push(await collect(broker.url, `${BASE}/${f}`));
  collectors.push(...out);
  return out;
}

/** Starts the daemon on `dir` (a fresh folder on the tmpfs). */
function start(dir: string, uplinkUrl: string, limit: number): DaemonProcess {
  const daemon = startDaemon(writeE2eConfig({ dir, uplinkUrl, readers: reader(limit) }));
  daemons.push(daemon);
  return daemon;
}

/** Fills the disk, waits until the daemon reports it, then frees the space and waits for recovery. */
async function diskFullEpisode(daemon: DaemonProcess, whileFull: () => Promise<void> = async () => {}) {
  const filler = join(mountPoint, 'filler');
  const filled = fill(filler);
  expect(statfsSync(mountPoint).bavail).toBe(0);
  await daemon.waitForLog(
    (l) => isHealth(l) && outboxOf(l).writeError === ENOSPC && outboxOf(l).readingStopped,
    20_000,
  );
  await whileFull();
  rmSync(filler);
  await daemon.waitForLog((l) => l.msg === 'outbox writable again: held events written', 20_000);
  return filled;
}

describe('disk full', () => {
  it(
    'keeps running, reports ENOSPC, recovers by itself when space returns, and delivers every accepted event',
    async () => {
      const [events, health, notices] = (await subscribe('events/+', 'health', 'overflow')) as [
        Collector,
        Collector,
        Collector,
      ];
      const dir = join(mountPoint, 'live');
      mkdirSync(dir);
      const daemon = start(dir, broker.url, READS);
      await events.waitFor(300, 20_000);
      const filled = await diskFullEpisode(daemon, async () => {
        // Still full a health interval later: still running, still saying why, on the topic too.
        const failing = () => daemon.logs.filter((l) => isHealth(l) && outboxOf(l).writeError === ENOSPC);
        await expect.poll(() => failing().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
        expect(daemon.child.exitCode).toBeNull();
        expect(outboxOf(failing().at(-1)!).held).toBeGreaterThan(0);
        await expect
          .poll(
            () =>
              health.messages.some(
                (m) => (JSON.parse(String(m.payload)) as HealthPayload).outbox.writeError === ENOSPC,
              ),
            { timeout: 10_000 },
          )
          .toBe(true);
        expect(daemon.logs.filter((l) => l.msg.startsWith('outbox write failed'))).toHaveLength(1);
      });
      const delivered = () => new Set(events.messages.map(sequence));
      await expect
        .poll(() => delivered().size + announced(notices).size, { timeout: 60_000, interval: 250 })
        .toBe(READS);
      const got = delivered();
      const dropped = announced(notices);
      for (let s = 1; s <= READS; s++) expect(got.has(s) !== dropped.has(s), `seq ${s}`).toBe(true);
      await expect
        .poll(() => lastHealth(health), { timeout: 10_000 })
        .toMatchObject({ readingStopped: false, held: 0, lastSeq: READS, depth: 0 });
      const last = lastHealth(health)!;
      expect(last.writeError).toBeUndefined();
      expect(last.dropped).toBe(dropped.size);
      console.log(
        `disk full: filler ${Math.round(filled / 1024)} KiB; ${READS} events, ${got.size} delivered, ` +
          `${dropped.size} dropped (announced); readers held back ${last.stalledS} s`,
      );
      expect(await daemon.kill('SIGTERM')).toBe(0);
    },
    scale(90_000, 300_000),
  );

  it(
    'events accepted after the disk came back survive a SIGKILL and a restart',
    async () => {
      const [events, notices] = (await subscribe('events/+', 'overflow')) as [Collector, Collector];
      const gate = await startBrokerGate(broker.port);
      gates.push(gate);
      const dir = join(mountPoint, 'restart');
      mkdirSync(dir);
      const daemon = start(dir, gate.url, READS);
      await daemon.waitForLog((l) => isHealth(l) && outboxOf(l).lastSeq >= 300, 20_000);
      await diskFullEpisode(daemon);
      const recoveredAt = outboxOf(daemon.logs.filter(isHealth).at(-1)!).lastSeq;
      await daemon.waitForLog((l) => isHealth(l) && outboxOf(l).lastSeq >= recoveredAt + 300, 20_000);
      expect(await daemon.kill('SIGKILL')).toBe('SIGKILL');

      const outbox = new LevelOutbox(join(dir, 'data', 'outbox'), outboxDefaults, silentLogger());
      await outbox.open();
      const kept = outbox.stats();
      await outbox.close();
      expect(kept.lastSeq).toBeGreaterThanOrEqual(recoveredAt + 300);
      // Nothing was delivered (the broker was out of reach): every accepted event is still there.
      expect(kept.depth).toBe(kept.lastSeq - (kept.unannouncedDrops ?? 0));

      gate.open();
      const again = start(dir, gate.url, 1); // one more read: lastSeq + 1
      const expected = kept.lastSeq + 1;
      await expect
        .poll(() => new Set(events.messages.map(sequence)).size + announced(notices).size, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(expected);
      const got = new Set(events.messages.map(sequence));
      const dropped = announced(notices);
      for (let s = 1; s <= expected; s++) expect(got.has(s) !== dropped.has(s), `seq ${s}`).toBe(true);
      console.log(
        `disk full then SIGKILL: ${kept.lastSeq} accepted (${kept.lastSeq - recoveredAt} after the disk came back), ` +
          `all ${got.size} delivered after the restart, ${dropped.size} dropped (announced)`,
      );
      expect(await again.kill('SIGTERM')).toBe(0);
    },
    scale(90_000, 300_000),
  );
});
