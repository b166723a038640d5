/**
 * Capacity through a real PTY: lines/s a serial scanner line delivers through the whole daemon
 * (socat PTY -> serial-line driver -> decode -> smoothing -> recorder -> LevelDB outbox ->
 * dispatcher -> mqtt.js -> Mosquitto's PUBACK), timed from the first line written to the PUBACK
 * of the last event, with the CPU it took. The lines come from pty-writer.ts in a process of its
 * own and pass through socat, so neither's CPU is counted here. Every line is a new unit, so each
 * becomes one event. serial-flow.ts reads the same lines the way a Node-RED flow does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../config/load.js';
import { Gateway } from '../../daemon/gateway.js';
import { silentLogger } from '../../daemon/log.js';
import { openPtyDevice } from '../support/pty-device.js';
import { cpuMark, type Measured, measuredSince } from './cpu.js';

export interface PtyResult extends Measured {
  readonly lines: number;
  /** Peak RSS of the process during its run, MB. */
  readonly rssMb: number;
}

/** How long a run may go without a line getting further before it is called stuck. */
export const STUCK_MS = 30_000;

/**
 * Resolves once `done()` holds, checking every `everyMs`; rejects with `stuck()` once `progress()`
 * has not moved for STUCK_MS.
 */
export async function until(
  done: () => boolean,
  progress: () => number,
  stuck: () => string,
  everyMs: number,
): Promise<void> {
  let last = progress();
  let movedAt = performance.now();
  while (!done()) {
    await new Promise((r) => setTimeout(r, everyMs));
    const now = progress();
    if (now !== last) {
      last = now;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > STUCK_MS) throw new Error(stuck());
  }
}

/** A line of the writer's stdout, or its exit as an error. */
function said(writer: ChildProcess, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: string) => {
      out += chunk;
      if (out.split('\n').includes(word)) {
        writer.stdout?.off('data', onData);
        writer.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`the line writer exited with ${code}`));
    writer.stdout?.setEncoding('utf8').on('data', onData);
    writer.once('exit', onExit);
  });
}

/**
 * A socat PTY and a writer holding its device end with `lines` lines ready; `run` gets the path
 * the reader opens and `go`, which starts the writing. Everything is gone when `run` settles.
 */
export async function withScannerLines<T>(
  lines: number,
  run: (readerPath: string, go: () => void) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-pty-'));
  const pty = await openPtyDevice(dir, 'scanner');
  let writer: ChildProcess | undefined;
  try {
    writer = spawn(
      process.execPath,
      [fileURLToPath(new URL('./pty-writer.js', import.meta.url)), pty.devicePath, String(lines)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await said(writer, 'ready');
    const w = writer;
    return await run(pty.readerPath, () => w.stdin?.write('go\n'));
  } finally {
    writer?.kill('SIGKILL');
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

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
    let rss = 0;
    try {
      await gateway.start();
      const ready = () => {
        const h = gateway.health();
        return h?.uplink.state === 'connected' && h.readers[0]?.state === 'connected';
      };
      while (!ready()) await new Promise((r) => setTimeout(r, 10));
      const started = cpuMark();
      go();
      for (;;) {
        const h = gateway.health();
        rss = Math.max(rss, process.memoryUsage.rss());
        if (h && h.events.published >= o.lines) {
          if (h.events.published !== o.lines || h.events.rejected !== 0)
            throw new Error(
              `${o.lines} lines gave ${JSON.stringify(h.events)}: lines and events do not pair`,
            );
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return { ...measuredSince(started, o.lines), lines: o.lines, rssMb: rss / 1048576 };
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
