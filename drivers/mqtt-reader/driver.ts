/**
 * A network RFID reader (Impinj R700, Zebra FX) that publishes its tag reads over MQTT to the
 * embedded broker. The reader is the MQTT client and reconnects by itself; this driver takes the
 * messages of its one topic from the broker (daemon/broker/reader-access.ts), parses them with the
 * reader family's parser and hands the reads to the sink in order within the handover window.
 *
 * - State: `connected` while the reader holds a session with the broker under its username,
 *   `disconnected` otherwise (also while no broker runs); a reconnect counts in `reconnects`.
 * - Back-pressure: the broker acknowledges a message (and reads the reader's next packets) only
 *   once every read in it is handed over, so a full window slows the reader's TCP stream. The
 *   acknowledgement does not wait for the outbox: up to the handover window of reads is in memory.
 * - A message that cannot be parsed, or an event in it, is a reject with a code; the connection
 *   stays up and the message is acknowledged (a resend would fail the same way).
 * - stop(): the message being handed over is finished; later ones are refused unacknowledged (the
 *   reader sends them again when it reconnects) and counted in `discardedOnStop`.
 */
import { EventEmitter } from 'node:events';
import type { MqttReaderConfig } from '../../config/readers/mqtt-reader.js';
import type { ReaderAttachment, ReaderPort } from '../../daemon/broker/reader-access.js';
import type { Driver, RawRead, ReaderStatus, ReadSink } from '../driver.js';
import { Handover } from '../handover.js';
import { ReaderBook } from '../reader-book.js';
import type { DriverContext } from '../registry.js';
import { parseImpinjMessage } from './impinj.js';
import { parseZebraMessage } from './zebra.js';

/** One tag read out of a reader's message. */
export interface TagReport {
  readonly epc: Buffer;
  readonly antenna?: number;
  /** Peak RSSI, dBm. */
  readonly rssi?: number;
  readonly pc?: number;
  /** The reader's own time of the read, ms since the epoch. */
  readonly time?: number;
}

/** A message, or one event in it, that is not a tag read. */
export interface PayloadReject {
  /** `not-json`, `unknown-shape`, `no-epc`, `bad-epc`, `not-epc`, `overlong`, `too-many-events`. */
  readonly code: string;
  readonly message: string;
  readonly data: Buffer;
}

export interface ParsedMessage {
  readonly reads: readonly TagReport[];
  readonly rejects: readonly PayloadReject[];
  /** Events of other types (status, antenna, GPI): not reads, not errors. */
  readonly ignored: number;
}

const parsers = { 'impinj-r700': parseImpinjMessage, 'zebra-fx': parseZebraMessage } as const;

export class MqttReaderDriver extends EventEmitter implements Driver {
  readonly id: string;
  private handover: Handover | undefined;
  private readonly book: ReaderBook;
  private sink: ReadSink | undefined;
  private attachment: ReaderAttachment | undefined;
  /** Messages are handed over one after another, in the order the broker took them. */
  private chain: Promise<void> = Promise.resolve();
  private running = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: MqttReaderConfig,
    private readonly ctx: DriverContext & { readonly broker?: ReaderPort },
  ) {
    super();
    this.id = config.id;
    this.book = new ReaderBook(this, config.driver);
  }

  async start(sink: ReadSink): Promise<void> {
    if (this.running || this.stopping) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.running = true;
    const { broker } = this.ctx;
    if (!broker) {
      this.book.lastError =
        'the embedded broker is not running (broker.enabled: false); this reader publishes to it';
      this.ctx.log.error({ reason: this.book.lastError }, 'reader has no broker');
      this.book.set('disconnected');
      return;
    }
    try {
      this.attachment = broker.attachReader(this.id, {
        message: (payload) => this.message(payload),
        connection: (connected, clientId) => this.connection(connected, clientId),
      });
    } catch (err) {
      this.book.lastError = (err as Error).message;
      this.ctx.log.error({ reason: this.book.lastError }, 'reader cannot take messages from the broker');
      this.book.set('disconnected');
      return;
    }
    if (this.attachment.connected) {
      this.book.connected();
    } else {
      this.book.lastError = `waiting for the reader to log in to the broker as ${this.config.username}`;
      this.book.set('disconnected');
    }
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
    this.attachment?.detach();
    this.attachment = undefined;
    await this.chain;
    await this.handover?.drain();
    this.book.set('stopped');
  }

  private connection(connected: boolean, clientId: string): void {
    if (!this.running) return;
    if (connected) {
      const again = this.book.connected();
      this.ctx.log.info(
        { clientId, reconnects: this.book.counts.reconnects },
        again ? 'reader reconnected' : 'reader connected',
      );
    } else {
      this.book.lastError = `the reader's MQTT session ended (client ${clientId})`;
      this.ctx.log.warn({ clientId }, 'reader disconnected from the broker');
      this.book.set('disconnected');
    }
  }

  /** Resolves once every read of the message is handed over; rejects (no PUBACK) once stopped. */
  private message(payload: Buffer): Promise<void> {
    const handed = this.chain.then(() => this.take(payload));
    this.chain = handed.catch(() => {});
    return handed;
  }

  private async take(payload: Buffer): Promise<void> {
    if (!this.running) {
      this.book.counts.discardedOnStop++;
      throw new Error(`reader ${this.id} is stopping; the message is left for the reader to resend`);
    }
    const at = Date.now();
    const mono = performance.now();
    const parsed: ParsedMessage =
      payload.length > this.config.maxMessageBytes
        ? { reads: [], rejects: [overlong(payload, this.config.maxMessageBytes)], ignored: 0 }
        : parsers[this.config.driver](payload, this.config.maxEventsPerMessage);
    this.rejectAll(parsed.rejects, at);
    if (parsed.ignored > 0)
      this.ctx.log.debug({ ignored: parsed.ignored }, 'reader events that are not reads');
    const handover = this.handover!;
    for (const tag of parsed.reads) {
      const read: RawRead = {
        readerId: this.id,
        kind: 'epc',
        data: tag.epc,
        at: this.config.eventTime === 'reader' && tag.time !== undefined ? tag.time : at,
        mono,
        ...(tag.antenna !== undefined ? { antenna: tag.antenna } : {}),
        ...(tag.rssi !== undefined ? { rssi: tag.rssi } : {}),
        ...(tag.pc !== undefined ? { pc: tag.pc } : {}),
      };
      this.book.read(read.at);
      const room = handover.push(read);
      if (handover.full) await room;
    }
  }

  /** Every reject is passed on, so each is counted; the pipeline bounds what is logged and published. */
  private rejectAll(rejects: readonly PayloadReject[], at: number): void {
    this.book.counts.rejects += rejects.length;
    for (const r of rejects) {
      this.sink?.reject({ readerId: this.id, code: r.code, message: r.message, data: r.data, at });
    }
  }
}

function overlong(payload: Buffer, max: number): PayloadReject {
  return {
    code: 'overlong',
    message: `a message of ${payload.length} bytes is longer than maxMessageBytes (${max})`,
    data: Buffer.from(payload.subarray(0, 4096)),
  };
}
