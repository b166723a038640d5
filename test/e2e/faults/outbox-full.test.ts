/**
 * Outbox full, on real processes: the daemon streams simulated reads into a small outbox while
 * it cannot reach Mosquitto, then the way to the broker opens while the reader still streams.
 *
 * - drop-oldest / drop-newest: the sequence numbers missing from what the consumer received are
 *   exactly the ranges the overflow notices announced (none announced twice, none delivered), the
 *   right end is dropped, and the health topic counts the same drops.
 * - stop-reading: nothing is dropped: the consumer receives 1..N with no gap, and health said
 *   that reading had stopped while the outbox was full.
 *
 * The daemon's uplink goes through a gate (broker-gate.ts) that refuses connections until opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload, OverflowNotice } from '../../../daemon/contract/topics.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { noticeErrors } from '../../support/schemas.js';
import { scale } from '../../support/soak.js';
import { startBrokerGate } from './broker-gate.js';

const BASE = 'readpoint/v1/site-test/gw-test';
const MAX_EVENTS = 200;
const READS = scale(3000, 40_000);
const RATE = scale(600, 2000);
/** The way to the broker opens once this many events were numbered (the outbox is long full). */
const OPEN_AT = scale(700, 8000);

const reader = `  - id: sim-1
    driver: simulator
    readPoint: conveyor-1
    readsPerSecond: ${RATE}
    units: 1000000
    repeats: 1
    garbageShare: 0
    epcShare: 0.3
    limit: ${READS}
`;

const sequence = (m: { payload: Buffer }) => JSON.parse(String(m.payload))['rp:sequence'] as number;
const outboxOf = (l: LogLine) => (l.health as HealthPayload).outbox;

let broker: Mosquitto;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await broker?.stop();
});

async function run(policy: 'drop-oldest' | 'drop-newest' | 'stop-reading') {
  const dir = mkdtempSync(join(tmpdir(), `rp-full-${policy}-`));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const gate = await startBrokerGate(broker.port);
  cleanup.push(() => gate.close());
  const collectors: Collector[] = [];
  for (const filter of [`${BASE}/events/+`, `${BASE}/overflow`, `${BASE}/health`])
    collectors.push(await collect(broker.url, filter));
  cleanup.push(async () => {
    for (const c of collectors) await c.close();
  });
  const [events, notices, health] = collectors as [Collector, Collector, Collector];
  const config = writeE2eConfig({
    dir,
    uplinkUrl: gate.url,
    readers: reader,
    // Strict sequence order once the way opens (stop-reading checks it); replay.test.ts covers
    // live events sent beside a backlog.
    liveShare: 0,
    extra: `outbox:\n  maxEvents: ${MAX_EVENTS}\n  overflow: ${policy}\n`,
  });
  const daemon: DaemonProcess = startDaemon(config);
  cleanup.push(() => daemon.kill('SIGKILL').then(() => undefined));
  return { daemon, gate, events, notices, health };
}

