/**
 * Fault: the daemon is SIGKILLed (a crash, the OOM killer; not a power cut: the page cache stays)
 * at random moments of an event stream and restarted each time on the same data directory, with a
 * real Mosquitto upstream. The moments are drawn from a seeded PRNG (the seed is printed; replay with
 * READPOINT_SEED) and are of three kinds:
 * - streaming: when the consumer has seen a random number of events, mid group commit, mid window;
 * - start-up: a random delay after the process is spawned (outbox opening, uplink connecting);
 * - outage: the link to the broker stalls first (a black hole in the proxy), the outbox holds a
 *   backlog when the daemon dies, and the next run starts by replaying it.
 * After the last kill one more run tops the stream up to its size and drains. Zero accepted events
 * lost: the consumer has every sequence number 1..lastSeq, lastSeq read from the outbox after the
 * final run; duplicates (redeliveries after a kill) are at most kills x in-flight window.
 * (This replaces test/e2e/crash.test.ts, whose five fixed kill points it covers.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type DaemonProcess, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import {
  EVENTS_FILTER,
  faultSeed,
  Ledger,
  outboxState,
  seeded,
  storedSequences,
  streamingReader,
  until,
  waitForHealth,
} from '../../support/faults.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { scale } from '../../support/soak.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const EVENTS = scale(3000, 50_000);
const KILLS = scale(4, 20);
const READS_PER_S = scale(1500, 4000);
const WINDOW = 100;
/** Undelivered events the outbox holds when an outage kill strikes, at least. */
const BACKLOG = scale(300, 2000);
/** Start-up kills land this many ms after the spawn at most (the daemon is running by ~500 ms). */
const STARTUP_MS = 700;

type Kind = 'streaming' | 'start-up' | 'outage';

let dir: string;
let broker: Mosquitto;
let proxy: TcpProxy;
let events: Collector | undefined;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-daemon-kill-'));
  broker = await startMosquitto();
  proxy = await startTcpProxy(broker.port);
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  await events?.close();
  await proxy?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** How far a killed daemon had come, from its log. */
function stage(daemon: DaemonProcess): string {
  const seen = (msg: string) => daemon.logs.some((l) => l.msg === msg);
  if (seen('uplink connected')) return 'connected';
  if (seen('readpoint running')) return 'running, not connected';
  if (seen('outbox open')) return 'outbox open';
  return 'before the outbox opened';
}

describe('daemon SIGKILL at random moments', () => {
  it(
    `loses no accepted event across ${KILLS} kills during a ${EVENTS}-event stream`,
    async () => {
      const seed = faultSeed();
      const report: string[] = [];
      onTestFailed(() =>
        console.error(
          `daemon-kill: seed ${seed} (replay with READPOINT_SEED=${seed})\n  ${report.join('\n  ')}`,
        ),
      );
      const random = seeded(seed);
      const outages = Math.max(1, Math.round(KILLS * 0.2));
      const startups = Math.max(1, Math.round(KILLS * 0.1));
      const kinds = random.shuffle<Kind>([
        ...Array<Kind>(outages).fill('outage'),
        ...Array<Kind>(startups).fill('start-up'),
        ...Array<Kind>(KILLS - outages - startups).fill('streaming'),
      ]);
      const positions = random.points(KILLS, Math.ceil(EVENTS * 0.05), Math.floor(EVENTS * 0.9));
      events = await collect(broker.url, EVENTS_FILTER);
      const ledger = new Ledger(events);
      const dataDir = join(dir, 'data');
      let lastSeq = 0;
      const redelivered: number[] = [];

      for (const [i, kind] of kinds.entries()) {
        const config = writeE2eConfig({
          dir,
          uplinkUrl: proxy.url,
          readers: streamingReader({ readsPerSecond: READS_PER_S, seed: seed + i }),
          inflight: WINDOW,
        });
        const daemon = startDaemon(config);
        daemons.push(daemon);
        const atSpawn = ledger.distinct;
        let moment: string;
        if (kind === 'start-up') {
          const afterMs = random.int(0, STARTUP_MS);
          await new Promise((r) => setTimeout(r, afterMs)); // the fault's moment, not a synchronisation
          moment = `${afterMs} ms after spawn`;
        } else {
          // A mid-stream moment of this run: at least one event of its own delivered first.
          const position = Math.max(positions[i]!, atSpawn + 1);
          await until(
            () => ledger.distinct >= position,
            30_000,
            () => `run ${i + 1}: ${ledger.distinct} of ${position} events delivered before the kill`,
          );
          moment = `after ${ledger.distinct} delivered`;
          if (kind === 'outage') {
            const since = daemon.logs.length;
            proxy.stall();
            const line = await waitForHealth(daemon, (h) => h.outbox.depth >= BACKLOG, 15_000, since);
            moment += `, link stalled, ${(line.health as { outbox: { depth: number } }).outbox.depth}+ undelivered`;
          }
        }
        const reached = stage(daemon);
        expect(await daemon.kill('SIGKILL')).toBe('SIGKILL');
        proxy.resume();
        const state = await outboxState(dataDir);
        // Sequence numbers survive the crash: never handed out twice.
        expect(state.lastSeq).toBeGreaterThanOrEqual(lastSeq);
        lastSeq = state.lastSeq;
        // Still stored but already received: sent again by the next run (in flight, or PUBACKed
        // with the delete not yet written when the process died).
        const again = ledger.countReceived(await storedSequences(dataDir));
        redelivered.push(again);
        report.push(
          `kill ${i + 1} (${kind}) ${moment} [${reached}]: lastSeq ${state.lastSeq}, ` +
            `stored ${state.depth}, of which ${again} already received`,
        );
      }

      // The last run tops the stream up to EVENTS and drains everything.
      const limit = Math.max(1, EVENTS - lastSeq);
      const expected = lastSeq + limit;
      const config = writeE2eConfig({
        dir,
        uplinkUrl: proxy.url,
        readers: streamingReader({ readsPerSecond: READS_PER_S, seed: seed + KILLS, limit }),
        inflight: WINDOW,
      });
      const final = startDaemon(config);
      daemons.push(final);
      await ledger.waitForAll(expected, scale(60_000, 300_000));
      await waitForHealth(final, (h) => h.outbox.depth === 0 && h.outbox.lastSeq === expected, 10_000);
      expect(await final.kill('SIGTERM')).toBe(0);
      const state = await outboxState(dataDir);
      expect(state.lastSeq).toBe(expected);
      expect(state.depth).toBe(0);
      expect(ledger.missing(state.lastSeq)).toEqual([]);
      expect(ledger.unexpected(state.lastSeq)).toEqual([]);
      expect(ledger.distinct).toBe(state.lastSeq);
      expect(ledger.duplicates).toBeLessThanOrEqual(KILLS * WINDOW);
      report.push(
        `final run: ${limit} more events; delivered ${ledger.distinct} distinct (1..${state.lastSeq}), ` +
          `${ledger.duplicates} duplicates (bound ${KILLS * WINDOW}; stored-but-received per kill: ` +
          `${redelivered.join(', ')}), 0 lost; seed ${seed}`,
      );
      console.log(`daemon-kill:\n  ${report.join('\n  ')}`);
    },
    scale(90_000, 900_000),
  );
});
