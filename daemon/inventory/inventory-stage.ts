/**
 * The inventory at the edge as the gateway runs it: the inventory store, the control socket and
 * the features (features.ts), started after the recorder and before the readers (holds are loaded
 * before the first read), stopped in the reverse order.
 */
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import type { Topics } from '../contract/topics.js';
import type { Logger } from '../log.js';
import type { EventWriter } from '../read-points.js';
import type { Recorder } from '../recorder.js';
import type { Smoother } from '../smoothing/smoother.js';
import type { ControlCommands } from './control.js';
import { ControlServer, controlSocketPath } from './control-server.js';
import { type InventoryFeature, startInventory } from './features.js';
import { HoldAlertListeners } from './holds/hold-alert-listeners.js';
import type { Inbound } from './inbound.js';
import { InboundScope } from './inbound-scope.js';
import { InventoryStore } from './inventory-store.js';
import type { ScanCommands } from './scan-commands.js';

export interface InventoryStageDeps {
  readonly config: Config;
  readonly topics: Topics;
  readonly inbound: Inbound;
  readonly recorder: Recorder;
  readonly events: EventWriter;
  readonly smoother: Smoother;
  readonly scanCommands: ScanCommands;
  readonly log: Logger;
}

export class InventoryStage {
  private features: InventoryFeature[] = [];
  /** Told of each hold alert once recorded, for other parts of the gateway (the console). */
  readonly holdAlerts = new HoldAlertListeners();

  /** Why the inventory store could not be opened, when it could not (the features are off then). */
  private storeError: string | undefined;

  private constructor(
    private readonly store: InventoryStore | undefined,
    private readonly control: ControlServer,
    private readonly inbound: InboundScope,
    private readonly log: Logger,
  ) {}

  /** Opens the store, starts the features, then listens for local commands. */
  static async start(deps: InventoryStageDeps): Promise<InventoryStage> {
    const log = deps.log.child({ component: 'inventory' });
    const control = new ControlServer(log);
    const inbound = new InboundScope(deps.inbound);
    const store = await openStore(deps.config.dataDir).catch((err: Error) => {
      // The events are the gateway's first duty: a store that cannot be opened (damaged, a file
      // where its directory should be) turns the features off, loudly, and the reads go on.
      log.error(
        { err: err.message },
        'the inventory store cannot be opened: holds, where-is, transaction contexts, packing and cycle counts are off; events flow as always',
      );
      return err;
    });
    const stage = new InventoryStage(store instanceof Error ? undefined : store, control, inbound, log);
    try {
      if (store instanceof Error) stage.storeError = store.message;
      else
        stage.features = await startInventory({
          ...deps,
          store,
          control,
          inbound,
          holdAlerts: stage.holdAlerts,
          log,
        });
      // Without the socket the daemon still runs; only the local commands cannot reach it.
      await control.listen(controlSocketPath(deps.config.dataDir)).catch((err: Error) => {
        log.warn(
          { err: err.message },
          'the control socket is off: readpoint holds, where and context cannot reach this daemon',
        );
      });
    } catch (err) {
      await stage.stop();
      throw err;
    }
    return stage;
  }

  /** The control socket's commands, for other parts of the gateway to add theirs. */
  get commands(): ControlCommands {
    return this.control;
  }

  /** Each running feature's part of the health report, by name. */
  health(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = this.storeError === undefined
      ? {}
      : { store: { error: this.storeError } };
    for (const f of this.features) if (f.health) out[f.name] = f.health();
    return out;
  }

  /** The running features' standing warnings, in the features' order. */
  warnings(): string[] {
    return this.features.flatMap((f) => f.warnings?.() ?? []);
  }

  async stop(): Promise<void> {
    await this.control.close();
    this.inbound.close();
    const features = this.features.reverse();
    this.features = [];
    for (const f of features)
      await f
        .stop()
        .catch((err: unknown) => this.log.warn({ err, feature: f.name }, 'could not stop cleanly'));
    await this.store?.close();
  }
}

async function openStore(dataDir: string): Promise<InventoryStore> {
  const store = new InventoryStore(dataDir);
  try {
    await store.open();
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new Error(`${join(dataDir, 'inventory')}: ${cause?.message ?? (err as Error).message}`);
  }
  return store;
}