/** Sequence numbers 1..n not in `have`, as inclusive ranges. */
function gaps(have: Set<number>, n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 1; s <= n; s++) {
    if (have.has(s)) continue;
    const last = out.at(-1);
    if (last && last[1] === s - 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

describe('outbox full', () => {
  for (const policy of ['drop-oldest', 'drop-newest'] as const) {
    it(
      `${policy}: the overflow notices name exactly the sequence numbers the consumer misses`,
      async () => {
        const { daemon, gate, events, notices, health } = await run(policy);
        // Full, broker unreachable: drops are counted in the health log line already.
        const full = await daemon.waitForLog(
          (l) => l.msg === 'health' && outboxOf(l).lastSeq >= OPEN_AT && outboxOf(l).dropped > 0,
          30_000,
        );
        expect(outboxOf(full)).toMatchObject({ depth: MAX_EVENTS, policy, runwayS: 0 });
        gate.open();
        const announced = () =>
          notices.messages.reduce((n, m) => n + (JSON.parse(String(m.payload)) as OverflowNotice).dropped, 0);
        const delivered = () => new Set(events.messages.map(sequence));
        // Every event is either delivered or announced as dropped.
        await expect
          .poll(() => delivered().size + announced(), { timeout: scale(30_000, 120_000), interval: 250 })
          .toBe(READS)
          .catch((err: Error) => {
            const have = delivered();
            const dropped = new Set(
              notices.messages.flatMap((m) =>
                (JSON.parse(String(m.payload)) as OverflowNotice).ranges.flatMap(([x, y]) =>
                  Array.from({ length: y - x + 1 }, (_, i) => x + i),
                ),
              ),
            );
            const missing = Array.from({ length: READS }, (_, i) => i + 1).filter(
              (seq) => !have.has(seq) && !dropped.has(seq),
            );
            const lastHealth = health.messages.at(-1);
            throw new Error(
              `${err.message}\n${missing.length} neither delivered nor announced, first: ${missing.slice(0, 20)}\n` +
                `last health: ${lastHealth ? String(lastHealth.payload) : 'none'}`,
            );
          });
        const got = delivered();
        const parsed = notices.messages.map((m) => JSON.parse(String(m.payload)) as OverflowNotice);
        for (const n of parsed) expect(noticeErrors(n)).toEqual([]);
        const ranges = parsed.flatMap((n) => n.ranges.map(([a, b]) => [a, b] as [number, number]));
        ranges.sort((a, b) => a[0] - b[0]);
        const merged: [number, number][] = [];
        for (const [a, b] of ranges) {
          const last = merged.at(-1);
          expect(last === undefined || a > last[1]).toBe(true); // no sequence number announced twice
          if (last && a === last[1] + 1) last[1] = b;
          else merged.push([a, b]);
        }
        expect(merged).toEqual(gaps(got, READS));
        const dropped = announced();
        expect(parsed.at(-1)!.totalDropped).toBe(dropped);
        expect(parsed.every((n) => n.policy === policy && n.gateway === 'gw-test')).toBe(true);
        if (policy === 'drop-oldest')
          expect([merged[0]![0], Math.max(...got)]).toEqual([1, READS]); // the oldest went, the newest got in
        else expect(merged[0]![0]).toBe(MAX_EVENTS + 1);
        // The health topic counts the same drops.
        await expect
          .poll(
            () => {
              const last = health.messages.at(-1);
              return last && (JSON.parse(String(last.payload)) as HealthPayload).outbox;
            },
            { timeout: 10_000 },
          )
          .toMatchObject({ dropped, totalDropped: dropped, unannouncedDrops: 0, policy });
        const h = (JSON.parse(String(health.messages.at(-1)!.payload)) as HealthPayload).outbox;
        expect([h.firstDroppedSeq, h.lastDroppedSeq]).toEqual([merged[0]![0], merged.at(-1)![1]]);
        console.log(
          `outbox full, ${policy}: ${READS} events, ${got.size} delivered, ${dropped} dropped in ` +
            `${parsed.length} notice(s), ranges ${JSON.stringify(merged)}`,
        );
        expect(await daemon.kill('SIGTERM')).toBe(0);
      },
      scale(60_000, 240_000),
    );
  }

  it(
    'stop-reading: nothing is dropped, the readers wait, and every event arrives in order',
    async () => {
      const { daemon, gate, events, notices, health } = await run('stop-reading');
      const stopped = await daemon.waitForLog(
        (l) => l.msg === 'health' && outboxOf(l).readingStopped && outboxOf(l).stalledS >= 1,
        30_000,
      );
      const seen = outboxOf(stopped);
      expect(seen).toMatchObject({ depth: MAX_EVENTS, dropped: 0, policy: 'stop-reading', stalls: 1 });
      // Reads wait in the reader: the numbers given out are the stored ones plus one held batch at most.
      expect(seen.lastSeq).toBeLessThanOrEqual(MAX_EVENTS + 512);
      gate.open();
      // Distinct numbers: a redelivery must not count as an arrival.
      await expect
        .poll(() => new Set(events.messages.map(sequence)).size, {
          timeout: scale(30_000, 120_000),
          interval: 250,
        })
        .toBe(READS);
      const got = events.messages.map(sequence);
      expect([...new Set(got)].sort((a, b) => a - b)).toEqual(Array.from({ length: READS }, (_, i) => i + 1));
      // In order, apart from redeliveries after the connection came up.
      expect(got.slice(0, MAX_EVENTS)).toEqual(Array.from({ length: MAX_EVENTS }, (_, i) => i + 1));
      await expect
        .poll(
          () => {
            const last = health.messages.at(-1);
            return last && (JSON.parse(String(last.payload)) as HealthPayload).outbox;
          },
          { timeout: 10_000 },
        )
        .toMatchObject({ readingStopped: false, dropped: 0, totalDropped: 0, depth: 0, lastSeq: READS });
      expect(notices.messages).toHaveLength(0);
      expect(await daemon.kill('SIGTERM')).toBe(0);
    },
    scale(60_000, 240_000),
  );
});
