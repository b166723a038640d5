/**
 * What smoothing works on and hands on: a decoded read (`UnitRead`), and a pass as it stood when
 * one of its transitions happened (`Pass`). The open passes themselves live in a compact table
 * (pass-table.ts).
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

/**
 * One pass of one unit at one read point, as it stood at a transition: counts, the strongest
 * read, and the first read (its bytes, kind, PC word and format), from which the
 * unit's identity is decoded again.
 */
export class Pass {
  constructor(
    /** The unit's URI (the key it is tracked by). */
    readonly uri: string,
    readonly readerId: string,
    readonly antenna: number | undefined,
    /** The strongest RSSI seen, and its antenna is `antenna`. */
    readonly rssi: number | undefined,
    readonly firstAt: number,
    readonly lastAt: number,
    readonly readCount: number,
    // The first read, kept field by field: a transition costs no object for it. Its bytes are
    // latin1 text when taken from the table, the read's own buffer for an arrival.
    private readonly firstData: string | Buffer,
    private readonly firstKind: ReadKind,
    private readonly firstPc: number | undefined,
    private readonly format: DecodeFormat,
  ) {}

  /** The unit's identity, decoded again from the pass's first read. */
  identity(): UnitIdentity {
    const pc = this.firstPc;
    const decoded = decodeRead(
      {
        kind: this.firstKind,
        data: typeof this.firstData === 'string' ? Buffer.from(this.firstData, 'latin1') : this.firstData,
        ...(pc !== undefined ? { pc } : {}),
      },
      this.format,
    );
    // The same bytes under the same format decoded before; anything else is a bug, not bad input.
    if (!decoded.ok || decoded.identity.uri !== this.uri)
      throw new Error(`the pass of ${this.uri} no longer decodes to it`);
    return decoded.identity;
  }
}
