/**
 * The read taps seam: who watches the reads themselves, beside the pipeline (the console's live
 * read stream and RFID tuning charts, `readpoint record` and the capture ring buffer).
 *
 * Contract:
 * - `raw(read)` is called for every read a reader's driver hands the pipeline, before anything is
 *   done with it (before the scan commands, the no-read text, the multi-read split or decoding),
 *   in the order the driver handed them. The read's buffer is the driver's: a tap that keeps the
 *   bytes copies them.
 * - `seen(read, outcome)` is called for every code decoded (a multi-read: once per code), after
 *   decoding and the antenna's RSSI floor, before smoothing.
 * - Both run on the read path, synchronously: a tap does O(1) work, allocates little, never does
 *   I/O before returning and never throws (a slow consumer — a browser, a file — is the tap's to
 *   buffer, bounded, and to drop from, counted). With no tap added the pipeline pays one check.
 */
import type { RawRead } from '../../drivers/driver.js';

/** What became of one decoded code. */
export interface ReadOutcome {
  /** The read point and zone its antenna maps to (the reader's read point when unmapped). */
  readonly readPointId: string;
  readonly zone?: string;
  /** The unit's URI, when it decoded. */
  readonly unit?: string;
  /** The reject code, when it did not (`check-digit`, `unknown-ai`, ...). */
  readonly reject?: string;
  /** The read was weaker than its antenna's RSSI floor (ignored by smoothing). */
  readonly belowFloor: boolean;
}

export interface ReadTap {
  raw?(read: RawRead): void;
  seen?(read: RawRead, outcome: ReadOutcome): void;
}

/** The taps of the running gateway, shared by every reader's pipeline. */
export class ReadTaps {
  private rawTaps: readonly ReadTap[] = [];
  private seenTaps: readonly ReadTap[] = [];

  /** Adds a tap; returns the function that removes it. */
  add(tap: ReadTap): () => void {
    if (tap.raw) this.rawTaps = [...this.rawTaps, tap];
    if (tap.seen) this.seenTaps = [...this.seenTaps, tap];
    return () => {
      this.rawTaps = this.rawTaps.filter((t) => t !== tap);
      this.seenTaps = this.seenTaps.filter((t) => t !== tap);
    };
  }

  get wantsRaw(): boolean {
    return this.rawTaps.length > 0;
  }

  get wantsSeen(): boolean {
    return this.seenTaps.length > 0;
  }

  raw(read: RawRead): void {
    for (const tap of this.rawTaps) tap.raw?.(read);
  }

  seen(read: RawRead, outcome: ReadOutcome): void {
    for (const tap of this.seenTaps) tap.seen?.(read, outcome);
  }
}
