/**
 * Capacity through a real PTY: lines/s a serial scanner line delivers through the whole daemon
 * (socat PTY -> serial-line driver -> decode -> smoothing -> recorder -> LevelDB outbox ->
 * dispatcher -> mqtt.js -> Mosquitto's PUBACK), timed from the first line written to the PUBACK
 * of the last event, with the CPU it took. The lines come from pty-writer.ts in a process of its
 * own and pass through socat, so neither's CPU is counted here. Every line is a new unit, so each
 * becomes one event. serial-flow.ts reads the same lines the way a Node-RED flow does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/load.js';
import { Gateway } from '../../daemon/gateway.js';
import { silentLogger } from '../../daemon/log.js';
import { cpuMark, measuredSince } from './cpu.js';
import { peakRssMb, resetPeakRss } from './peak-rss.js';
import { type PtyResult, until, withScannerLines } from './scanner-pty.js';

export async function benchPtyGateway(o: {
  url: string;
  lines: number;
  inflight: number;
  sync: 'batch' | 'interval';
}): Promise<PtyResult> {
  return withScannerLines(o.lines, async (readerPath, go) => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-bench-ptygw-'));
    const config = parseConfig(
      `gateway: { id: bench, site: bench }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink: { url: "${o.url}", inflight: ${o.inflight}, healthIntervalS: 3600 }
outbox: { sync: ${o.sync} }
readPoints: [{ id: line-1, bizStep: shipping }]
readers:
  - { id: scanner, driver: serial-line, readPoint: line-1, path: ${readerPath}, baudRate: 115200, delimiter: CR }
`,
      'bench.yaml',
    );
    const gateway = new Gateway(config, silentLogger());
    try {
      await gateway.start();
      const health = () => gateway.health();
      await until(
        () => health()?.uplink.state === 'connected' && health()?.readers[0]?.state === 'connected',
        () => 0,
        () =>
          `the gateway did not connect its reader and uplink: ${JSON.stringify({ uplink: health()?.uplink, readers: health()?.readers })}`,
        10,
      );
      resetPeakRss();
      const started = cpuMark();
      go();
      // One health snapshot per poll: the poll's cost is counted against the gateway.
      let published = 0;
      await until(
        () => {
          published = health()?.events.published ?? 0;
          return published >= o.lines;
        },
        () => published,
        () => `PTY bench stuck at ${published} of ${o.lines} events: ${JSON.stringify(health()?.events)}`,
        20,
      );
      const measured = measuredSince(started, o.lines);
      const events = health()?.events;
      if (events?.published !== o.lines || events.rejected !== 0)
        throw new Error(`${o.lines} lines gave ${JSON.stringify(events)}: lines and events do not pair`);
      return { ...measured, lines: o.lines, rssMb: peakRssMb() };
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
