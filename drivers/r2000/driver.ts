/**
 * An R2000-based UHF module on a serial port (the 0xA0 protocol of many low-cost fixed readers).
 *
 * A connection: open the port, ask the firmware version (a port whose module does not answer is
 * not connected), set the output power if configured, then rounds until stopped: set the antenna,
 * real-time inventory, wait for the end of the round, next antenna. Each tag reply becomes a read
 * of kind `epc`, stamped when its frame arrives. The module only talks when asked, so when the
 * handover window is full the driver simply starts no new round.
 *
 * Module errors (antenna missing, inventory error, ...) are logged and rejected once per change
 * and show in `status().lastError`; "no tag" is an empty field, not an error. A port that closes,
 * or a module that leaves a command or a round unanswered for `roundTimeoutMs`, is a disconnect:
 * the port is closed and reopened with the retry backoff, as serial-line does.
 */
import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import type { R2000Config } from '../../config/readers/r2000.js';
import { DeviceTimeout } from '../device-timeout.js';
import { watchDevice } from '../device-watch.js';
import type { Driver, ReaderStatus, ReadSink } from '../driver.js';
import { Handover } from '../handover.js';
import { ReadQueue } from '../read-queue.js';
import { ReaderBook } from '../reader-book.js';
import { Reconnect } from '../reconnect.js';
import type { DriverContext } from '../registry.js';
import { closeQuietly, deviceName, lostRetryCap, openReader } from '../serial-port.js';
import { BROADCAST, Command, type Discarded, encodeFrame, type Frame, FrameParser } from './frames.js';
import { classifyInventoryReply, describeStatus, Status, statusCode } from './inventory.js';

/** A new round starts only once the reads waiting for the handover window are this few. */
const LOW_WATER = 16;
/** A frame still incomplete after this much quiet never will be: it is reported as torn. */
const FRAME_GAP_MS = 100;
/** Pause after the module refused to switch to a port, before the next one. */
const REFUSED_PORT_PAUSE_MS = 100;

/** The link went away (closed, lost, stopped) under a pending command. */
class LinkClosed extends Error {}

interface Reply {
  readonly frame: Frame;
  readonly raw: Buffer;
}

interface Link {
  readonly port: SerialPort;
  readonly parser: FrameParser;
  closed: boolean;
  connected: boolean;
  gap?: NodeJS.Timeout;
  pending?: { command: number; settle(reply: Reply | Error): void };
}

export class R2000Driver extends EventEmitter implements Driver {
  readonly id: string;
  private readonly book: ReaderBook;
  private handover: Handover | undefined;
  private queue: ReadQueue | undefined;
  private sink: ReadSink | undefined;
  private link: Link | undefined;
  private looping: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** Module errors now in force, by what they concern (`antenna 2`, `output power`). */
  private readonly moduleErrors = new Map<string, number>();
  private readonly reconnect: Reconnect;
  private connectedAt = 0;

  constructor(
    private readonly config: R2000Config,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.book = new ReaderBook(this, 'r2000');
    this.reconnect = new Reconnect(config.retry, this.book, ctx.log, () => this.connect());
  }

  async start(sink: ReadSink): Promise<void> {
    if (this.running || this.stopping) return; // a stopped driver stays stopped
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.queue = new ReadQueue(this.handover, this.book);
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
    const link = this.link;
    if (link) {
      if (link.parser.pending() > 0) this.book.counts.discardedOnStop++;
      this.detach(link, 'stopped');
    }
    await this.reconnect.idle(); // an open in flight closes its port itself once it sees we stopped
    await this.looping;
    await this.queue?.drained();
    await this.handover?.drain();
    if (link) await closeQuietly(link.port);
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
    if (!this.running) {
      await closeQuietly(port);
      return;
    }
    const link = this.attach(port, path);
    let version: Reply;
    try {
      version = await this.request(link, Command.firmwareVersion);
      this.book.lastError = undefined; // the module answers: what is wrong from here on is news
      if (config.outputPowerDbm !== undefined) {
        const power = await this.request(link, Command.setOutputPower, [config.outputPowerDbm]);
        this.judge('output power', power);
      }
    } catch (err) {
      if (!(err instanceof LinkClosed)) this.lost(link, `module does not answer: ${(err as Error).message}`);
      return;
    }
    if (!this.running || link.closed) return;
    link.connected = true;
    const firmware =
      version.frame.data.length >= 2 ? `${version.frame.data[0]}.${version.frame.data[1]}` : '?';
    const failedAttempts = this.reconnect.backoff.attempt;
    this.connectedAt = performance.now();
    const again = this.book.connected(true);
    const fields = {
      device: deviceName(config),
      path,
      firmware,
      failedAttempts,
      reconnects: this.book.counts.reconnects,
    };
    // A flapping reader: one reconnect line a minute, with a count (Reconnect's limiter).
    if (again) this.reconnect.limiter.log('reconnected', 'info', fields, 'reader reconnected');
    else this.ctx.log.info(fields, 'reader connected');
    this.looping = this.rounds(link);
  }

  /** Antenna after antenna, one real-time inventory round each, until the link ends. */
  private async rounds(link: Link): Promise<void> {
    const { antennas, repeat } = this.config;
    try {
      for (let i = 0; this.running && !link.closed; i = (i + 1) % antennas.length) {
        await this.queue?.below(LOW_WATER);
        const antenna = antennas[i]!;
        const about = `antenna ${antenna}`;
        // Switching succeeds even to an empty port: only the round tells whether it is fine.
        const set = await this.request(link, Command.setWorkAntenna, [antenna - 1]);
        if (!this.judge(about, set, false)) {
          // A port the module refuses (beyond its count): do not spin through the list.
          await new Promise((resolve) => setTimeout(resolve, REFUSED_PORT_PAUSE_MS));
          continue;
        }
        this.judge(about, await this.request(link, Command.realTimeInventory, [repeat]));
      }
    } catch (err) {
      if (!(err instanceof LinkClosed))
        this.lost(link, `module stopped answering: ${(err as Error).message}`);
    }
  }

