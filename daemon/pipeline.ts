/**
 * The pipeline of one reader: raw read -> unit identity -> smoothed pass -> event in the outbox.
 * It is the `ReadSink` the reader's driver hands its reads to; `read()` resolves only once the
 * read is safe (its events durable in the outbox, or folded into a pass, or rejected and
 * reported). The reader's antenna map sends each RFID read to its read point and zone, and drops
 * reads below the antenna's RSSI floor (counted).
 */

import type { ReaderConfig } from '../config/schema.js';
import type { RawRead, RawReject, ReadSink } from '../drivers/driver.js';
import type { RejectPayload } from './contract/topics.js';
import { decodeRead } from './identity/decode.js';
import type { ScanCommands } from './inventory/scan-commands.js';
import type { Logger } from './log.js';
import { RepeatLimiter } from './log-limit.js';
import type { EventWriter } from './read-points.js';
import type { Zone } from './smoothing/pass.js';
import type { Smoother } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';
import type { ReadTaps } from './taps/read-taps.js';

export interface PipelineCounters {
  reads: number;
  events: number;
  /** Reads that made no event of their own (folded into a pass). */
  suppressed: number;
  rejected: number;
  /** Events the outbox refused under its drop-newest policy. */
  refused: number;
  /** RFID reads weaker than their antenna's RSSI floor, ignored. */
  belowFloor: number;
  /** Triggers that read nothing (the scanner's no-read text). */
  noReads: number;
  /** Triggers that read several codes at once (split by the reader's multiReadSeparator). */
  multiReads: number;
  /** Barcodes taken as instructions (a close code, a transaction barcode), not as units. */
  commands: number;
}

/** Counters that have counted nothing yet. */
export function emptyCounters(): PipelineCounters {
  return {
    reads: 0,
    events: 0,
    suppressed: 0,
    rejected: 0,
    refused: 0,
    belowFloor: 0,
    noReads: 0,
    multiReads: 0,
    commands: 0,
  };
}

export interface PipelineDeps {
  readonly gatewayId: string;
  readonly reader: ReaderConfig;
  readonly smoother: Smoother;
  readonly events: EventWriter;
  /** Reports a reject on the rejects topic (best effort; the caller bounds the rate). */
  readonly publishReject: (reject: RejectPayload) => void;
  readonly log: Logger;
  /**
   * Where reject and no-read lines go, keyed by code, so a noisy line writes one line per code
   * per interval with a `repeated` count; its owner closes it when the reader stops. Default: a
   * limiter of its own on `log`.
   */
  readonly rejectLog?: RepeatLimiter;
  /** Counters to continue from (a reader restarted by a live reload keeps its counts). */
  readonly counters?: PipelineCounters;
  /** Rejects by code to continue from (the same). */
  readonly rejectCodes?: Map<string, number>;
  /** Barcodes taken as instructions before decoding (inventory/scan-commands.ts). */
  readonly scanCommands?: ScanCommands;
  /** Who watches the reads themselves: the console, the capture (taps/read-taps.ts). */
  readonly taps?: ReadTaps;
}

/** What a read that made no event returns: it is safe at once. */
const SAFE: Promise<void> = Promise.resolve();

/** Raw bytes kept in a reject report at most. */
const REJECT_BYTES = 4096;

/** Where an antenna's reads go: read point, zone, RSSI floor (from the reader's antennaMap). */
interface Port {
  readonly readPointId: string;
  readonly zone?: Zone;
  readonly rssiFloorDbm?: number;
}

export class Pipeline implements ReadSink {
  readonly counters: PipelineCounters;
  /** Rejected reads by reject code (`check-digit`, `overlong`, ...). */
  readonly rejectCodes: Map<string, number>;
  private readonly ports = new Map<number, Port>();
  private readonly unmapped: Port;
  private readonly noRead: ReadonlySet<string>;
  private readonly multiReadSeparator: Buffer | undefined;
  private readonly rejectLog: RepeatLimiter;
  /**
   * The transitions of the read being handled, one list for every read: the writer copies them
   * into its events before `read` returns, so the list is emptied and used again.
   */
  private readonly transitions: Transition[] = [];

  constructor(private readonly deps: PipelineDeps) {
    const { reader } = deps;
    this.rejectLog = deps.rejectLog ?? new RepeatLimiter(deps.log);
    this.counters = deps.counters ?? emptyCounters();
    this.rejectCodes = deps.rejectCodes ?? new Map();
    this.unmapped = {
      readPointId: reader.readPoint,
      ...(reader.rssiFloorDbm !== undefined ? { rssiFloorDbm: reader.rssiFloorDbm } : {}),
    };
    for (const a of reader.antennaMap ?? []) {
      const floor = a.rssiFloorDbm ?? reader.rssiFloorDbm;
      this.ports.set(a.antenna, {
        readPointId: a.readPoint ?? reader.readPoint,
        ...(a.zone !== undefined ? { zone: a.zone } : {}),
        ...(floor !== undefined ? { rssiFloorDbm: floor } : {}),
      });
    }
    this.noRead = new Set(reader.noRead ?? []);
    this.multiReadSeparator =
      reader.multiReadSeparator === undefined ? undefined : Buffer.from(reader.multiReadSeparator, 'latin1');
  }

