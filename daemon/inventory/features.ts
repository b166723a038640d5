/**
 * The inventory features at the edge, started together once the recorder and the uplink run:
 * holds and recalls, where-is, transaction contexts, packing and cycle counts. Each feature gets
 * what it needs through the seams of this folder and gives back how to stop it and what it says
 * in the health report.
 */
import type { Config } from '../../config/schema.js';
import type { Topics } from '../contract/topics.js';
import type { Logger } from '../log.js';
import type { EventWriter } from '../read-points.js';
import type { Recorder } from '../recorder.js';
import type { Smoother } from '../smoothing/smoother.js';
import { startContexts } from './context/start.js';
import type { ControlCommands } from './control.js';
import { startCycleCounts } from './cycle-count/cycle-counts.js';
import type { HoldAlertListeners } from './holds/hold-alert-listeners.js';
import { startHolds } from './holds/holds-feature.js';
import type { Inbound } from './inbound.js';
import type { InventoryStore } from './inventory-store.js';
import { startPacking } from './packing/packing.js';
import type { ScanCommands } from './scan-commands.js';
import { startWhere } from './where/where-feature.js';

export interface InventoryDeps {
  readonly config: Config;
  readonly topics: Topics;
  readonly store: InventoryStore;
  readonly inbound: Inbound;
  readonly control: ControlCommands;
  /** Records messages of the features (alerts, aggregation events) durably, like events. */
  readonly recorder: Recorder;
  /** The events as they are numbered (`events.observe(observer)`). */
  readonly events: EventWriter;
  /** The open passes (the units present at each read point now). */
  readonly smoother: Smoother;
  /** Barcodes taken as instructions before decoding (`scanCommands.add(handler)`). */
  readonly scanCommands: ScanCommands;
  /** Told of each hold alert once recorded (the console); absent, nobody is. */
  readonly holdAlerts?: HoldAlertListeners;
  /**
   * The inventory's logger (`component: inventory`): a feature's child adds `feature: <name>`,
   * not a second `component`, which pino would write into the line twice.
   */
  readonly log: Logger;
}

export interface InventoryFeature {
  readonly name: string;
  stop(): Promise<void>;
  /** The feature's part of the health report's `inventory` section. */
  health?(): Record<string, unknown>;
  /** Standing warnings while they hold (health's `warnings`): what the feature cannot keep. */
  warnings?(): readonly string[];
}

type Starter = (deps: InventoryDeps) => Promise<InventoryFeature | undefined>;

/** Every feature's start, in order; a feature its config leaves off returns undefined. */
const STARTERS: readonly Starter[] = [startHolds, startContexts, startPacking, startCycleCounts, startWhere];

/** Starts every feature; if one fails, those started are stopped and the error is thrown. */
export async function startInventory(deps: InventoryDeps): Promise<InventoryFeature[]> {
  const started: InventoryFeature[] = [];
  try {
    for (const start of STARTERS) {
      const feature = await start(deps);
      if (feature) started.push(feature);
    }
  } catch (err) {
    for (const f of started.reverse())
      await f
        .stop()
        .catch((e: unknown) => deps.log.warn({ err: e, feature: f.name }, 'could not stop cleanly'));
    throw err;
  }
  return started;
}
