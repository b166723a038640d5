/**
 * A line-oriented scanner on a serial port (RS-232, USB-serial, USB CDC-ACM): frames reads with
 * drivers/framing.ts, hands them to the sink in order within the handover window, and reconnects
 * with backoff when the device is absent or vanishes (unplugged, its USB-serial adapter reset).
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { SerialLineConfig } from '../config/schema.js';
import { Backoff } from '../daemon/backoff.js';
import type { Driver, RawRead, ReaderState, ReaderStatus, ReadSink } from './driver.js';
import { Framer, parseDelimiter } from './framing.js';
import { Handover } from './handover.js';
import type { DriverContext } from './registry.js';

/** Framed reads waiting for the handover window before the port is paused, and resumed. */
const HIGH_WATER = 64;
const LOW_WATER = 16;

export class SerialLineDriver extends EventEmitter implements Driver {
  readonly id: string;
  private handover: Handover | undefined;
  private sink: ReadSink | undefined;
  private port: SerialPort | undefined;
  private framer: Framer | undefined;
  private readonly queue: RawRead[] = [];
  private pumping = false;
  private pumped: Promise<void> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;
  private current: ReaderState = 'idle';
  private lastError: string | undefined;
  /** Failed attempts since the device was last connected for good (see lost()). */
  private readonly backoff: Backoff;
  private connectedAt = 0;
  private everConnected = false;
  private readonly counts = { reads: 0, rejects: 0, reconnects: 0, discardedOnStop: 0 };
  private lastReadAt: number | undefined;

  constructor(
    private readonly config: SerialLineConfig,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.backoff = new Backoff(config.retry);
  }

  async start(sink: ReadSink): Promise<void> {
    // A stopped driver stays stopped: a gateway shutting down mid-start must not reopen the port.
    if (this.running || this.stopping) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.running = true;
    this.setState('connecting');
    await this.attempt();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  status(): ReaderStatus {
    return {
      id: this.id,
      driver: 'serial-line',
      state: this.current,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...this.counts,
      ...(this.lastReadAt !== undefined ? { lastReadAt: this.lastReadAt } : {}),
    };
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting; // an open in flight closes its port itself once it sees we stopped
    if (this.framer) {
      if (this.framer.pending() > 0) this.counts.discardedOnStop++;
      this.framer.stop();
      this.framer = undefined;
    }
    // Reads already framed are handed over; then every pending sink call settles.
    while (this.pumping) await this.pumped;
    await this.handover?.drain();
    await this.closePort();
    this.setState('stopped');
  }

  private attempt(): Promise<void> {
    this.retryTimer = undefined;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const { config } = this;
    let port: SerialPort;
    try {
      // The default exclusive lock stays on: two processes reading one scanner would split its reads.
      port = new SerialPort({
        path: config.path,
        baudRate: config.baudRate,
        dataBits: config.dataBits,
        parity: config.parity,
        stopBits: config.stopBits,
        autoOpen: false,
        ...(this.ctx.binding ? { binding: this.ctx.binding as never } : {}),
      });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.failed(`cannot open ${config.path}: ${(err as Error).message}`, 'reader unavailable');
      return;
    }
    if (!this.running) {
      await closeQuietly(port);
      return;
    }
    this.attach(port);
    if (this.everConnected) this.counts.reconnects++;
    this.ctx.log.info(
      { path: config.path, failedAttempts: this.backoff.attempt, reconnects: this.counts.reconnects },
      this.everConnected ? 'reader reconnected' : 'reader connected',
    );
    this.everConnected = true;
    this.connectedAt = performance.now();
    this.lastError = undefined;
    this.setState('connected');
  }

  private attach(port: SerialPort): void {
    const { config } = this;
    const framer = new Framer(
      {
        delimiter: parseDelimiter(config.delimiter),
        maxLength: config.maxReadLength,
        silenceMs: config.silenceMs,
      },
      { frame: (data) => this.enqueue(data), overlong: (head) => this.rejectOverlong(head) },
    );
    this.port = port;
    this.framer = framer;
    port.on('data', (chunk: Buffer) => {
      if (this.running && this.port === port) framer.push(chunk);
    });
    port.once('close', (err?: Error | null) =>
      this.lost(port, err ? `device closed: ${err.message}` : 'device closed'),
    );
    port.on('error', (err: Error) => this.lost(port, `device error: ${err.message}`));
    // A read of zero bytes ends the stream: the device is as gone as if it had closed.
    port.once('end', () => this.lost(port, 'device ended the stream'));
  }

  /** A failed open or a lost device: disconnected, and another try after the backoff delay. */
  private failed(reason: string, what: string): void {
    this.lastError = reason;
    const retryInMs = this.backoff.next();
    // Once at warn, then quietly with the attempt number: a device left unplugged all weekend
    // must not fill the journal.
    if (this.backoff.attempt === 1) this.ctx.log.warn({ reason, retryInMs }, `${what}; retrying`);
    else this.ctx.log.debug({ reason, attempt: this.backoff.attempt, retryInMs }, `${what}; still retrying`);
    this.setState('disconnected');
    if (this.running) this.retryTimer = setTimeout(() => void this.attempt(), retryInMs);
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    // A device that drops the line right after each open (a failing adapter) keeps backing off
    // and stays quiet; one that worked for longer than the longest delay starts afresh.
    if (performance.now() - this.connectedAt >= this.config.retry.maxMs) this.backoff.reset();
    // The unfinished frame of a vanished device is torn: it must not prefix the next one.
    this.framer?.stop();
    this.framer = undefined;
    void closeQuietly(port);
    if (this.running) this.failed(reason, 'reader lost its device');
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port) await closeQuietly(port);
  }

  private rejectOverlong(head: Buffer): void {
    this.counts.rejects++;
    const { maxReadLength } = this.config;
    this.sink?.reject({
      readerId: this.id,
      code: 'overlong',
      message: `a read longer than maxReadLength (${maxReadLength} bytes) was discarded up to the next delimiter`,
      data: Buffer.from(head),
      at: Date.now(),
    });
  }

  private enqueue(data: Buffer): void {
    this.queue.push({ readerId: this.id, kind: 'barcode', data, at: Date.now(), mono: performance.now() });
    if (this.queue.length >= HIGH_WATER) this.port?.pause();
    if (!this.pumping) {
      this.pumping = true;
      this.pumped = this.pump();
    }
  }

  /** Hands queued reads over in order; `pumping` drops in the same tick the queue runs dry. */
  private async pump(): Promise<void> {
    const handover = this.handover!;
    try {
      for (let read = this.queue.shift(); read; read = this.queue.shift()) {
        this.counts.reads++;
        this.lastReadAt = read.at;
        await handover.push(read);
        if (this.queue.length <= LOW_WATER && this.port?.isPaused()) this.port.resume();
      }
    } finally {
      this.pumping = false;
    }
  }

  private setState(state: ReaderState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', this.status());
  }
}

/** Closes a port whose late errors are no longer news. */
function closeQuietly(port: SerialPort): Promise<void> {
  port.removeAllListeners();
  port.on('error', () => {});
  if (!port.isOpen) return Promise.resolve();
  return new Promise<void>((resolve) => port.close(() => resolve()));
}