  read(read: RawRead): Promise<void> {
    // Not an async function: a read that makes no event (most RFID reads) costs no promise of
    // its own, and one that does costs one. A throw still becomes the promise's rejection.
    try {
      this.counters.reads++;
      const taps = this.deps.taps;
      if (taps?.wantsRaw) taps.raw(read);
      if (this.noRead.size > 0 && read.kind === 'barcode' && this.noRead.has(read.data.toString('latin1'))) {
        this.counters.noReads++;
        this.report(read.data, read.at, 'no-read', 'the scanner was triggered and read nothing', true);
        return SAFE;
      }
      const commands = this.deps.scanCommands;
      if (commands && read.kind === 'barcode' && !commands.empty && this.takenAsCommand(read, commands))
        return SAFE;
      const transitions = this.transitions;
      clear(transitions);
      // Every code is decoded and smoothed now, in order, before the write (the sink's contract).
      if (this.multiReadSeparator) {
        const codes = split(read.data, this.multiReadSeparator);
        if (codes.length > 1) {
          this.counters.multiReads++;
          this.report(read.data, read.at, 'multi-read', `one trigger read ${codes.length} codes`, true);
        }
        for (const data of codes) this.smooth(codes.length > 1 ? { ...read, data } : read, transitions);
      } else this.smooth(read, transitions);
      if (transitions.length === 0) return SAFE;
      // The pipeline's counters count each event as it settles; the promise is the group commit's.
      const written = this.deps.events.writeInto(transitions, this.counters);
      clear(transitions);
      return written;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private takenAsCommand(read: RawRead, commands: ScanCommands): boolean {
    const { reader } = this.deps;
    if (!commands.take({ readerId: reader.id, readPointId: reader.readPoint, data: read.data, at: read.at }))
      return false;
    this.counters.commands++;
    return true;
  }

  /** Decodes one code and folds it into smoothing; its transitions go to `out`. */
  private smooth(read: RawRead, out: Transition[]): void {
    const { format } = this.deps.reader;
    const decoded = decodeRead(read, format);
    const { antenna, rssi } = read;
    const port = (antenna !== undefined ? this.ports.get(antenna) : undefined) ?? this.unmapped;
    const taps = this.deps.taps;
    if (!decoded.ok) {
      if (taps?.wantsSeen)
        taps.seen(read, {
          readPointId: port.readPointId,
          zone: port.zone,
          reject: decoded.reject.code,
          belowFloor: false,
        });
      this.report(read.data, read.at, decoded.reject.code, decoded.reject.message);
      return;
    }
    const belowFloor = port.rssiFloorDbm !== undefined && rssi !== undefined && rssi < port.rssiFloorDbm;
    if (taps?.wantsSeen)
      taps.seen(read, {
        readPointId: port.readPointId,
        zone: port.zone,
        unit: decoded.identity.uri,
        belowFloor,
      });
    if (belowFloor) {
      this.counters.belowFloor++;
      return;
    }
    // One shape for every read (absent fields undefined): the smoother's code stays monomorphic.
    const before = out.length;
    this.deps.smoother.observe(
      {
        identity: decoded.identity,
        raw: { data: read.data, kind: read.kind, pc: read.pc, format },
        readerId: read.readerId,
        readPointId: port.readPointId,
        zone: port.zone,
        antenna,
        rssi,
        at: read.at,
        mono: read.mono,
      },
      out,
    );
    if (out.length === before) this.counters.suppressed++;
  }

  reject(reject: RawReject): void {
    this.report(reject.data, reject.at, reject.code, reject.message);
  }

  /** Reports a reject (or, with `noRead`, a trigger that read nothing: normal, not counted as a reject). */
  private report(data: Buffer, at: number, code: string, message: string, noRead = false): void {
    const shown = data.subarray(0, REJECT_BYTES);
    const fields = {
      code,
      reason: message,
      rawHex: shown.subarray(0, 64).toString('hex'),
      rawLength: data.length,
    };
    if (noRead) this.rejectLog.log(code, 'info', fields, 'no read');
    else {
      this.counters.rejected++;
      this.rejectCodes.set(code, (this.rejectCodes.get(code) ?? 0) + 1);
      this.rejectLog.log(code, 'warn', fields, 'read rejected');
    }
    this.deps.publishReject({
      gateway: this.deps.gatewayId,
      reader: this.deps.reader.id,
      readPoint: this.deps.reader.readPoint,
      time: new Date(at).toISOString(),
      code,
      message,
      rawHex: shown.toString('hex'),
      rawLength: data.length,
    });
  }
}

/**
 * Empties a list and keeps its room: `length = 0` would drop its backing store, and the next push
 * allocate one again.
 */
function clear(list: unknown[]): void {
  while (list.length > 0) list.pop();
}

/** The non-empty pieces of `data` between `separator`s. */
function split(data: Buffer, separator: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let from = 0; from <= data.length; ) {
    let to = data.indexOf(separator, from);
    if (to < 0) to = data.length;
    if (to > from) parts.push(data.subarray(from, to));
    from = to + separator.length;
  }
  return parts;
}
