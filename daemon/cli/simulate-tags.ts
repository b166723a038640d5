/**
 * What `readpoint simulate --protocol thingmagic|r2000` does: it plays an RFID module on the
 * serial line (the protocol simulators of drivers/thingmagic and drivers/r2000 answer the real
 * driver's start-up and inventory), and moves tagged units through its field: one arrives per
 * step, is seen on antenna 1 for a while, and leaves. The tags are drivers/simulated-units.ts's
 * SGTIN-96 EPCs, so unit n is the same tag as in the in-process simulator.
 */

import { Command } from '../../drivers/r2000/frames.js';
import { startR2000Simulator } from '../../drivers/r2000/simulator.js';
import { unit } from '../../drivers/simulated-units.js';
import { startThingMagicSimulator } from '../../drivers/thingmagic/simulator.js';

export type ModuleProtocol = 'thingmagic' | 'r2000';

/** A simulated module on the line, whatever its protocol. */
export interface TagModule {
  /** The reader on the far end has started reading (tags put in the field now are reported). */
  reading(): boolean;
  enter(epc: string, rssi: number): void;
  leave(epc: string): void;
  /** Line noise between two frames. */
  noise(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the module's protocol simulator on `path` (it opens the port). */
export async function startTagModule(
  protocol: ModuleProtocol,
  path: string,
  baudRate: number,
): Promise<TagModule> {
  if (protocol === 'thingmagic') {
    const sim = await startThingMagicSimulator({ path, baudRate, cycleMs: 100 });
    return {
      reading: () => sim.isReading(),
      enter: (epc, rssi) => sim.addTag({ epc, seenOn: [{ antenna: 1, rssi }] }),
      leave: (epc) => sim.removeTag(epc),
      noise: () => sim.injectGarbage(),
      close: () => sim.close(),
    };
  }
  // The R2000 module speaks 115200 baud, as the modules ship.
  const sim = await startR2000Simulator({ path });
  const inventories = new Set<number>([Command.realTimeInventory, Command.sessionInventory]);
  return {
    reading: () => sim.commandsReceived.some((c) => inventories.has(c.command)),
    enter: (epc, rssi) => {
      sim.removeTag(epc);
      sim.addTag({ epc, seenBy: { 1: rssi } });
    },
    leave: (epc) => void sim.removeTag(epc),
    noise: () => sim.injectGarbage(),
    close: () => sim.close(),
  };
}

/** One tag's arrival in the field or its leaving. */
export interface TagMove {
  /** 1 for the first arrival. */
  readonly pass: number;
  readonly unit: number;
  readonly epc: string;
  readonly move: 'arrives' | 'leaves';
  readonly rssi: number;
}

/**
 * The tags' comings and goings: `arrive()` puts the next unit in the field for `dwellMs`; a unit
 * that comes back while still there stays longer. `empty()` resolves once every tag has left.
 */
export class TagField {
  private readonly inField = new Map<string, NodeJS.Timeout>();
  private passes = 0;
  private emptied: (() => void)[] = [];
  private module: TagModule | undefined;

  constructor(
    private readonly options: { units: number; dwellMs: number; random: () => number },
    private readonly report: (move: TagMove) => void,
  ) {}

  /** The module that reports the tags from now on (a new one after the reader reopened the line). */
  attach(module: TagModule): void {
    this.module = module;
  }

  arrive(): TagMove {
    const n = this.passes % this.options.units;
    const epc = unit(n, true).data.toString('hex').toUpperCase();
    const rssi = -40 - Math.round(this.options.random() * 30);
    const move: TagMove = { pass: ++this.passes, unit: n, epc, move: 'arrives', rssi };
    clearTimeout(this.inField.get(epc));
    this.module?.enter(epc, rssi);
    const timer = setTimeout(() => {
      this.inField.delete(epc);
      this.module?.leave(epc);
      this.report({ ...move, move: 'leaves' });
      if (this.inField.size === 0) for (const done of this.emptied.splice(0)) done();
    }, this.options.dwellMs);
    this.inField.set(epc, timer);
    this.report(move);
    return move;
  }

  /** Resolves once no tag is in the field. */
  empty(): Promise<void> {
    if (this.inField.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptied.push(resolve));
  }

  /** Takes every tag out at once (at a stop). */
  clear(): void {
    for (const [epc, timer] of this.inField) {
      clearTimeout(timer);
      this.module?.leave(epc);
    }
    this.inField.clear();
    for (const done of this.emptied.splice(0)) done();
  }
}
