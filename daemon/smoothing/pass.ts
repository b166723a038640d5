/**
 * One pass of one unit at one read point: from its first read until it has not been read for the
 * read point's departure time. It folds every read into counts, the strongest read, and, at a
 * two-zone dock door, the order in which the unit was seen in the zones (its direction).
 */
import type { ReadKind } from '../../drivers/driver.js';
import { type DecodeFormat, decodeRead } from '../identity/decode.js';
import type { UnitIdentity } from '../identity/identity.js';

/** Where at a dock door an antenna looks: the warehouse side or the yard / truck side. */
export type Zone = 'inside' | 'outside';

/** Which way a unit passed a two-zone read point. */
export type Direction = 'inbound' | 'outbound' | 'unknown';

/**
 * The read as framed, and the reader's format: what decodes to the unit again. A pass keeps this,
 * not the decoded identity (a tenth of the memory), and decodes it again for a later event.
 */
export interface RawUnit {
  readonly data: Buffer;
  readonly kind: ReadKind;
  readonly pc?: number;
  readonly format: DecodeFormat;
}

/** A decoded read, mapped to its read point (and zone) by the reader's antenna map. */
export interface UnitRead {
  readonly identity: UnitIdentity;
  readonly raw: RawUnit;
  readonly readerId: string;
  readonly readPointId: string;
  readonly zone?: Zone;
  readonly antenna?: number;
  /** Peak RSSI of the read, dBm. */
  readonly rssi?: number;
  /** Wall-clock ms (event times). */
  readonly at: number;
  /** Monotonic ms (every rule's timing): a wall-clock jump never splits or merges passes. */
  readonly mono: number;
}

export class Pass {
  /** The unit's URI (the key it is tracked by). */
  readonly uri: string;
  readonly firstMono: number;
  readonly firstAt: number;
  lastMono: number;
  lastAt: number;
  readCount = 1;
  readerId: string;
  antenna: number | undefined;
  /** The strongest RSSI seen, and its antenna is `antenna`. */
  rssi: number | undefined;
  /** Monotonic ms of the last event about this pass (its arrival or a presence report). */
  reportedMono: number;
  /** Seen without a break for the read point's static time: a fixture, no longer reported. */
  fixture = false;
  // Direction: the zone seen first, whether the other has been seen, and how many reads of the
  // first zone came after the other zone's first read (reads out of the passage's order).
  private firstZone: Zone | undefined;
  private otherSeen = false;
  private zoned = 0;
  private outOfOrder = 0;
  // The first read's bytes (latin1), kind, PC word and format: the identity, decoded again.
  private readonly data: string;
  private readonly kind: ReadKind;
  private readonly pc: number | undefined;
  private readonly format: DecodeFormat;

  constructor(read: UnitRead) {
    this.uri = read.identity.uri;
    this.data = read.raw.data.toString('latin1');
    this.kind = read.raw.kind;
    this.pc = read.raw.pc;
    this.format = read.raw.format;
    this.firstMono = read.mono;
    this.firstAt = read.at;
    this.lastMono = read.mono;
    this.lastAt = read.at;
    this.readerId = read.readerId;
    this.antenna = read.antenna;
    this.rssi = read.rssi;
    this.reportedMono = read.mono;
    this.zone(read.zone);
  }

  /** The unit's identity, decoded again from the pass's first read. */
  identity(): UnitIdentity {
    const decoded = decodeRead(
      {
        kind: this.kind,
        data: Buffer.from(this.data, 'latin1'),
        ...(this.pc !== undefined ? { pc: this.pc } : {}),
      },
      this.format,
    );
    // The same bytes under the same format decoded before; anything else is a bug, not bad input.
    if (!decoded.ok || decoded.identity.uri !== this.uri)
      throw new Error(`the pass of ${this.uri} no longer decodes to it`);
    return decoded.identity;
  }

  /** Folds a later read of the same unit at the same read point into the pass. */
  see(read: UnitRead): void {
    this.lastMono = read.mono;
    this.lastAt = read.at;
    this.readCount++;
    if (read.rssi !== undefined && (this.rssi === undefined || read.rssi > this.rssi)) {
      this.rssi = read.rssi;
      this.antenna = read.antenna;
      this.readerId = read.readerId;
    } else if (this.rssi === undefined) {
      this.antenna = read.antenna;
      this.readerId = read.readerId;
    }
    this.zone(read.zone);
  }

  /**
   * The direction by the order of first sightings: outside then inside is inbound, inside then
   * outside outbound; seen in one zone only, unknown. The confidence is the share of zoned reads
   * that agree with that order (1 when every read of the first zone came before the first read of
   * the other), rounded to two decimals; 0 when unknown.
   */
  direction(): { direction: Direction; confidence: number } {
    if (!this.firstZone || !this.otherSeen) return { direction: 'unknown', confidence: 0 };
    const confidence = Math.round(((this.zoned - this.outOfOrder) / this.zoned) * 100) / 100;
    return { direction: this.firstZone === 'outside' ? 'inbound' : 'outbound', confidence };
  }

  private zone(zone: Zone | undefined): void {
    if (!zone) return;
    this.zoned++;
    if (!this.firstZone) this.firstZone = zone;
    else if (zone !== this.firstZone) this.otherSeen = true;
    else if (this.otherSeen) this.outOfOrder++;
  }
}
