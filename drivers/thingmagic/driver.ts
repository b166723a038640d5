/**
 * A ThingMagic / JADAK Mercury module (M6e, M6e Nano, M7e) on a serial port. Each connect runs the
 * start-up sequence (frames.ts: version, region, Gen2, antennas, power, read filter off, start
 * continuous reading), every answer awaited; then each streamed tag record becomes an `epc` read
 * with its antenna, RSSI and PC, handed over in order within the handover window. A reading
 * module speaks at least once a search cycle (a tag or a keep-alive), so one silent for
 * `silenceTimeoutMs` is as lost as an unplugged one; a start-up command refused or unanswered is
 * a failed connect. Both close the port and retry with backoff, as serial-line does.
 */
import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import type { ThingMagicConfig } from '../../config/readers/thingmagic.js';
import { THINGMAGIC_REGIONS } from '../../config/readers/thingmagic-regions.js';
import { DeviceTimeout } from '../device-timeout.js';
import { watchDevice } from '../device-watch.js';
import type { Driver, ReaderStatus, ReadSink } from '../driver.js';
import { Handover } from '../handover.js';
import { ReadQueue } from '../read-queue.js';
import { ReaderBook } from '../reader-book.js';
import { Reconnect } from '../reconnect.js';
import type { DriverContext } from '../registry.js';
import { closeQuietly, deviceName, lostRetryCap, openReader } from '../serial-port.js';
import {
  describeStatus,
  type Frame,
  FrameParser,
  type FrameRejectCode,
  MAX_DATA,
  Opcode,
  ReadingOption,
  STOP_READING,
  type StartupStep,
  Status,
  startupSequence,
} from './frames.js';
import { parseStreamRecord } from './tag-record.js';

/** Framed reads waiting for the handover window before the port is paused, and resumed. */
const HIGH_WATER = 64;
const LOW_WATER = 16;

const FRAME_REJECTS: Record<FrameRejectCode, string> = {
  garbage: 'bytes outside any frame were discarded',
  'bad-crc': 'a frame failed its CRC check and was discarded',
  truncated: 'a frame was cut short (the line went quiet inside it) and was discarded',
};

/** Reject codes of the status errors an operator acts on; any other is `module-status`. */
const STATUS_CODES = new Map<number, string>([
  [Status.temperatureLimit, 'temperature-limit'],
  [Status.highReturnLoss, 'high-return-loss'],
]);

/** The first hardware byte of the version answer (the Mercury API's model numbers). */
const MODELS = new Map([
  [0x18, 'M6e'],
  [0x20, 'M6e Micro'],
  [0x30, 'M6e Nano'],
  [0x38, 'M7e Pico'],
]);

/** The module answered a command with a tag record: it is still reading from an earlier session. */
class StillReading extends Error {}

interface Awaiting {
  readonly step: StartupStep;
  readonly resolve: (frame: Frame) => void;
  readonly reject: (err: Error) => void;
  readonly timer: DeviceTimeout;
}

export class ThingMagicDriver extends EventEmitter implements Driver {
  readonly id: string;
  private readonly book: ReaderBook;
  private handover: Handover | undefined;
  private queue: ReadQueue | undefined;
  private sink: ReadSink | undefined;
  private port: SerialPort | undefined;
  private parser: FrameParser | undefined;
  private stopping: Promise<void> | undefined;
  private readonly reconnect: Reconnect;
  private streamingSince = 0;
  /** The module acknowledged start reading on the current port: its 0x22 frames are reads. */
  private streaming = false;
  private awaiting: Awaiting | undefined;
  private watchdog: DeviceTimeout | undefined;
  /** The status error last logged, so a module repeating it every cycle is logged once. */
  private moduleStatus: number = Status.ok;

  constructor(
    private readonly config: ThingMagicConfig,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.book = new ReaderBook(this, 'thingmagic');
    this.reconnect = new Reconnect(config.retry, this.book, ctx.log, () => this.connect());
  }

