/**
 * The pipeline of one reader: raw read -> unit identity -> smoothed pass -> event in the outbox.
 * It is the `ReadSink` the reader's driver hands its reads to; `read()` resolves only once the
 * read is safe (its event durable in the outbox, or folded into a pass, or rejected and reported).
 */

import type { ReaderConfig, ReadPointConfig } from '../config/schema.js';
import type { RawRead, RawReject, ReadSink } from '../drivers/driver.js';
import type { RejectPayload } from './contract/topics.js';
import { buildEvent, type ReadPointContext } from './event/epcis.js';
import { decodeRead } from './identity/decode.js';
import type { Logger } from './log.js';
import type { Recorder } from './recorder.js';
import type { Smoother } from './smoothing/smoother.js';

export interface PipelineCounters {
  reads: number;
  events: number;
  suppressed: number;
  rejected: number;
  /** Events the outbox refused under its drop-newest policy. */
  refused: number;
}

export interface PipelineDeps {
  readonly gatewayId: string;
  readonly reader: ReaderConfig;
  readonly readPoint: ReadPointConfig;
  readonly readPointUri: string;
  readonly suppressionMs: number;
  readonly eventsTopic: string;
  readonly smoother: Smoother;
  readonly recorder: Recorder;
  /** Reports a reject on the rejects topic (best effort). */
  readonly publishReject: (reject: RejectPayload) => void;
  readonly log: Logger;
}

/** Raw bytes kept in a reject report at most. */
const REJECT_BYTES = 4096;

export class Pipeline implements ReadSink {
  readonly counters: PipelineCounters = { reads: 0, events: 0, suppressed: 0, rejected: 0, refused: 0 };
  private readonly where: ReadPointContext;

  constructor(private readonly deps: PipelineDeps) {
    const rp = deps.readPoint;
    this.where = {
      gatewayId: deps.gatewayId,
      readPointUri: deps.readPointUri,
      ...(rp.bizLocation ? { bizLocation: rp.bizLocation } : {}),
      ...(rp.bizStep ? { bizStep: rp.bizStep } : {}),
      ...(rp.disposition ? { disposition: rp.disposition } : {}),
    };
  }

  async read(read: RawRead): Promise<void> {
    this.counters.reads++;
    const decoded = decodeRead(read, this.deps.reader.format);
    if (!decoded.ok) {
      this.report(read.data, read.at, decoded.reject.code, decoded.reject.message);
      return;
    }
    const { identity } = decoded;
    if (
      !this.deps.smoother.observe(this.deps.readPoint.id, identity.uri, read.mono, this.deps.suppressionMs)
    ) {
      this.counters.suppressed++;
      return;
    }
    const sighting = {
      identity,
      readerId: read.readerId,
      readPointId: this.deps.readPoint.id,
      firstSeen: read.at,
      lastSeen: read.at,
      readCount: 1,
      ...(read.antenna !== undefined ? { antenna: read.antenna } : {}),
      ...(read.rssi !== undefined ? { rssi: read.rssi } : {}),
    };
    const outcome = await this.deps.recorder.record({
      topic: this.deps.eventsTopic,
      build: (seq) => JSON.stringify(buildEvent(sighting, this.where, seq)),
    });
    if (outcome.stored) this.counters.events++;
    else this.counters.refused++;
  }

  reject(reject: RawReject): void {
    this.report(reject.data, reject.at, reject.code, reject.message);
  }

  private report(data: Buffer, at: number, code: string, message: string): void {
    this.counters.rejected++;
    const shown = data.subarray(0, REJECT_BYTES);
    this.deps.log.warn(
      { code, reason: message, rawHex: shown.subarray(0, 64).toString('hex'), rawLength: data.length },
      'read rejected',
    );
    this.deps.publishReject({
      gateway: this.deps.gatewayId,
      reader: this.deps.reader.id,
      readPoint: this.deps.readPoint.id,
      time: new Date(at).toISOString(),
      code,
      message,
      rawHex: shown.toString('hex'),
      rawLength: data.length,
    });
  }
}
