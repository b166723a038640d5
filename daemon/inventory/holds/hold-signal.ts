/**
 * The local signal of a read point: when a held unit is seen there, bytes written to a serial
 * device (a USB relay, a stack light) and/or a configured command run, so the dock knows at once,
 * whatever the state of the uplink. The command's argv comes from the configuration only, and
 * runs without a shell; what was seen reaches it through its environment. Each signal is bounded
 * in time; while one runs at a read point, further ones there are merged into one more after it.
 */
import { execFile } from 'node:child_process';
import { SerialPort } from 'serialport';
import type { HoldSignalConfig } from '../../../config/holds.js';
import type { Logger } from '../../log.js';

export interface SignalCounts {
  signals: number;
  failures: number;
}

class PointSignal {
  private running = false;
  private again: string | undefined;
  private offTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly readPointId: string,
    private readonly config: HoldSignalConfig,
    private readonly counts: SignalCounts,
    private readonly log: Logger,
  ) {}

  fire(unit: string): void {
    if (this.running) {
      this.again = unit;
      return;
    }
    this.running = true;
    this.run(unit)
      .then(
        () => {
          this.counts.signals++;
        },
        (err: unknown) => {
          this.counts.failures++;
          this.log.warn({ err, readPoint: this.readPointId }, 'hold signal failed');
        },
      )
      .finally(() => {
        this.running = false;
        const next = this.again;
        this.again = undefined;
        if (next !== undefined) this.fire(next);
      });
  }

  stop(): void {
    clearTimeout(this.offTimer);
  }

  private async run(unit: string): Promise<void> {
    const { path, bytes, command, offBytes, offAfterMs } = this.config;
    const work: Promise<void>[] = [];
    if (path && bytes) work.push(this.write(path, bytes));
    if (command) work.push(this.command(command, unit));
    await Promise.all(work);
    if (path && offBytes) {
      clearTimeout(this.offTimer);
      this.offTimer = setTimeout(() => {
        this.write(path, offBytes).catch((err: unknown) => {
          this.counts.failures++;
          this.log.warn({ err, readPoint: this.readPointId }, 'hold signal (off) failed');
        });
      }, offAfterMs);
      this.offTimer.unref();
    }
  }

  /** Opens the device, writes, waits for the bytes to leave, closes; within timeoutMs. */
  private write(path: string, hex: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: this.config.baudRate, autoOpen: false });
      const timer = setTimeout(() => {
        finish(new Error(`no answer from ${path} within ${this.config.timeoutMs} ms`));
      }, this.config.timeoutMs);
      let done = false;
      const finish = (err?: Error | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (port.isOpen) port.close(() => (err ? reject(err) : resolve()));
        else if (err) reject(err);
        else resolve();
      };
      port.open((err) => {
        if (err) return finish(err);
        port.write(Buffer.from(hex, 'hex'), (werr) => {
          if (werr) return finish(werr);
          port.drain((derr) => finish(derr));
        });
      });
    });
  }

  private command(argv: readonly string[], unit: string): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        argv[0]!,
        argv.slice(1),
        {
          timeout: this.config.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024,
          env: { ...process.env, READPOINT_READ_POINT: this.readPointId, READPOINT_UNIT: unit },
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
}

/** The signals of every read point that has one. */
export class HoldSignals {
  readonly counts: SignalCounts = { signals: 0, failures: 0 };
  private readonly points = new Map<string, PointSignal>();

  constructor(readPoints: readonly { id: string; holdSignal?: HoldSignalConfig }[], log: Logger) {
    for (const rp of readPoints) {
      const c = rp.holdSignal;
      if (!c) continue;
      if (!c.command && !(c.path && c.bytes))
        throw new Error(`read point ${rp.id}: holdSignal needs path and bytes, or command`);
      this.points.set(rp.id, new PointSignal(rp.id, c, this.counts, log));
    }
  }

  /** Signals a held unit at a read point (no-op where none is configured). */
  fire(readPointId: string, unit: string): void {
    const point = this.points.get(readPointId);
    // Off the read path: opening a device or starting a program is not done between reads.
    if (point) setImmediate(() => point.fire(unit));
  }

  stop(): void {
    for (const p of this.points.values()) p.stop();
  }
}
