/**
 * Scanned codes out of HID POS input reports. A scanner sends each code in one input report, or
 * in several when it is longer than a report holds ("more data follows" set on all but the
 * last); each report carries its own data length and, in most layouts, the AIM id again. Pure:
 * the driver pushes report bytes, this says what they amount to.
 */
import type { HidReportOffsetsConfig, UsbHidConfig } from '../../config/readers/usb-hid.js';

export type ReportLayout = HidReportOffsetsConfig;

/** The common HID POS layout (Honeywell, Zebra, Datalogic and others in HID POS mode). */
export const HID_POS_LAYOUT: ReportLayout = Object.freeze({
  reportId: 2,
  lengthOffset: 1,
  aimOffset: 2,
  dataOffset: 5,
  maxDataLength: 56,
  moreDataOffset: 63,
  moreDataBit: 0,
});

export function reportLayout(report: UsbHidConfig['report']): ReportLayout {
  return report === 'hid-pos' ? HID_POS_LAYOUT : report;
}

/** One scanned-data report, read by its layout. */
export interface ScannedReport {
  /** The 3-byte AIM id, or empty when the layout has none or the scanner sent zeros. */
  readonly aim: Buffer;
  readonly data: Buffer;
  readonly more: boolean;
}

export type ParsedReport =
  | { readonly ok: true; readonly report: ScannedReport }
  | { readonly ok: false; readonly ignored: true }
  | { readonly ok: false; readonly ignored: false; readonly reason: string };

/** Reads one input report (report id first); other report ids are ignored, bad ones explained. */
export function parseReport(bytes: Uint8Array, layout: ReportLayout): ParsedReport {
  if (bytes.length === 0 || bytes[0] !== layout.reportId) return { ok: false, ignored: true };
  const size = bytes.length;
  const bad = (reason: string): ParsedReport => ({ ok: false, ignored: false, reason });
  const length = bytes[layout.lengthOffset];
  if (length === undefined) return bad(`a ${size}-byte report ends before its length byte`);
  if (length > layout.maxDataLength) {
    return bad(`data length ${length} exceeds the ${layout.maxDataLength} bytes a report holds`);
  }
  if (layout.dataOffset + length > size) {
    return bad(`data length ${length} runs past the end of a ${size}-byte report`);
  }
  let aim = Buffer.alloc(0);
  if (layout.aimOffset !== undefined) {
    if (layout.aimOffset + 3 > size) return bad(`a ${size}-byte report ends before its AIM id`);
    const id = bytes.subarray(layout.aimOffset, layout.aimOffset + 3);
    if (id.some((b) => b !== 0)) aim = Buffer.from(id);
  }
  let more = false;
  if (layout.moreDataOffset !== undefined) {
    const flags = bytes[layout.moreDataOffset];
    if (flags === undefined) return bad(`a ${size}-byte report ends before its "more data" flag`);
    more = (flags & (1 << (layout.moreDataBit ?? 0))) !== 0;
  }
  const data = Buffer.from(bytes.subarray(layout.dataOffset, layout.dataOffset + length));
  return { ok: true, report: { aim, data, more } };
}

/** What one report amounts to. */
export type Assembled =
  /** A complete code: AIM id followed by its data, as a serial scanner with AIM ids sends it. */
  | { readonly kind: 'code'; readonly data: Buffer }
  /** Part of a code; more reports follow. */
  | { readonly kind: 'partial' }
  /** Another report id, or a code with no data. */
  | { readonly kind: 'ignored' }
  | {
      readonly kind: 'reject';
      readonly code: 'bad-report' | 'overlong';
      readonly message: string;
      readonly data: Buffer;
    };

/** Joins the reports of each code; its memory stays within `maxLength` bytes. */
export class ReportAssembler {
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes of the AIM id that leads the code being joined. */
  private aimLength = 0;
  /** After an overlong code: drop reports until its last one. */
  private discarding = false;

  constructor(
    private readonly layout: ReportLayout,
    private readonly maxLength: number,
  ) {}

  push(bytes: Uint8Array): Assembled {
    const parsed = parseReport(bytes, this.layout);
    if (!parsed.ok) {
      if (parsed.ignored) return { kind: 'ignored' };
      // The code this report belonged to is broken: its earlier parts must not prefix the next one.
      const torn = this.size > 0 ? `; the ${this.size} bytes of the code it continued were dropped` : '';
      this.reset();
      return {
        kind: 'reject',
        code: 'bad-report',
        message: `malformed input report: ${parsed.reason}${torn}`,
        data: Buffer.from(bytes.subarray(0, this.maxLength)),
      };
    }
    const { aim, data, more } = parsed.report;
    if (this.discarding) {
      if (!more) this.discarding = false;
      return more ? { kind: 'partial' } : { kind: 'ignored' };
    }
    // The AIM id leads the code; continuation reports repeat it, and the repeat is not data.
    if (this.size === 0) {
      this.add(aim);
      this.aimLength = aim.length;
    }
    this.add(data);
    if (this.size > this.maxLength) {
      const head = Buffer.concat(this.parts).subarray(0, this.maxLength);
      this.reset();
      this.discarding = more;
      return {
        kind: 'reject',
        code: 'overlong',
        message: `a code longer than maxReadLength (${this.maxLength} bytes) was discarded`,
        data: head,
      };
    }
    if (more) return { kind: 'partial' };
    const code = Buffer.concat(this.parts);
    const hasData = this.size > this.aimLength;
    this.reset();
    return hasData ? { kind: 'code', data: code } : { kind: 'ignored' };
  }

  /** Bytes of a code still waiting for its last report. */
  pending(): number {
    return this.size;
  }

  /** Drops the unfinished code (its device vanished, or the driver stops) and returns its bytes. */
  drop(): Buffer {
    const torn = Buffer.concat(this.parts);
    this.reset();
    return torn;
  }

  private add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.aimLength = 0;
    this.discarding = false;
  }
}
