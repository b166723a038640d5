/**
 * A barcode scanner in USB HID POS mode. The configured scanner (VID:PID, and serial number when
 * given) is opened when it appears, at start or when plugged in later, and closed when it is
 * unplugged; while it is away the driver is `disconnected` and waits for the bus to announce it,
 * so it does not poll an empty port. Only a device that is present but cannot be opened or read
 * (permissions, another process holds it, no USB support) is retried with backoff.
 *
 * Each code, joined from its input reports (report.ts), becomes a read whose data is the AIM id
 * followed by the data: exactly what a serial scanner with AIM ids sends, so the same identity
 * rules apply. Reports are asked for one at a time and only when the handover window has room.
 */
import { EventEmitter } from 'node:events';
import type { UsbHidConfig } from '../../config/readers/usb-hid.js';
import { Backoff } from '../../daemon/backoff.js';
import { RepeatLimiter } from '../../daemon/log-limit.js';
import type { Driver, RawRead, ReaderStatus, ReadSink } from '../driver.js';
import { Handover } from '../handover.js';
import { ReaderBook } from '../reader-book.js';
import type { DriverContext } from '../registry.js';
import { type Assembled, ReportAssembler, reportLayout } from './report.js';
import type { UsbBus, UsbBusListener, UsbDevice } from './usb-bus.js';
import { WebUsbBus } from './webusb-bus.js';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const hex4 = (id: number) => id.toString(16).padStart(4, '0');

export class UsbHidDriver extends EventEmitter implements Driver {
  readonly id: string;
  private readonly bus: UsbBus;
  private readonly backoff: Backoff;
  private readonly wanted: string;
  private readonly book: ReaderBook;
  /** A scanner on a loose cable: its unplugs and reconnects are written once a minute, with a count. */
  private readonly flaps: RepeatLimiter;
  private sink: ReadSink | undefined;
  private handover: Handover | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  /** The opened scanner, its reports being joined, and the loop reading them. */
  private device: UsbDevice | undefined;
  private assembler: ReportAssembler | undefined;
  private reading: Promise<void> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  /** A matching device was plugged in while an attempt was under way: look again after it. */
  private lookAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectedAt = 0;

  private readonly listener: UsbBusListener = {
    connect: (device) => {
      if (!this.running || this.device || !this.matches(device)) return;
      this.ctx.log.debug({ device: this.wanted }, 'reader plugged in');
      clearTimeout(this.retryTimer);
      this.backoff.reset(); // a fresh plugging starts its retries afresh
      void this.attempt();
    },
    disconnect: (key) => {
      if (this.device?.key === key) this.lost(this.device, 'device unplugged', true);
    },
  };

  constructor(
    private readonly config: UsbHidConfig,
    private readonly ctx: DriverContext & { readonly usb?: UsbBus },
  ) {
    super();
    this.id = config.id;
    this.book = new ReaderBook(this, 'usb-hid');
    this.bus = ctx.usb ?? new WebUsbBus();
    this.backoff = new Backoff(config.retry);
    this.flaps = new RepeatLimiter(ctx.log);
    const serial = config.serialNumber === undefined ? '' : ` serial ${config.serialNumber}`;
    this.wanted = `${hex4(config.vendorId)}:${hex4(config.productId)}${serial}`;
  }