  async start(sink: ReadSink): Promise<void> {
    // A stopped driver stays stopped: a gateway shutting down mid-start must not reopen the port.
    if (this.running || this.stopping) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.queue = new ReadQueue(this.handover, this.book, {
      high: HIGH_WATER,
      low: LOW_WATER,
      // While stopping the port stays flowing: the stop answer queues behind these records.
      pause: () => {
        if (!this.running || !this.port) return;
        this.port.pause();
        this.parser?.hold(); // a record cut off by the pause waits for the rest of its bytes
      },
      resume: () => {
        if (!this.port?.isPaused()) return;
        this.parser?.release();
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
    this.settle(undefined, new Error('the driver is stopping')); // a start-up in flight gives up now
    await this.reconnect.idle();
    this.disarmWatchdog();
    const port = this.port;
    if (port && this.streaming) {
      // The stop answer queues behind every record already sent: read through them (and hand them over).
      this.parser?.release();
      port.resume();
      try {
        await this.request(port, STOP_READING);
      } catch (err) {
        this.ctx.log.warn({ reason: (err as Error).message }, 'module did not confirm the stop of reading');
      }
    }
    this.streaming = false;
    if (this.parser) {
      if (this.parser.pending() > 0) this.book.counts.discardedOnStop++;
      this.parser.reset();
      this.parser = undefined;
    }
    await this.queue?.drained();
    await this.handover?.drain();
    const open = this.port;
    this.port = undefined;
    if (open) await closeQuietly(open);
    this.book.set('stopped');
  }

  private get running(): boolean {
    return this.reconnect.running;
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    const { config } = this;
    const opened = await openReader(config, { baudRate: config.baudRate }, this.ctx, this.reconnect);
    if (!opened) return;
    const { port, path } = opened;
    if (!this.running) return closeQuietly(port);
    this.attach(port, path);
    try {
      await this.startUp(port);
    } catch (err) {
      if (this.port !== port) return; // lost meanwhile: lost() has dealt with it
      this.detach(port);
      if (this.running)
        this.reconnect.failed(`start-up failed: ${(err as Error).message}`, 'reader did not start');
    }
  }

  /** The start-up sequence; a module still streaming from an earlier session is stopped first. */
  private async startUp(port: SerialPort): Promise<void> {
    const { config } = this;
    const steps = startupSequence({
      regionCode: THINGMAGIC_REGIONS[config.region],
      antennas: config.antennas,
      readPowerCdBm: config.readPowerCdBm,
    });
    let stoppedEarlierSession = false;
    for (let i = 0; i < steps.length; ) {
      const step = steps[i]!;
      let answer: Frame;
      try {
        answer = await this.request(port, step);
      } catch (err) {
        if (!(err instanceof StillReading) || stoppedEarlierSession) throw err;
        stoppedEarlierSession = true;
        this.ctx.log.info('module was still reading from an earlier session; stopping it');
        await this.request(port, STOP_READING);
        continue;
      }
      if (answer.status !== Status.ok) {
        throw new Error(`${step.name}: the module answered ${describeStatus(answer.status)}`);
      }
      if (step.opcode === Opcode.version) this.logVersion(answer.data);
      i++;
    }
  }

  /** Sends a command and awaits its answer (the frame of the same opcode, and option for 2F). */
  private request(port: SerialPort, step: StartupStep): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const ms = this.config.commandTimeoutMs;
      const fail = (message: string) => {
        if (this.awaiting === awaiting) this.settle(undefined, new Error(message));
      };
      const timer = new DeviceTimeout(ms, () => fail(`no answer to ${step.name} within ${ms} ms`));
      const awaiting: Awaiting = { step, resolve, reject, timer };
      this.awaiting = awaiting;
      timer.start();
      port.write(step.bytes, (err) => {
        if (err) fail(`cannot send ${step.name}: ${err.message}`);
      });
    });
  }

  /** Ends the command being awaited, with its answer or an error. */
  private settle(answer: Frame | undefined, err?: Error): void {
    const awaiting = this.awaiting;
    if (!awaiting) return;
    this.awaiting = undefined;
    awaiting.timer.clear();
    if (answer) awaiting.resolve(answer);
    else awaiting.reject(err ?? new Error('no answer'));
  }

