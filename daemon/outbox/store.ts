/** Opening the outbox's LevelDB store and the one scan that counts it. */
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import type { Logger } from '../log.js';
import type { DropTally } from './batch.js';
import { Ledger } from './ledger.js';
import { acceptedAtOf, DROPS, ENTRIES, LAST_SEQ, QUARANTINED, seqOfKey } from './record.js';

/** Opens (creating) the store; another process holding it is named as such. */
export async function openStore(dir: string): Promise<Level<string, string>> {
  await mkdir(dir, { recursive: true });
  const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    await db.open();
    return db;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(
        `the data directory ${dir} is in use by another readpoint (its LevelDB lock is held); stop that one or use another dataDir`,
        { cause: err },
      );
    }
    throw new Error(`cannot open the outbox in ${dir}: ${cause?.message ?? (err as Error).message}`, {
      cause: err,
    });
  }
}

export interface StoreScan {
  readonly ledger: Ledger;
  readonly lastSeq: number;
  /** Keys of the records to move to quarantine. */
  readonly damaged: string[];
  /** Records in quarantine, counting the damaged ones. */
  readonly quarantined: number;
  readonly drops: DropTally;
}

const CHUNK = 1000;

/**
 * The one scan at open: every stored entry goes into the ledger (seq, acceptedAt, size), the
 * high-water mark is read, quarantined records are counted, and entries whose key or header is
 * damaged are set aside for quarantine (their CRC is checked when they are taken). About 4 s for
 * a million ~700-byte entries, most of it LevelDB's iteration.
 */
export async function scanStore(db: Level<string, string>, log: Logger): Promise<StoreScan> {
  const meta = await db.get(LAST_SEQ);
  let lastSeq = Number(meta ?? 0);
  if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) {
    log.error({ value: meta }, 'outbox high-water mark unreadable: taking it from the stored keys');
    lastSeq = 0;
  }
  let quarantined = 0;
  for await (const key of db.keys(QUARANTINED)) {
    quarantined++;
    lastSeq = Math.max(lastSeq, seqOfKey(key) ?? 0);
  }
  const ledger = new Ledger();
  const damaged: string[] = [];
  const it = db.iterator(ENTRIES);
  try {
    for (let chunk = await it.nextv(CHUNK); chunk.length > 0; chunk = await it.nextv(CHUNK)) {
      for (const [key, value] of chunk) {
        const seq = seqOfKey(key);
        const at = acceptedAtOf(value);
        if (seq === undefined || at === undefined) {
          log.error({ key, length: value.length }, 'outbox record cannot be decoded: moved to quarantine');
          damaged.push(key);
          continue;
        }
        lastSeq = Math.max(lastSeq, seq);
        ledger.push(seq, at, key.length + Buffer.byteLength(value));
      }
    }
  } finally {
    await it.close();
  }
  return {
    ledger,
    lastSeq,
    damaged,
    quarantined: quarantined + damaged.length,
    drops: await readDrops(db, log),
  };
}

async function readDrops(db: Level<string, string>, log: Logger): Promise<DropTally> {
  const value = await db.get(DROPS);
  if (value === undefined) return { count: 0 };
  try {
    const tally = JSON.parse(value) as DropTally;
    if (Number.isSafeInteger(tally.count)) return tally;
  } catch {
    // reported below
  }
  log.error({ value }, 'outbox drop tally unreadable: counting drops from zero');
  return { count: 0 };
}
