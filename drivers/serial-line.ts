/**
 * A line-oriented scanner on a serial port (RS-232, USB-serial, USB CDC-ACM): frames reads with
 * drivers/framing.ts, hands them over one at a time, and reconnects with backoff when the device
 * is absent or vanishes (unplugged, its USB-serial adapter reset).
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { SerialLineConfig } from '../config/schema.js';
import { Backoff } from '../daemon/backoff.js';
import type { Driver, RawRead, ReaderState, ReaderStatus, ReadSink } from './driver.js';
import { Framer, parseDelimiter } from './framing.js';
import { Handover } from './handover.js';
import type { DriverContext } from './registry.js';

/** Frames waiting for the sink before the port is paused. */
const HIGH_WATER = 64;

export class SerialLineDriver extends EventEmitter implements Driver {
  readonly id: string;
  private port: SerialPort | undefined;
  private sink: ReadSink | undefined;
  private handover: Handover | undefined;
  private framer: Framer | undefined;
  private readonly queue: RawRead[] = [];
  private pumping: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private running = false;
  private current: ReaderState = 'idle';
  private lastError: string | undefined;
  private failures = 0;
  private counts = { reads: 0, rejects: 0, reconnects: 0, discardedOnStop: 0 };
  private lastReadAt: number | undefined;
  private everConnected = false;

  constructor(
    private readonly config: SerialLineConfig,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.backoff = new Backoff(config.retry);
  }

  async start(sink: ReadSink): Promise<void> {
    if (this.running) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.running = true;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    if (this.framer) {
      if (this.framer.pending() > 0) this.counts.discardedOnStop++;
      this.framer.stop();
    }
    await this.pumping;
    await this.handover?.drain();
    await this.closePort();
    if (this.current !== 'idle' || this.sink) this.setState('stopped');
  }

  status(): ReaderStatus {
    return {
      id: this.id,
      driver: 'serial-line',
      state: this.current,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...this.counts,
      ...(this.lastReadAt !== undefined ? { lastReadAt: this.lastReadAt } : {}),
    };
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.setState('connecting');
    const { config } = this;
    const port = new SerialPort({
      path: config.path,
      baudRate: config.baudRate,
      dataBits: config.dataBits,
      parity: config.parity,
      stopBits: config.stopBits,
      autoOpen: false,
      ...(this.ctx.binding ? { binding: this.ctx.binding as never } : {}),
    });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.failed(`cannot open ${config.path}: ${(err as Error).message}`);
      return;
    }
    if (!this.running) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      return;
    }
    this.port = port;
    this.framer = new Framer(
      {
        delimiter: parseDelimiter(config.delimiter),
        maxLength: config.maxReadLength,
        silenceMs: config.silenceMs,
      },
      {
        frame: (data) => this.enqueue(data),
        overlong: (head) => {
          this.counts.rejects++;
          this.sink?.reject({
            readerId: this.id,
            code: 'overlong',
            message: `a read longer than maxReadLength (${config.maxReadLength} bytes) was discarded up to the next delimiter`,
            data: Buffer.from(head),
            at: Date.now(),
          });
        },
      },
    );
    port.on('data', (chunk: Buffer) => this.framer?.push(chunk));
    port.once('close', (err?: Error) => this.lost(err ? `device closed: ${err.message}` : 'device closed'));
    port.on('error', (err: Error) => this.lost(`device error: ${err.message}`));
    if (this.everConnected) this.counts.reconnects++;
    this.everConnected = true;
    this.failures = 0;
    this.backoff.reset();
    this.lastError = undefined;
    this.ctx.log.info({ path: config.path }, 'reader connected');
    this.setState('connected');
  }

  private failed(reason: string): void {
    this.failures++;
    this.lastError = reason;
    const delay = this.backoff.next();
    // First failure at warn, then quietly with a count: a flapping device must not flood the log.
    if (this.failures === 1) this.ctx.log.warn({ reason, retryInMs: delay }, 'reader unavailable; retrying');
    else this.ctx.log.debug({ reason, attempt: this.failures, retryInMs: delay }, 'reader still unavailable');
    this.setState('disconnected');
    if (this.running) this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private lost(reason: string): void {
    if (!this.port) return;
    const port = this.port;
    this.port = undefined;
    port.removeAllListeners();
    port.on('error', () => {}); // a late error of a dead port is not news
    if (port.isOpen) port.close(() => {});
    this.framer?.stop();
    if (!this.running) return;
    this.failed(reason);
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port) return;
    port.removeAllListeners();
    port.on('error', () => {});
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private enqueue(data: Buffer): void {
    this.queue.push({ readerId: this.id, kind: 'barcode', data, at: Date.now(), mono: performance.now() });
    if (this.queue.length >= HIGH_WATER) this.port?.pause();
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Hands reads to the sink in order, within the handover window. */
  private async pump(): Promise<void> {
    for (let read = this.queue.shift(); read; read = this.queue.shift()) {
      this.counts.reads++;
      this.lastReadAt = read.at;
      await this.handover!.push(read);
      if (this.queue.length < HIGH_WATER / 4 && this.port?.isPaused()) this.port.resume();
    }
  }

  private setState(state: ReaderState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', this.status());
  }
}
