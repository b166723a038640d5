/**
 * A line-oriented scanner on a serial port (RS-232, USB-serial, USB CDC-ACM): frames reads with
 * drivers/framing.ts, hands them to the sink in order within the handover window, and reconnects
 * with backoff when the device is absent or vanishes (unplugged, its USB-serial adapter reset).
 */
import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import type { SerialLineConfig } from '../config/schema.js';
import { watchDevice } from './device-watch.js';
import type { Driver, ReaderStatus, ReadSink } from './driver.js';
import { Framer, parseDelimiter } from './framing.js';
import { HANDOVER_WINDOW, Handover } from './handover.js';
import { ReadQueue } from './read-queue.js';
import { ReaderBook } from './reader-book.js';
import { Reconnect } from './reconnect.js';
import type { DriverContext } from './registry.js';
import { closeQuietly, deviceName, lostRetryCap, openReader } from './serial-port.js';

/**
 * Framed reads kept ready behind the handover window: the port is paused when `HIGH_WATER` wait
 * and resumed at `LOW_WATER`. Low stays above a whole window, so when a group commit settles its
 * reads, the next window is handed over at once from memory instead of in the ~4 KB pieces a
 * device read returns: under a steady stream each commit takes a whole window, not about half.
 */
const HIGH_WATER = 4 * HANDOVER_WINDOW;
const LOW_WATER = 2 * HANDOVER_WINDOW;

export class SerialLineDriver extends EventEmitter implements Driver {
  readonly id: string;
  private readonly book: ReaderBook;
  private handover: Handover | undefined;
  private queue: ReadQueue | undefined;
  private sink: ReadSink | undefined;
  private port: SerialPort | undefined;
  private framer: Framer | undefined;
  private readonly reconnect: Reconnect;
  private stopping: Promise<void> | undefined;
  private connectedAt = 0;

  constructor(
    private readonly config: SerialLineConfig,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.book = new ReaderBook(this, 'serial-line');
    this.reconnect = new Reconnect(config.retry, this.book, ctx.log, () => this.connect());
  }

  async start(sink: ReadSink): Promise<void> {
    // A stopped driver stays stopped: a gateway shutting down mid-start must not reopen the port.
    if (this.reconnect.running || this.stopping) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.queue = new ReadQueue(this.handover, this.book, {
      high: HIGH_WATER,
      low: LOW_WATER,
      pause: () => {
        if (!this.port) return;
        this.port.pause();
        this.framer?.hold(); // a read framed by silence is not ended by our pause
      },
      resume: () => {
        if (!this.port?.isPaused()) return;
        this.framer?.release();
        this.port.resume();
      },
    });
    await this.reconnect.start();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  status(): ReaderStatus {
    return this.book.status();
  }

  private async shutdown(): Promise<void> {
    this.reconnect.halt();
    await this.reconnect.idle(); // an open in flight closes its port itself once it sees we stopped
    if (this.framer) {
      if (this.framer.pending() > 0) this.book.counts.discardedOnStop++;
      this.framer.stop();
      this.framer = undefined;
    }
    // Reads already framed are handed over; then every pending sink call settles.
    await this.queue?.drained();
    await this.handover?.drain();
    await this.closePort();
    this.book.set('stopped');
  }

  private get running(): boolean {
    return this.reconnect.running;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const { config } = this;
    const opened = await openReader(
      config,
      {
        baudRate: config.baudRate,
        dataBits: config.dataBits,
        parity: config.parity,
        stopBits: config.stopBits,
      },
      this.ctx,
      this.reconnect,
    );
    if (!opened) return;
    const { port, path } = opened;
    if (!this.running) {
      await closeQuietly(port);
      return;
    }
    this.attach(port, path);
    const failedAttempts = this.reconnect.backoff.attempt;
    this.connectedAt = performance.now();
    const again = this.book.connected();
    const fields = {
      device: deviceName(config),
      path,
      failedAttempts,
      reconnects: this.book.counts.reconnects,
    };
    // A flapping reader: one reconnect line a minute, with a count (Reconnect's limiter).
    if (again) this.reconnect.limiter.log('reconnected', 'info', fields, 'reader reconnected');
    else this.ctx.log.info(fields, 'reader connected');
  }

  private attach(port: SerialPort, path: string): void {
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
    watchDevice(port, path, (reason) => this.lost(port, reason));
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    // A device that drops the line right after each open (a failing adapter) keeps backing off
    // and stays quiet; one that worked for longer than the longest delay starts afresh.
    if (performance.now() - this.connectedAt >= this.config.retry.maxMs) this.reconnect.backoff.reset();
    // The unfinished frame of a vanished device is torn: it must not prefix the next one.
    this.framer?.stop();
    this.framer = undefined;
    void closeQuietly(port);
    if (this.running) this.reconnect.failed(reason, 'reader lost its device', lostRetryCap(this.config));
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port) await closeQuietly(port);
  }

  private rejectOverlong(head: Buffer): void {
    this.book.counts.rejects++;
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
    this.queue?.push({ readerId: this.id, kind: 'barcode', data, at: Date.now(), mono: performance.now() });
  }
}
