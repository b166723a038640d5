/**
 * Node-RED itself on the PTY bench's scanner line: the pinned Node-RED (node-red-install.ts) runs
 * headless in a process of its own with the flow serial in -> function (trim) -> mqtt out QoS 1
 * (node-red-setup.ts), on the same socat PTY, writer and Mosquitto as pty-lines.ts.
 *
 * Node-RED reports no PUBACKs, so the end point is at the broker: a QoS 1 subscriber in this
 * process, subscribed before Node-RED starts, counts the distinct lines Mosquitto delivers. The
 * run is timed from the writer's start to the last distinct line received. Node-RED's start-up is
 * not counted: the writer starts once its log says the flow started, the serial port opened and
 * the broker connected. Its CPU is utime + stime of its process (and of its main thread) from
 * /proc between those two moments; its peak RSS is the kernel's VmHWM, reset just before the
 * writer starts (so the start-up's peak is not counted either, only what it holds during the run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { statCpuTicks } from './cpu.js';
import {
  benchFlow,
  benchSettings,
  NODE_RED_TOPIC,
  noteStartupLine,
  ready,
  settingsModule,
  startupSeen,
} from './node-red-setup.js';
import { peakRssMb, resetPeakRss } from './peak-rss.js';
import { type PtyResult, until, withScannerLines } from './scanner-pty.js';

/** Clock ticks per second of /proc's utime and stime (USER_HZ). */
const TICKS_PER_SECOND = 100;
/** How long Node-RED may take to start its flow before the run is called failed. */
const STARTUP_MS = 120_000;

/** CPU of process `pid` so far, µs: the whole process and its main thread. */
function cpuOf(pid: number): { processUs: number; mainUs: number } {
  const us = (stat: string) => (statCpuTicks(stat) * 1_000_000) / TICKS_PER_SECOND;
  return {
    processUs: us(readFileSync(`/proc/${pid}/stat`, 'utf8')),
    mainUs: us(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')),
  };
}

/** Resolves when Node-RED's log says the flow is ready; rejects on an error line or its exit. */
function started(red: ChildProcess, serialPath: string, log: string[]): Promise<void> {
  const seen = startupSeen();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        finish(new Error(`Node-RED did not start its flow in ${STARTUP_MS / 1000} s: ${log.join(' / ')}`)),
      STARTUP_MS,
    );
    let partial = '';
    const onData = (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        log.push(line);
        log.splice(0, Math.max(0, log.length - 20));
        noteStartupLine(seen, line, serialPath);
      }
      if (seen.error !== undefined) finish(new Error(`Node-RED logged an error: ${seen.error}`));
      else if (ready(seen)) finish();
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`Node-RED exited with ${code ?? signal} while starting: ${log.join(' / ')}`));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      red.stdout?.off('data', onData);
      red.stderr?.off('data', onData);
      red.off('exit', onExit);
      // Keep reading its output, so a full pipe never blocks it, and its last lines for an error.
      const record = (chunk: string) => {
        log.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
        log.splice(0, Math.max(0, log.length - 20));
      };
      red.stdout?.on('data', record);
      red.stderr?.on('data', record);
      if (err) reject(err);
      else resolve();
    };
    red.stdout?.setEncoding('utf8').on('data', onData);
    red.stderr?.setEncoding('utf8').on('data', onData);
    red.once('exit', onExit);
  });
}

export async function benchNodeRed(o: { url: string; lines: number; redJs: string }): Promise<PtyResult> {
  return withScannerLines(o.lines, async (readerPath, go) => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-bench-node-red-'));
    const flowFile = join(dir, 'flows.json');
    const settingsFile = join(dir, 'settings.js');
    writeFileSync(
      flowFile,
      JSON.stringify(
        benchFlow({ serialPath: readerPath, brokerUrl: o.url, clientId: `rp-bench-node-red-${process.pid}` }),
      ),
    );
    writeFileSync(settingsFile, settingsModule(benchSettings({ userDir: dir, flowFile })));

    const received = new Set<string>();
    let untrimmed = 0;
    // Taken as the last distinct line arrives, not on the next poll.
    let t1 = Number.NaN;
    let cpu1: { processUs: number; mainUs: number } | undefined;
    const subscriber = mqtt.connect(o.url, {
      clientId: `rp-bench-node-red-sub-${process.pid}`,
      reconnectPeriod: 0,
    });
    let red: ChildProcess | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        subscriber.once('connect', () => resolve());
        subscriber.once('error', reject);
      });
      subscriber.on('message', (_topic, payload) => {
        const line = payload.toString('latin1');
        if (line.endsWith('\r')) untrimmed++;
        received.add(line);
        if (received.size === o.lines && red?.pid !== undefined) {
          t1 = performance.now();
          cpu1 = cpuOf(red.pid);
        }
      });
      await subscriber.subscribeAsync(NODE_RED_TOPIC, { qos: 1 });

      const log: string[] = [];
      red = spawn(process.execPath, [o.redJs, '--settings', settingsFile, '--userDir', dir], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await started(red, readerPath, log);
      const pid = red.pid;
      if (pid === undefined) throw new Error('Node-RED has no process id');

      resetPeakRss(pid);
      const cpu0 = cpuOf(pid);
      const t0 = performance.now();
      go();
      await until(
        () => cpu1 !== undefined,
        () => received.size,
        () => `Node-RED stuck at ${received.size} of ${o.lines} lines at the subscriber: ${log.join(' / ')}`,
        50,
      );
      const rssMb = peakRssMb(pid);
      if (received.size !== o.lines || cpu1 === undefined)
        throw new Error(`${received.size} distinct lines for ${o.lines} written`);
      const seconds = (t1 - t0) / 1000;
      if (untrimmed !== 0)
        throw new Error(`${untrimmed} lines reached the broker with their CR: the function node did not run`);
      return {
        perSecond: o.lines / seconds,
        cpuUs: (cpu1.processUs - cpu0.processUs) / o.lines,
        mainUs: (cpu1.mainUs - cpu0.mainUs) / o.lines,
        lines: o.lines,
        rssMb,
      };
    } finally {
      if (red && red.exitCode === null && red.signalCode === null) {
        const gone = new Promise((r) => red?.once('exit', r));
        red.kill('SIGKILL');
        await gone;
      }
      await subscriber.endAsync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