  /**
   * Sends one command and resolves with its reply: for an inventory, the reply that ends the
   * round (end of round or a status); tag replies in between go to the sink as they come.
   */
  private request(link: Link, command: number, data: number[] = []): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (link.closed) return reject(new LinkClosed('closed'));
      const ms = this.config.roundTimeoutMs;
      // A reply late only because this process was held up is read before the timeout counts.
      const timer = new DeviceTimeout(ms, () =>
        settle(new Error(`no reply to command 0x${command.toString(16)} within ${ms} ms`)),
      );
      const settle = (reply: Reply | Error) => {
        timer.clear();
        if (link.pending?.settle === settle) link.pending = undefined;
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      link.pending = { command, settle };
      timer.start();
      const frame = encodeFrame({ address: this.config.address, command, data: Buffer.from(data) });
      link.port.write(frame, (err) => {
        if (err) settle(err);
      });
    });
  }

  private attach(port: SerialPort, path: string): Link {
    const link: Link = {
      port,
      closed: false,
      connected: false,
      parser: new FrameParser({
        frame: (frame, raw) => this.onFrame(link, frame, raw),
        discard: (run) => this.onDiscard(run),
      }),
    };
    this.link = link;
    port.on('data', (chunk: Buffer) => {
      if (link.closed) return;
      link.parser.push(chunk);
      clearTimeout(link.gap);
      if (link.parser.pending() > 0) link.gap = setTimeout(() => link.parser.flush(), FRAME_GAP_MS);
    });
    watchDevice(port, path, (reason) => this.lost(link, reason));
    return link;
  }

  private onFrame(link: Link, frame: Frame, raw: Buffer): void {
    const { address } = this.config;
    if (address !== BROADCAST && frame.address !== address) return; // another module on the line
    const pending = link.pending;
    const inventory =
      frame.command === Command.realTimeInventory || frame.command === Command.sessionInventory;
    if (!inventory) {
      if (pending?.command === frame.command) pending.settle({ frame, raw });
      else this.ctx.log.debug({ command: frame.command }, 'reply to no pending command ignored');
      return;
    }
    const reply = classifyInventoryReply(frame.data);
    if (reply.type === 'tag') {
      if (reply.epc.length === 0) return; // nothing to identify a unit by
      const { epc, antenna, rssi, pc } = reply;
      this.queue?.push({
        readerId: this.id,
        kind: 'epc',
        data: epc,
        at: Date.now(),
        mono: performance.now(),
        antenna,
        rssi,
        pc,
      });
    } else if (reply.type === 'malformed') {
      this.reject('bad-reply', reply.reason, raw);
    } else if (pending?.command === frame.command) {
      pending.settle({ frame, raw });
    }
  }

  /**
   * Judges a module's reply to a command: a status byte other than success or "no tag" is an
   * error about `about`, logged and rejected once per change; anything else clears it, and the
   * recovery is noted. Returns whether the reply was fine.
   */
  private judge(about: string, reply: Reply, clears = true): boolean {
    const data = reply.frame.data;
    const status = data.length === 1 ? data[0]! : Status.success;
    if (status === Status.success || status === Status.noTag) {
      if (clears && this.moduleErrors.delete(about)) {
        this.ctx.log.info({ about }, `${about}: the module reports no error any more`);
        if (this.moduleErrors.size === 0) this.book.lastError = undefined;
      }
      return true;
    }
    if (this.moduleErrors.get(about) === status) return false;
    this.moduleErrors.set(about, status);
    const message = `${about}: ${describeStatus(status)}`;
    this.book.lastError = message;
    this.ctx.log.warn({ about, status }, message);
    this.reject(statusCode(status), message, reply.raw);
    return false;
  }

  private onDiscard(run: Discarded): void {
    const what =
      run.code === 'garbage'
        ? 'noise between frames'
        : run.code === 'bad-checksum'
          ? 'a frame whose checksum does not match'
          : 'a frame cut short';
    this.reject(run.code, `${run.data.length} bytes discarded: ${what}`, run.data);
  }

  private reject(code: string, message: string, data: Buffer): void {
    this.book.counts.rejects++;
    try {
      this.sink?.reject({ readerId: this.id, code, message, data: Buffer.from(data), at: Date.now() });
    } catch (err) {
      this.ctx.log.error({ err, code }, 'reject could not be processed'); // never out of a port event
    }
  }

  /** Ends a link for good: no more frames from it, its pending command fails. */
  private detach(link: Link, why: string): void {
    if (link.closed) return;
    link.closed = true;
    if (this.link === link) this.link = undefined;
    clearTimeout(link.gap);
    link.parser.reset(); // a torn frame of a vanished device must not prefix the next one
    link.pending?.settle(new LinkClosed(why));
  }

  /** A lost device or a silent module: disconnected, and another try after the backoff delay. */
  private lost(link: Link, reason: string): void {
    if (link.closed) return;
    this.detach(link, reason);
    void closeQuietly(link.port);
    // A module that drops right after each open keeps backing off and stays quiet; one that
    // worked for longer than the longest delay starts afresh.
    if (link.connected && performance.now() - this.connectedAt >= this.config.retry.maxMs)
      this.reconnect.backoff.reset();
    this.moduleErrors.clear(); // reported again after the reconnect if still true
    if (this.running) this.reconnect.failed(reason, 'reader lost its module', lostRetryCap(this.config));
  }
}
