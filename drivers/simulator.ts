/**
 * A virtual conveyor (config driver: simulator): units pass one after another, each read
 * `repeats` times; some carry RFID tags; a share of reads is noise. Paced by a timer at
 * `readsPerSecond`; every read goes through the sink like a real reader's (drivers/handover.ts).
 */
import { EventEmitter } from 'node:events';
import type { SimulatorConfig } from '../config/schema.js';
import type { Driver, ReaderState, ReaderStatus, ReadSink } from './driver.js';
import { Handover } from './handover.js';
import type { DriverContext } from './registry.js';
import { noise, prng, unit } from './simulated-units.js';

const TICK_MS = 20;

export class SimulatorDriver extends EventEmitter implements Driver {
  readonly id: string;
  private sink: ReadSink | undefined;
  private handover: Handover | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private current: ReaderState = 'idle';
  private random: () => number;
  private emitted = 0;
  private credit = 0;
  private lastTick = 0;
  private pass = 0;
  private repeat = 0;
  private counts = { reads: 0, rejects: 0, reconnects: 0, discardedOnStop: 0 };
  private lastReadAt: number | undefined;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly ctx: DriverContext,
  ) {
    super();
    this.id = config.id;
    this.random = prng(config.seed);
  }

  async start(sink: ReadSink): Promise<void> {
    if (this.timer || this.running) return;
    this.sink = sink;
    this.handover = new Handover(sink, this.ctx.log);
    this.lastTick = performance.now();
    this.setState('connected');
    this.ctx.log.info(
      { readsPerSecond: this.config.readsPerSecond, units: this.config.units },
      'simulated conveyor running',
    );
    this.schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sink = undefined;
    const handover = this.handover;
    this.handover = undefined;
    await this.running;
    await handover?.drain();
    if (this.current !== 'idle') this.setState('stopped');
  }

  status(): ReaderStatus {
    return {
      id: this.id,
      driver: 'simulator',
      state: this.current,
      ...this.counts,
      ...(this.lastReadAt !== undefined ? { lastReadAt: this.lastReadAt } : {}),
    };
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.timer && this.sink) this.schedule();
      });
    }, TICK_MS);
  }

  private async tick(): Promise<void> {
    const now = performance.now();
    this.credit += ((now - this.lastTick) / 1000) * this.config.readsPerSecond;
    this.lastTick = now;
    const limit = this.config.limit ?? Number.POSITIVE_INFINITY;
    while (this.credit >= 1 && this.emitted < limit && this.handover) {
      this.credit--;
      await this.emitOne(this.handover);
    }
    await this.handover?.drain();
    if (this.emitted >= limit) this.credit = 0;
  }

  private async emitOne(handover: Handover): Promise<void> {
    const { config } = this;
    const n = this.pass % config.units;
    const tagged = prng(config.seed * 7919 + n)() < config.epcShare; // a unit always carries the same kind of label
    const garbage = this.random() < config.garbageShare;
    const u = garbage
      ? { kind: 'barcode' as const, data: noise(this.random, n) }
      : unit(n, tagged, this.random);
    if (++this.repeat >= config.repeats) {
      this.repeat = 0;
      this.pass++;
    }
    this.emitted++;
    this.counts.reads++;
    const at = Date.now();
    this.lastReadAt = at;
    await handover.push({
      readerId: this.id,
      kind: u.kind,
      data: u.data,
      at,
      mono: performance.now(),
      ...(u.kind === 'epc' ? { antenna: 1 + (n % 2), rssi: -40 - Math.round(this.random() * 30) } : {}),
    });
  }

  private setState(state: ReaderState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', this.status());
  }
}
