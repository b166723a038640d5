/**
 * The inventory store: the gateway's own state about units, kept in a LevelDB of its own at
 * `<dataDir>/inventory` beside the outbox (holds, the last-seen index, transaction contexts, the
 * last cycle count of each read point, open cases of pack stations). Each feature keeps its
 * records in a sublevel named after it, so features never see each other's keys.
 *
 * It is state, not a queue: nothing here is published from it, and losing the last writes in a
 * crash loses only what the gateway learned in its last moments (the events themselves are in the
 * outbox). Writes are not fsynced one by one.
 */
import { join } from 'node:path';
import { Level } from 'level';
import type { LevelTuning } from '../memory-budget.js';

/**
 * LevelDB's memory for the inventory store: its records are read and written by key in small
 * batches, so small caches do. With classic-level's defaults (8 MiB cache, 4 MiB write buffer,
 * 1000 open files) a where-is index of 300,000 sightings took the daemon's RssAnon from about
 * 120 to 150-157 MB; with these, 135-137 MB.
 */
const TUNING: LevelTuning = {
  cacheSize: 2 * 1024 * 1024,
  writeBufferSize: 2 * 1024 * 1024,
  maxOpenFiles: 100,
};

/** A feature's part of the store: string keys, string (JSON) values. */
export type InventoryPart = ReturnType<InventoryStore['part']>;

export class InventoryStore {
  private readonly db: Level<string, string>;

  constructor(dataDir: string) {
    this.db = new Level<string, string>(join(dataDir, 'inventory'), {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      ...TUNING,
    });
  }

  /** Opens the store (creating it); fails when another process has it open. */
  open(): Promise<void> {
    return this.db.open();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** The sublevel of one feature, e.g. `holds`, `where`, `context`, `counts`, `packing`. */
  part(name: string) {
    return this.db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }
}
