/**
 * What the console shows of the reads themselves, sampled beside the read path (a `ReadTap`):
 * reads and an RSSI histogram per antenna per minute, and a bounded sample of the reads with
 * their decode for the live stream and each reader's last read.
 *
 * Every call is O(1) with fixed-size typed arrays: the stream keeps at most `streamPerSecond`
 * reads of each second (the others are counted, not kept), so at thousands of reads a second
 * the read path allocates nothing here beyond those few.
 */
import type { RawRead } from '../../drivers/driver.js';
import type { ReadOutcome, ReadTap } from '../taps/read-taps.js';

/** RSSI histogram bins: 2 dB wide from -100 dBm; weaker or stronger reads fall in the ends. */
export const RSSI_MIN_DBM = -100;
export const RSSI_BIN_DB = 2;
export const RSSI_BINS = 40;

/** One read as the stream shows it. */
export interface SampledRead {
  /** Numbered from 1 in the order taken: the browser keeps what it has not seen. */
  readonly n: number;
  readonly at: number;
  readonly reader: string;
  readonly readPoint: string;
  readonly zone?: string;
  readonly antenna?: number;
  readonly rssi?: number;
  /** The code as read: a barcode's printable bytes (others as \xNN, at most 120), an EPC in hex. */
  readonly text: string;
  readonly unit?: string;
  readonly reject?: string;
  readonly belowFloor: boolean;
}

/** One antenna's last minutes. */
export interface AntennaView {
  readonly reader: string;
  readonly antenna: number;
  /** Reads per minute, oldest first (the current minute last, still counting). */
  readonly readsPerMinute: number[];
  /** Reads per RSSI bin over those minutes. */
  readonly histogram: number[];
}

class AntennaTally {
  readonly minuteOf: Float64Array;
  readonly reads: Uint32Array;
  readonly bins: Uint32Array;
  constructor(readonly minutes: number) {
    this.minuteOf = new Float64Array(minutes).fill(-1);
    this.reads = new Uint32Array(minutes);
    this.bins = new Uint32Array(minutes * RSSI_BINS);
  }

  count(minute: number, rssi: number | undefined): void {
    const slot = minute % this.minutes;
    if (this.minuteOf[slot] !== minute) {
      this.minuteOf[slot] = minute;
      this.reads[slot] = 0;
      this.bins.fill(0, slot * RSSI_BINS, (slot + 1) * RSSI_BINS);
    }
    this.reads[slot]!++;
    if (rssi === undefined) return;
    const bin = Math.min(RSSI_BINS - 1, Math.max(0, Math.floor((rssi - RSSI_MIN_DBM) / RSSI_BIN_DB)));
    this.bins[slot * RSSI_BINS + bin]!++;
  }

  view(reader: string, antenna: number, nowMinute: number): AntennaView {
    const readsPerMinute: number[] = [];
    const histogram = new Array<number>(RSSI_BINS).fill(0);
    for (let m = nowMinute - this.minutes + 1; m <= nowMinute; m++) {
      const slot = m % this.minutes;
      const live = this.minuteOf[slot] === m;
      readsPerMinute.push(live ? this.reads[slot]! : 0);
      if (!live) continue;
      for (let b = 0; b < RSSI_BINS; b++) histogram[b]! += this.bins[slot * RSSI_BINS + b]!;
    }
    return { reader, antenna, readsPerMinute, histogram };
  }
}

/** Antennas kept per reader (ports are 1-64); the tally of a port beyond is not kept. */
const MAX_ANTENNA = 64;

export class ReadSampler implements ReadTap {
  private readonly antennas = new Map<string, (AntennaTally | undefined)[]>();
  private readonly ring: (SampledRead | undefined)[];
  private taken = 0;
  private second = -1;
  private takenThisSecond = 0;
  /** Reads not kept for the stream (over the per-second sample). */
  notShown = 0;
  private readonly last = new Map<string, SampledRead>();

  constructor(
    private readonly options: {
      /** Minutes of antenna history. */
      readonly minutes: number;
      /** Reads kept for the stream per second at most. */
      readonly streamPerSecond: number;
      /** Reads the stream remembers. */
      readonly streamSize: number;
    },
  ) {
    this.ring = new Array(options.streamSize);
  }

  seen(read: RawRead, outcome: ReadOutcome): void {
    if (read.antenna !== undefined && read.antenna <= MAX_ANTENNA) {
      let ports = this.antennas.get(read.readerId);
      if (!ports) {
        ports = [];
        this.antennas.set(read.readerId, ports);
      }
      let tally = ports[read.antenna];
      if (!tally) {
        tally = new AntennaTally(this.options.minutes);
        ports[read.antenna] = tally;
      }
      tally.count(Math.floor(read.at / 60_000), read.rssi);
    }
    const second = Math.floor(read.at / 1000);
    if (second !== this.second) {
      this.second = second;
      this.takenThisSecond = 0;
    }
    if (this.takenThisSecond >= this.options.streamPerSecond) {
      this.notShown++;
      return;
    }
    this.takenThisSecond++;
    const sample: SampledRead = {
      n: ++this.taken,
      at: read.at,
      reader: read.readerId,
      readPoint: outcome.readPointId,
      ...(outcome.zone !== undefined ? { zone: outcome.zone } : {}),
      ...(read.antenna !== undefined ? { antenna: read.antenna } : {}),
      ...(read.rssi !== undefined ? { rssi: read.rssi } : {}),
      text: read.kind === 'epc' ? read.data.toString('hex').toUpperCase() : printable(read.data),
      ...(outcome.unit !== undefined ? { unit: outcome.unit } : {}),
      ...(outcome.reject !== undefined ? { reject: outcome.reject } : {}),
      belowFloor: outcome.belowFloor,
    };
    this.ring[this.taken % this.ring.length] = sample;
    this.last.set(read.readerId, sample);
  }

  /** The sampled reads numbered above `after`, oldest first; the newest `max` at most (and the ring's size). */
  readsAfter(after: number, max = this.ring.length): SampledRead[] {
    const out: SampledRead[] = [];
    const from = Math.max(after + 1, this.taken - Math.min(max, this.ring.length) + 1);
    for (let n = from; n <= this.taken; n++) out.push(this.ring[n % this.ring.length]!);
    return out;
  }

  /** The last sampled read of a reader. */
  lastRead(readerId: string): SampledRead | undefined {
    return this.last.get(readerId);
  }

  /** Every antenna seen, by reader and port, over the last minutes up to `now`. */
  antennaViews(now: number): AntennaView[] {
    const minute = Math.floor(now / 60_000);
    const out: AntennaView[] = [];
    for (const [reader, ports] of this.antennas)
      ports.forEach((tally, antenna) => {
        if (tally) out.push(tally.view(reader, antenna, minute));
      });
    return out;
  }
}

/** A code as text: printable ASCII kept, other bytes as \xNN (GS separators, binary EPCs). */
function printable(data: Buffer): string {
  const end = Math.min(data.length, 120);
  let text = '';
  for (let i = 0; i < end; i++) {
    const b = data[i]!;
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return end < data.length ? `${text}…` : text;
}
