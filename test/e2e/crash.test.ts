/**
 * Crash safety on real processes: the daemon is SIGKILLed at several points while reads stream
 * in and events stream out to Mosquitto, and restarted on the same data directory each time.
 * Every event the outbox accepted must reach the broker: the sequence numbers delivered must be
 * exactly 1..lastSeq, with no gap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { collect } from '../support/mqtt-collector.js';

let dir: string;
let broker: Mosquitto;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-crash-'));
  broker = await startMosquitto();
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const simulator = (readsPerSecond: number, limit?: number) => `  - id: sim-1
    driver: simulator
    readPoint: conveyor-1
    readsPerSecond: ${readsPerSecond}
    units: 1000000
    repeats: 1
    garbageShare: 0
    epcShare: 0.3
${limit ? `    limit: ${limit}\n` : ''}`;

async function outboxAfterCrash() {
  const outbox = new LevelOutbox(
    join(dir, 'data', 'outbox'),
    { maxEvents: 1_000_000, maxBytes: 1 << 30, overflow: 'drop-oldest', batchMax: 512 },
    silentLogger(),
  );
  await outbox.open();
  const stats = outbox.stats();
  await outbox.close();
  return stats;
}

describe('SIGKILL mid-stream', () => {
  it('loses no accepted event across 5 kills at different points', async () => {
    const events = await collect(broker.url, 'readpoint/v1/site-test/gw-test/events/+');
    const report: string[] = [];
    try {
      const streaming = writeE2eConfig({
        dir,
        uplinkUrl: broker.url,
        readers: simulator(3000),
        inflight: 100,
      });
      // Kill after different amounts of traffic: early (outbox just opened), mid-batch, later;
      // twice with the broker down first, so the outbox holds a backlog when the daemon dies.
      for (const [after, backlog] of [
        [50, false],
        [700, true],
        [1500, false],
        [2600, true],
        [4100, false],
      ] as const) {
        const daemon = startDaemon(streaming);
        daemons.push(daemon);
        const before = events.messages.length;
        await events.waitFor(before + after, 60_000);
        if (backlog) {
          await broker.kill();
          await daemon.waitForLog(
            (l) => l.msg === 'health' && (l.health as { outbox: { depth: number } }).outbox.depth >= 1000,
            30_000,
          );
        }
        expect(await daemon.kill('SIGKILL')).toBe('SIGKILL');
        const stats = await outboxAfterCrash();
        report.push(
          `kill after +${after} delivered${backlog ? ' (broker down)' : ''}: lastSeq ${stats.lastSeq}, undelivered in outbox ${stats.depth}`,
        );
        if (backlog) {
          expect(stats.depth).toBeGreaterThanOrEqual(1000);
          const subscribed = events.subscribed;
          await broker.restart();
          await expect.poll(() => events.subscribed, { timeout: 15_000 }).toBeGreaterThan(subscribed);
        }
      }
      const { lastSeq } = await outboxAfterCrash();
      // Drain: one more run whose reader sends a single read, then everything must arrive.
      const draining = writeE2eConfig({ dir, uplinkUrl: broker.url, readers: simulator(1, 1) });
      const daemon = startDaemon(draining);
      daemons.push(daemon);
      const expected = lastSeq + 1;
      await expect
        .poll(() => new Set(events.messages.map((m) => JSON.parse(String(m.payload))['rp:sequence'])).size, {
          timeout: 60_000,
          interval: 200,
        })
        .toBe(expected);
      expect(await daemon.kill('SIGTERM')).toBe(0);
      const sequences = [
        ...new Set(events.messages.map((m) => JSON.parse(String(m.payload))['rp:sequence'] as number)),
      ];
      expect(sequences.sort((a, b) => a - b)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
      const duplicates = events.messages.length - sequences.length;
      expect(duplicates).toBeLessThanOrEqual(5 * 2 * 100 + 100);
      report.push(
        `delivered ${sequences.length} distinct events (1..${expected}), ${duplicates} duplicates, 0 lost`,
      );
      console.log(`crash test:\n  ${report.join('\n  ')}`);
    } finally {
      await events.close();
    }
  }, 300_000);
});
