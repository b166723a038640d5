/**
 * The inventory store of a stopped daemon, as a command reads it when no daemon answers on the
 * control socket (`readpoint context show`, and any other command that only reads). The store
 * itself is never opened: LevelDB cannot open a store without writing to it (the LOCK, a new log
 * and manifest, its LOG rotated), and a command run as root would leave root's files there that
 * the daemon's user then cannot open (its next start fails), or follow a link that user put
 * there. So, as `readpoint outbox` does (outbox/inspect.ts), a copy of the store is opened and
 * removed again; a store a process holds (a daemon whose socket is off) is refused.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { copyStore, OutboxInUseError } from '../outbox/inspect.js';

/** A process holds the inventory store: a daemon runs on the data dir but did not answer. */
export class InventoryInUseError extends Error {
  override readonly name = 'InventoryInUseError';
}

export class InventorySnapshot {
  private constructor(
    private readonly db: Level<string, string>,
    private readonly copy: string,
    private readonly removeCopy: () => void,
  ) {}

  /** A copy of `<dataDir>/inventory` opened for reading; undefined when the daemon never kept one. */
  static async open(dataDir: string): Promise<InventorySnapshot | undefined> {
    const dir = join(dataDir, 'inventory');
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new Error(`cannot read the inventory store ${dir}: ${err.message}`);
    });
    if (!names?.includes('CURRENT')) return undefined;
    const { copy, removeCopy } = await copyStore(dir, names).catch((err: unknown) => {
      if (!(err instanceof OutboxInUseError)) throw err;
      throw new InventoryInUseError(
        `the inventory store ${dir} is in use${err.pid ? ` by process ${err.pid}` : ''}: a daemon runs on this data dir, but its control socket did not answer`,
      );
    });
    const db = new Level<string, string>(copy, {
      createIfMissing: false,
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
    });
    try {
      await db.open();
    } catch (err) {
      removeCopy();
      const cause = (err as { cause?: Error }).cause;
      throw new Error(`cannot read the inventory store ${dir}: ${cause?.message ?? (err as Error).message}`);
    }
    return new InventorySnapshot(db, copy, removeCopy);
  }

  /** The records of one feature (inventory-store.ts `part`). */
  part(name: string) {
    return this.db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  /** Closes the copy and removes it. */
  async close(): Promise<void> {
    await this.db.close().catch(() => undefined);
    this.removeCopy();
    await rm(this.copy, { recursive: true, force: true });
  }
}
