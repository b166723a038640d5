/**
 * What `readpoint simulate --protocol line` sends: a conveyor scanner's reads, one per line. The
 * units, their order, their repeats and which reads are garbage come from drivers/simulated-units.ts
 * with the same seeded sequence as the in-process simulator (drivers/simulator.ts), so the same
 * seed and shares give the same conveyor whichever way it is driven. On the line a unit's label
 * is its GS1 DataMatrix element string (`]d2...`), for some units their GS1 Digital Link URI
 * (`]Q1https://...`), and a tagged unit's label is its SGTIN-96 EPC as hex text.
 */

import { noise, prng, unit } from '../../drivers/simulated-units.js';
import { decodeRead } from '../identity/decode.js';

export type ScanKind = 'label' | 'link' | 'epc' | 'garbage';

/** One read as it goes on the line (without its delimiter). */
export interface Scan {
  /** 1 for the first read sent. */
  readonly read: number;
  /** The unit on the conveyor (0-based, as drivers/simulated-units.ts numbers them). */
  readonly unit: number;
  readonly kind: ScanKind;
  readonly data: Buffer;
}

export interface ScannerOptions {
  readonly seed: number;
  readonly units: number;
  /** Reads of each unit as it passes (a scanner re-reads). */
  readonly repeats: number;
  /** Share of units whose label is their SGTIN-96 EPC as hex (decided per unit). */
  readonly epcShare: number;
  /** Share of the other units whose label is a GS1 Digital Link URI (decided per unit). */
  readonly linkShare: number;
  /** Share of reads that are garbage (decided per read). */
  readonly garbageShare: number;
}

/** The delimiters a serial-line reader takes, by their config names. */
export const DELIMITERS = { CR: '\r', LF: '\n', CRLF: '\r\n' } as const;
export type DelimiterName = keyof typeof DELIMITERS;

/** The scanner's reads, one after another, deterministic per seed. */
export class ScannerTraffic {
  private readonly random: () => number;
  private readonly links = new Map<number, Buffer>();
  private pass = 0;
  private repeat = 0;
  private reads = 0;

  constructor(private readonly options: ScannerOptions) {
    this.random = prng(options.seed);
  }

  next(): Scan {
    const { seed, units, repeats, epcShare, garbageShare } = this.options;
    // The same steps, and the same draws from the sequence, as SimulatorDriver.next().
    const n = this.pass % units;
    if (++this.repeat >= repeats) {
      this.repeat = 0;
      this.pass++;
    }
    const tagged = prng(seed * 7919 + n)() < epcShare;
    const read = ++this.reads;
    if (this.random() < garbageShare)
      return { read, unit: n, kind: 'garbage', data: lineSafe(noise(this.random, n)) };
    if (tagged) {
      this.random(); // the in-process simulator draws the tag's RSSI here
      return {
        read,
        unit: n,
        kind: 'epc',
        data: Buffer.from(unit(n, true).data.toString('hex').toUpperCase()),
      };
    }
    const link = this.link(n);
    return link
      ? { read, unit: n, kind: 'link', data: link }
      : { read, unit: n, kind: 'label', data: unit(n, false).data };
  }

  /** Unit n's label as a Digital Link URI, when its printer prints those. */
  private link(n: number): Buffer | undefined {
    if (!(prng(this.options.seed * 104_729 + n)() < this.options.linkShare)) return undefined;
    let link = this.links.get(n);
    if (!link) {
      const decoded = decodeRead({ kind: 'barcode', data: unit(n, false).data });
      if (!decoded.ok || !decoded.identity.digitalLink) return undefined;
      link = Buffer.from(`]Q1${decoded.identity.digitalLink}`, 'latin1');
      this.links.set(n, link);
    }
    return link;
  }
}

/** Garbage never holds a line end: each read sent stays one read at the far end. */
function lineSafe(data: Buffer): Buffer {
  return Buffer.from(data.map((b) => (b === 0x0d || b === 0x0a ? b | 0x80 : b)));
}

/**
 * A read as a technician types it for `readpoint decode`: printable ASCII as it is, a backslash
 * doubled, every other byte as \xNN (a GS is \x1d).
 */
export function escapeRead(data: Buffer): string {
  let text = '';
  for (const b of data) {
    if (b === 0x5c) text += '\\\\';
    else if (b >= 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else text += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return text;
}
