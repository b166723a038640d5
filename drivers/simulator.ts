/**
 * A virtual conveyor (config driver: simulator): units pass one after another, each read
 * `repeats` times; some carry RFID tags; a share of reads is noise. With `door: true` the tags
 * cross a two-zone dock door instead, from one antenna to the other. Paced by a timer at
 * `readsPerSecond`, several reads per tick at high rates; every read goes through the sink like
 * a real reader's (drivers/handover.ts), so a slow sink slows the conveyor down. The same seed
 * gives the same reads in the same order, whatever the pace.
 */
import { EventEmitter } from 'node:events';
import type { SimulatorConfig } from '../config/schema.js';
import type { Driver, RawRead, ReaderStatus, ReadSink } from './driver.js';
import { Handover } from './handover.js';
import { ReaderBook } from './reader-book.js';
import type { DriverContext } from './registry.js';
import { firstDraw, noise, prng, type SimulatedUnit, unit } from './simulated-units.js';

/** Shortest gap between two ticks of the conveyor. */
const TICK_MS = 20;
/** Reads owed after a stall (a slow sink) are forgiven beyond this many seconds' worth. */
const MAX_BACKLOG_S = 0.25;

export class SimulatorDriver extends EventEmitter implements Driver {
  readonly id: string;
  private readonly book: ReaderBook;
  private handover: Handover | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private random: () => number = Math.random;
  private emitted = 0;
  /** Reads owed by the pace so far, fractional. */
  private credit = 0;
  private lastTick = 0;
  private pass = 0;
  private repeat = 0;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.book = new ReaderBook(this, 'simulator');
  }

  async start(sink: ReadSink): Promise<void> {
    if (this.handover || this.stopping) return;
    this.handover = new Handover(sink, this.ctx.log);
    this.random = prng(this.config.seed);
    this.lastTick = performance.now();
    this.book.connected();
    this.ctx.log.info(
      { readsPerSecond: this.config.readsPerSecond, units: this.config.units, seed: this.config.seed },
      'simulated conveyor running',
    );
    this.schedule(TICK_MS);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  status(): ReaderStatus {
    return this.book.status();
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking; // it sees `stopping` and hands over no more
    await this.handover?.drain();
    this.book.set('stopped');
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { readsPerSecond } = this.config;
    const limit = this.config.limit ?? Number.POSITIVE_INFINITY;
    const now = performance.now();
    const owed = this.credit + ((now - this.lastTick) / 1000) * readsPerSecond;
    this.credit = Math.min(owed, 1 + readsPerSecond * MAX_BACKLOG_S);
    this.lastTick = now;
    const handover = this.handover!;
    while (this.credit >= 1 && this.emitted < limit && !this.stopping) {
      this.credit--;
      const room = handover.push(this.next());
      if (handover.full) await room;
    }
    // At the limit the conveyor stands still: connected, no timer, no more reads.
    if (this.stopping || this.emitted >= limit) return;
    // Credit accrues from this tick's start: time spent handing over counts towards the next.
    this.schedule(Math.max(TICK_MS, Math.ceil(((1 - this.credit) * 1000) / readsPerSecond)));
  }

  /** The conveyor's next read. */
  private next(): RawRead {
    const { config } = this;
    const n = this.pass % config.units;
    const repeat = this.repeat;
    if (++this.repeat >= config.repeats) {
      this.repeat = 0;
      this.pass++;
    }
    // A unit always carries the same kind of label, whatever the seed's sequence did before.
    const tagged = firstDraw(config.seed * 7919 + n) < config.epcShare;
    const u: SimulatedUnit =
      this.random() < config.garbageShare
        ? { kind: 'barcode', data: noise(this.random, n) }
        : unit(n, tagged);
    this.emitted++;
    const at = Date.now();
    this.book.read(at);
    const epc = u.kind === 'epc';
    // One shape for every read (absent fields undefined), as the pipeline builds its own.
    return {
      readerId: this.id,
      kind: u.kind,
      data: u.data,
      at,
      mono: performance.now(),
      antenna: epc ? antennaOf(n, repeat, config) : undefined,
      rssi: epc ? -40 - Math.round(this.random() * 30) : undefined,
      pc: undefined,
    };
  }
}

/**
 * The antenna that reads unit `n` on its `repeat`th read: on a conveyor one antenna a unit; at a
 * door (`door: true`) the first half of its reads on one antenna, the rest on the other, even
 * units from 1 to 2 (outside to inside when so mapped: inbound), odd units from 2 to 1. Every
 * fifth unit's last read (of four or more) comes from the antenna it left, as a reflection
 * would: a passage with less than full confidence.
 */
function antennaOf(n: number, repeat: number, config: SimulatorConfig): number {
  const first = 1 + (n % 2);
  if (!config.door) return first;
  const { repeats } = config;
  const reflected = n % 5 === 4 && repeats >= 4 && repeat === repeats - 1;
  return repeat < Math.ceil(repeats / 2) || reflected ? first : 3 - first;
}
