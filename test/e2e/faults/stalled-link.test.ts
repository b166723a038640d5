/**
 * Fault: a stalled network. A TCP proxy between the daemon and Mosquitto stops forwarding without
 * closing either socket (a black hole: bytes read and dropped, no FIN, no RST). Only the MQTT
 * keepalive can tell; with uplink.keepaliveS = 2 the daemon must log the link lost within
 * 1.5 x keepalive of the stall, try again, connect through the proxy once it forwards again, and
 * deliver every accepted event: the consumer sees 1..lastSeq exactly.
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
  healthOf,
  Ledger,
  outboxState,
  seeded,
  setKeepalive,
  streamingReader,
  until,
  waitForHealth,
} from '../../support/faults.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { scale } from '../../support/soak.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

const KEEPALIVE_S = 2;
const WINDOW = 100;
const EVENTS = scale(4000, 50_000);
const READS_PER_S = scale(1000, 2500);
const STALLS = scale(2, 8);

let dir: string;
let broker: Mosquitto;
let proxy: TcpProxy;
let events: Collector | undefined;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-stall-'));
  broker = await startMosquitto();
  proxy = await startTcpProxy(broker.port);
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await events?.close();
  await proxy?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('stalled link (black hole between daemon and broker)', () => {
  it(
    `detects each of ${STALLS} stalls within 1.5 x keepalive, reconnects, loses nothing`,
    async () => {
      const seed = faultSeed();
      const report: string[] = [];
      onTestFailed(() =>
        console.error(
          `stalled-link: seed ${seed} (replay with READPOINT_SEED=${seed})\n  ${report.join('\n  ')}`,
        ),
      );
      const random = seeded(seed);
      events = await collect(broker.url, EVENTS_FILTER);
      const ledger = new Ledger(events);
      const config = writeE2eConfig({
        dir,
        uplinkUrl: proxy.url,
        readers: streamingReader({ readsPerSecond: READS_PER_S, limit: EVENTS, seed }),
        inflight: WINDOW,
      });
      setKeepalive(config, KEEPALIVE_S);
      daemon = startDaemon(config);
      const running = daemon;
      await running.waitForLog((l) => l.msg === 'uplink connected', 15_000);

      const positions = random.points(STALLS, Math.floor(EVENTS * 0.05), Math.floor(EVENTS * 0.85));
      for (const [i, position] of positions.entries()) {
        await until(
          () => ledger.distinct >= position,
          30_000,
          () => `stall ${i + 1}: ${ledger.distinct} of ${position} events delivered before the stall`,
        );
        const since = running.logs.length;
        const droppedBefore = proxy.dropped;
        const stalledAt = Date.now();
        proxy.stall();
        const lost = await running.waitForLog(
          (l) => l.msg === 'uplink connection lost',
          3000 * KEEPALIVE_S + 5000,
          since,
        );
        const detectedMs = Date.parse(String(lost.time)) - stalledAt;
        expect(String(lost.lastError)).toMatch(/keepalive/i);
        expect(detectedMs).toBeGreaterThan(0);
        expect(detectedMs).toBeLessThanOrEqual(1500 * KEEPALIVE_S);
        // The state shows it too: the next health line no longer says connected.
        const health = await waitForHealth(running, (h) => h.uplink.state !== 'connected', 5000, since);
        expect(['connecting', 'disconnected']).toContain(healthOf(health).uplink.state);
        // The hole swallowed what the daemon sent (events, PINGREQ); it already tries again.
        expect(proxy.dropped).toBeGreaterThan(droppedBefore);
        await until(
          () => proxy.waiting >= 1,
          10_000,
          () => `stall ${i + 1}: no reconnect attempt reached the proxy`,
        );
        const resumedAt = Date.now();
        proxy.resume();
        const up = await running.waitForLog((l) => l.msg === 'uplink connected', 15_000, since);
        report.push(
          `stall ${i + 1} after ${position} events: detected in ${detectedMs} ms (limit ${1500 * KEEPALIVE_S}), ` +
            `connected again ${Date.parse(String(up.time)) - resumedAt} ms after forwarding resumed`,
        );
      }

      await ledger.waitForAll(EVENTS, scale(30_000, 120_000));
      await waitForHealth(running, (h) => h.outbox.depth === 0 && h.outbox.lastSeq === EVENTS, 10_000);
      expect(await running.kill('SIGTERM')).toBe(0);
      const { lastSeq, depth } = await outboxState(join(dir, 'data'));
      expect(lastSeq).toBe(EVENTS);
      expect(depth).toBe(0);
      expect(ledger.missing(lastSeq)).toEqual([]);
      expect(ledger.unexpected(lastSeq)).toEqual([]);
      expect(ledger.distinct).toBe(lastSeq);
      expect(running.logs.filter((l) => l.msg === 'uplink connected')).toHaveLength(STALLS + 1);
      expect(ledger.duplicates).toBeLessThanOrEqual(STALLS * WINDOW);
      report.push(
        `delivered ${ledger.distinct} distinct events (1..${lastSeq}), ${ledger.duplicates} duplicates, 0 lost; ` +
          `${proxy.reset} links reset after their stall, seed ${seed}`,
      );
      console.log(`stalled-link:\n  ${report.join('\n  ')}`);
    },
    scale(60_000, 900_000),
  );
});