  async start(sink: ReadSink): Promise<void> {
    // A stopped driver stays stopped: a gateway shutting down mid-start must not open the scanner.
    if (this.running || this.stopping) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.running = true;
    this.book.set('connecting');
    await this.attempt();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  status(): ReaderStatus {
    return this.book.status();
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    this.flaps.close();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting; // an open in flight closes its device itself once it sees we stopped
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.().catch((err: unknown) => this.ctx.log.warn({ err }, 'could not stop watching USB'));
    const device = this.device;
    this.device = undefined;
    await device?.close(); // its pending report read rejects and the loop ends
    await this.reading; // a code being handed over finishes first
    if (this.assembler && this.assembler.pending() > 0) this.book.counts.discardedOnStop++;
    this.assembler?.drop();
    await this.handover?.drain();
    this.book.set('stopped');
  }

  /** One look for the scanner at a time; a plug during a look asks for another. */
  private attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.connecting) {
      this.lookAgain = true;
      return this.connecting;
    }
    this.connecting = (async () => {
      do {
        this.lookAgain = false;
        clearTimeout(this.retryTimer);
        await this.connect();
      } while (this.lookAgain && this.running && !this.device);
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    if (!this.running || this.device) return;
    let devices: UsbDevice[];
    try {
      // Watch before listing, so a scanner plugged in between is not missed.
      this.unwatch ??= await this.bus.watch(this.listener);
      devices = await this.bus.list();
    } catch (err) {
      this.failed(`USB unavailable: ${message(err)}`, 'USB unavailable');
      return;
    }
    if (!this.running) return;
    const matching = devices.filter((d) => this.matches(d));
    const device = matching[0];
    if (!device) {
      this.absent();
      return;
    }
    if (matching.length > 1) {
      this.ctx.log.warn(
        { device: this.wanted, count: matching.length },
        'several scanners match; using the first (set serialNumber to choose one)',
      );
    }
    await this.open(device);
  }

  private async open(device: UsbDevice): Promise<void> {
    try {
      await device.open();
      await device.claim(this.config.interface);
    } catch (err) {
      await device.close();
      this.failed(`cannot open USB device ${this.wanted}: ${message(err)}`, 'reader unavailable');
      return;
    }
    if (!this.running) {
      await device.close();
      return;
    }
    const assembler = new ReportAssembler(reportLayout(this.config.report), this.config.maxReadLength);
    this.device = device;
    this.assembler = assembler;
    const failedAttempts = this.backoff.attempt;
    this.connectedAt = performance.now();
    const again = this.book.connected();
    const fields = { device: this.wanted, failedAttempts, reconnects: this.book.counts.reconnects };
    if (again) this.flaps.log('reconnected', 'info', fields, 'reader reconnected');
    else this.ctx.log.info(fields, 'reader connected');
    this.reading = this.readLoop(device, assembler);
  }

  /** Asks for reports one at a time; a code waits for the handover window before the next. */
  private async readLoop(device: UsbDevice, assembler: ReportAssembler): Promise<void> {
    for (;;) {
      let report: Uint8Array;
      try {
        report = await device.readReport();
      } catch (err) {
        this.lost(device, `device error: ${message(err)}`, false);
        return;
      }
      await this.take(assembler.push(report));
    }
  }

  private async take(out: Assembled): Promise<void> {
    if (out.kind === 'code') {
      const read: RawRead = {
        readerId: this.id,
        kind: 'barcode',
        data: out.data,
        at: Date.now(),
        mono: performance.now(),
      };
      this.book.read(read.at);
      await this.handover!.push(read);
    } else if (out.kind === 'reject') {
      this.reject(out.code, out.message, out.data);
    }
  }

  /** The scanner is gone: unplugged (wait for it), or failing while plugged in (retry). */
  private lost(device: UsbDevice, reason: string, unplugged: boolean): void {
    if (this.device !== device) return;
    this.device = undefined;
    // A code cut off by the loss would otherwise vanish without a trace: a unit passed unrecorded.
    const torn = this.assembler?.drop() ?? Buffer.alloc(0);
    if (torn.length > 0) {
      this.reject('torn', `a code spanning several reports was cut off: ${reason}`, torn);
    }
    void device.close();
    // A scanner that fails right after each open keeps backing off; one that held starts afresh.
    if (performance.now() - this.connectedAt >= this.config.retry.maxMs) this.backoff.reset();
    if (!this.running) return;
    if (unplugged) {
      this.book.lastError = `${reason}; waiting for USB device ${this.wanted} to be plugged in`;
      this.flaps.log(
        'unplugged',
        'warn',
        { device: this.wanted, reason },
        'reader unplugged; waiting for it',
      );
      this.book.set('disconnected');
    } else {
      this.failed(reason, 'reader lost its device');
    }
  }

  /** Not plugged in: nothing to retry until the bus announces it. */
  private absent(): void {
    const reason = `no USB device ${this.wanted} is plugged in; waiting for it`;
    if (this.book.lastError !== reason)
      this.ctx.log.warn({ device: this.wanted }, 'reader not plugged in; waiting');
    this.book.lastError = reason;
    this.book.set('disconnected');
  }

  /** A present scanner that cannot be used, or no USB at all: disconnected, and another try later. */
  private failed(reason: string, what: string): void {
    this.book.lastError = reason;
    const retryInMs = this.backoff.next();
    // Once at warn, then quietly with the attempt number: the journal must not fill up.
    if (this.backoff.attempt === 1) this.ctx.log.warn({ reason, retryInMs }, `${what}; retrying`);
    else this.ctx.log.debug({ reason, attempt: this.backoff.attempt, retryInMs }, `${what}; still retrying`);
    this.book.set('disconnected');
    if (this.running) this.retryTimer = setTimeout(() => void this.attempt(), retryInMs);
  }

  private matches(device: UsbDevice): boolean {
    const { vendorId, productId, serialNumber } = this.config;
    return (
      device.vendorId === vendorId &&
      device.productId === productId &&
      (serialNumber === undefined || device.serialNumber === serialNumber)
    );
  }

  private reject(code: string, text: string, data: Buffer): void {
    this.book.counts.rejects++;
    this.sink?.reject({ readerId: this.id, code, message: text, data, at: Date.now() });
  }
}