  private attach(port: SerialPort, path: string): void {
    const parser = new FrameParser('response', {
      frame: (frame) => this.onFrame(port, frame),
      reject: (code, bytes) => this.reject(code, FRAME_REJECTS[code], bytes),
    });
    this.port = port;
    this.parser = parser;
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) parser.push(chunk);
    });
    watchDevice(port, path, (reason) => this.lost(port, reason));
  }

  /** Forgets the port: its torn frame must not prefix the next port's first one. */
  private detach(port: SerialPort): void {
    this.port = undefined;
    this.streaming = false;
    this.disarmWatchdog();
    this.parser?.reset();
    this.parser = undefined;
    void closeQuietly(port);
  }

  private onFrame(port: SerialPort, frame: Frame): void {
    const step = this.awaiting?.step;
    const ok = frame.status === Status.ok;
    if (
      step?.opcode === frame.opcode &&
      (!ok || step.option === undefined || step.option === frame.data[0])
    ) {
      // Reading counts from the start answer on, so records in the same chunk are reads already.
      if (ok && step.option === ReadingOption.start) this.streamingStarted(port);
      this.settle(frame);
    } else if (this.streaming) {
      this.onStreamFrame(frame);
    } else if (step && frame.opcode === Opcode.readTagMultiple && step.opcode !== Opcode.multiProtocolTagOp) {
      // Before reading starts a 0x22 can only come from a module still reading for someone else.
      this.settle(undefined, new StillReading('the module is still reading'));
    }
  }

  private streamingStarted(port: SerialPort): void {
    this.streaming = true;
    this.streamingSince = performance.now();
    this.moduleStatus = Status.ok;
    this.watchdog = new DeviceTimeout(this.config.silenceTimeoutMs, () => this.silent(port));
    this.watchdog.start();
    const failedAttempts = this.reconnect.backoff.attempt;
    const again = this.book.connected();
    const fields = {
      device: deviceName(this.config),
      failedAttempts,
      reconnects: this.book.counts.reconnects,
    };
    // A flapping reader: one reconnect line a minute, with a count (Reconnect's limiter).
    if (again) this.reconnect.limiter.log('reconnected', 'info', fields, 'reader reconnected');
    else this.ctx.log.info(fields, 'reader connected');
  }

  private onStreamFrame(frame: Frame): void {
    this.watchdog?.start();
    if (frame.opcode !== Opcode.readTagMultiple) return; // a late answer: no read in it
    if (frame.status === Status.noTagsFound) {
      this.statusNormal(); // a keep-alive: no tag this cycle
      return;
    }
    if (frame.status !== Status.ok) {
      this.statusError(frame);
      return;
    }
    const record = parseStreamRecord(frame.data);
    if (record.type === 'invalid') this.reject(record.code, record.message, frame.raw);
    if (record.type !== 'tag') return;
    this.statusNormal();
    const { tag } = record;
    if (tag.epc.length === 0) return; // an empty frame carries nothing to decode (the driver contract)
    this.queue?.push({
      readerId: this.id,
      kind: 'epc',
      data: tag.epc,
      at: Date.now(),
      mono: performance.now(),
      ...(tag.antenna ? { antenna: tag.antenna.tx } : {}),
      ...(tag.rssi !== undefined ? { rssi: tag.rssi } : {}),
      pc: tag.pc,
    });
  }

  private statusError(frame: Frame): void {
    const { status } = frame;
    const code = STATUS_CODES.get(status) ?? 'module-status';
    const message = `module reported ${describeStatus(status)}`;
    if (status !== this.moduleStatus) this.ctx.log.warn({ code }, message);
    this.moduleStatus = status;
    this.book.lastError = message;
    this.reject(code, message, frame.raw);
  }

  private statusNormal(): void {
    if (this.moduleStatus === Status.ok) return;
    this.ctx.log.info({ was: describeStatus(this.moduleStatus) }, 'module status back to normal');
    this.moduleStatus = Status.ok;
  }

  private logVersion(data: Buffer): void {
    if (data.length < 16) return;
    const model = `0x${data[4]!.toString(16)} (${MODELS.get(data[4]!) ?? 'unknown'})`;
    const firmware = [...data.subarray(12, 16)].map((b) => b.toString(16).padStart(2, '0')).join('.');
    this.ctx.log.info({ model, firmware }, 'module answered');
  }

  /** No tag and no keep-alive for silenceTimeoutMs: lost, unless it is our own back-pressure. */
  private silent(port: SerialPort): void {
    if (this.port !== port || !this.streaming) return;
    if (port.isPaused()) return void this.watchdog?.start();
    this.lost(port, `module silent for ${this.config.silenceTimeoutMs} ms (no tag, no keep-alive)`);
  }

  private disarmWatchdog(): void {
    this.watchdog?.clear();
    this.watchdog = undefined;
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    // A module that drops right after each start keeps backing off and stays quiet; one that read
    // for longer than the longest delay starts afresh.
    if (this.streaming && performance.now() - this.streamingSince >= this.config.retry.maxMs)
      this.reconnect.backoff.reset();
    this.detach(port);
    this.settle(undefined, new Error(reason));
    if (this.running) this.reconnect.failed(reason, 'reader lost its device', lostRetryCap(this.config));
  }

  private reject(code: string, message: string, data: Buffer): void {
    this.book.counts.rejects++;
    this.sink?.reject({
      readerId: this.id,
      code,
      message,
      data: Buffer.from(data.subarray(0, MAX_DATA + 7)),
      at: Date.now(),
    });
  }
}
