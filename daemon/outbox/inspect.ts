/**
 * A read-only look into the outbox of a stopped gateway, for `readpoint outbox stats|export`.
 *
 * LevelDB cannot open a store without writing to it: it takes the LOCK, turns its log into a new
 * table, writes a new manifest and rotates its LOG. So the store itself is never opened. Its
 * files are put into a snapshot directory (tables, which LevelDB never changes, hard-linked; the
 * log, manifest and CURRENT copied) and the snapshot is opened instead; the store's directory is
 * only read. Whether a running readpoint holds the store's LOCK is read from /proc/locks, before
 * and after the snapshot is taken, so a snapshot of a store being written is never used.
 *
 * The key layout is level-outbox.ts's: events under `e!<seq>` (batch-plan.ts), the state under
 * `m!state`, the drop ledger under `m!drops` (drop-ledger.ts), quarantined records under `q!`.
 */
import { rmSync } from 'node:fs';
import { copyFile, link, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Level } from 'level';
import { DROPS_KEY, decodeEntry, entryKey, STATE_KEY, seqOf } from './batch-plan.js';
import { DropLedger } from './drop-ledger.js';
import type { DropRange } from './outbox.js';

/** There is no outbox (no LevelDB store) at `dir`. */
export class OutboxMissingError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`no outbox at ${dir} (${reason})`);
    this.name = 'OutboxMissingError';
  }
}

/** A process holds the store's LevelDB lock: a running readpoint (its pid when /proc tells). */
export class OutboxInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(`the outbox at ${dir} is in use${pid ? ` by process ${pid}` : ''}`);
    this.name = 'OutboxInUseError';
  }
}

/** What waits in an outbox. Times are the events' acceptance times (ms since the epoch). */
export interface OutboxSummary {
  readonly dir: string;
  /** Undelivered events, and their bytes as counted against `outbox.maxBytes` (key + record). */
  readonly depth: number;
  readonly bytes: number;
  /** Size of the store's files on disk. */
  readonly diskBytes: number;
  /** First and last undelivered sequence numbers (absent when nothing waits). */
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  /** The highest sequence number ever handed out: the next event gets a higher one. */
  readonly highestSeq: number;
  readonly oldestAt?: number;
  readonly newestAt?: number;
  /** Undelivered events per read point (the last segment of their topic). */
  readonly readPoints: Readonly<Record<string, number>>;
  readonly drops: {
    /** Events the overflow policy dropped over the store's life. */
    readonly total: number;
    /** Dropped events no acknowledged overflow notice has announced yet, as ranges. */
    readonly unannounced: number;
    readonly ranges: readonly DropRange[];
  };
  /** Records set aside as undecodable (`q!`), never delivered. */
  readonly quarantined: number;
  /** Event records that cannot be decoded (the daemon would quarantine them), first keys of them. */
  readonly damaged: number;
  readonly damagedKeys: readonly string[];
}

/** One stored event, or a record under an event key that cannot be decoded. */
export type StoredEvent =
  | { readonly seq: number; readonly topic: string; readonly payload: string; readonly acceptedAt: number }
  | { readonly seq: number; readonly damaged: true; readonly key: string };

/** A snapshot of an outbox, opened for reading. `close()` removes the snapshot. */
export class OutboxSnapshot {
  private constructor(
    readonly dir: string,
    private readonly db: Level<string, string>,
    private readonly copy: string,
    private readonly diskBytes: number,
    private readonly removeCopy: () => void,
  ) {}

  /**
   * Takes and opens a snapshot of the outbox in `dir` without changing it. Rejects with
   * OutboxMissingError when there is no store there, OutboxInUseError when a process holds it.
   */
  static async open(dir: string): Promise<OutboxSnapshot> {
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new OutboxMissingError(dir, 'the directory does not exist');
      if (err.code === 'ENOTDIR') throw new OutboxMissingError(dir, 'it is not a directory');
      if (err.code === 'EACCES')
        throw new Error(`no permission to read ${dir}: run as root, or as the user the daemon runs as`);
      throw new Error(`cannot read ${dir}: ${err.message}`);
    });
    if (!names.includes('CURRENT')) throw new OutboxMissingError(dir, 'the directory holds no LevelDB store');
    const { copy, diskBytes, removeCopy } = await copyStore(dir, names);
    try {
      const db = new Level<string, string>(copy, {
        createIfMissing: false,
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
      });
      await db.open().catch((err: Error & { cause?: Error }) => {
        throw new Error(`cannot read the outbox at ${dir}: ${err.cause?.message ?? err.message}`);
      });
      return new OutboxSnapshot(dir, db, copy, diskBytes, removeCopy);
    } catch (err) {
      process.removeListener('exit', removeCopy);
      await rm(copy, { recursive: true, force: true });
      throw err;
    }
  }

  /** Scans the whole snapshot; rejects with `interrupted` once `signal` aborts. */
  async summary(signal?: AbortSignal): Promise<OutboxSummary> {
    const state = parseState(await this.db.get(STATE_KEY));
    const ledger = DropLedger.parse(await this.db.get(DROPS_KEY));
    const ranges = ledger.cut(Number.MAX_SAFE_INTEGER)?.ranges ?? [];
    const readPoints = new Map<string, number>();
    const damagedKeys: string[] = [];
    let depth = 0;
    let bytes = 0;
    let damaged = 0;
    let firstSeq: number | undefined;
    let lastSeq: number | undefined;
    let oldestAt: number | undefined;
    let newestAt: number | undefined;
    let highestKey = 0;
    for await (const [key, value] of this.db.iterator({ gte: 'e!', lt: 'e~' })) {
      if (signal?.aborted) throw new Error('interrupted');
      highestKey = seqOf(key);
      const entry = decodeEntry(value);
      if (!entry) {
        damaged++;
        if (damagedKeys.length < 5) damagedKeys.push(key);
        continue;
      }
      const seq = seqOf(key);
      depth++;
      bytes += key.length + value.length;
      firstSeq ??= seq;
      lastSeq = seq;
      oldestAt = Math.min(oldestAt ?? entry.a, entry.a);
      newestAt = Math.max(newestAt ?? entry.a, entry.a);
      const point = entry.t.slice(entry.t.lastIndexOf('/') + 1);
      readPoints.set(point, (readPoints.get(point) ?? 0) + 1);
    }
    let quarantined = 0;
    for await (const _ of this.db.keys({ gte: 'q!', lt: 'q~' })) quarantined++;
    return {
      dir: this.dir,
      depth,
      bytes,
      diskBytes: this.diskBytes,
      ...(firstSeq !== undefined ? { firstSeq, lastSeq } : {}),
      highestSeq: Math.max(state.lastSeq, highestKey, ledger.highestSeq),
      ...(oldestAt !== undefined ? { oldestAt, newestAt } : {}),
      readPoints: Object.fromEntries([...readPoints].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      drops: { total: ledger.total, unannounced: ledger.unannounced, ranges },
      quarantined,
      damaged,
      damagedKeys,
    };
  }

  /**
   * The stored events in sequence order, from `fromSeq` on, at most `limit` decodable ones;
   * rejects with `interrupted` once `signal` aborts.
   */
  async *events(
    fromSeq = 0,
    limit = Number.POSITIVE_INFINITY,
    signal?: AbortSignal,
  ): AsyncGenerator<StoredEvent> {
    if (limit <= 0) return;
    let given = 0;
    for await (const [key, value] of this.db.iterator({ gte: entryKey(fromSeq), lt: 'e~' })) {
      if (signal?.aborted) throw new Error('interrupted');
      const entry = decodeEntry(value);
      if (!entry) {
        yield { seq: seqOf(key), damaged: true, key };
        continue;
      }
      yield { seq: seqOf(key), topic: entry.t, payload: entry.p, acceptedAt: entry.a };
      if (++given >= limit) return;
    }
  }

  /** Closes the snapshot and removes it; the outbox itself was never touched. */
  async close(): Promise<void> {
    await this.db.close().catch(() => undefined);
    process.removeListener('exit', this.removeCopy);
    await rm(this.copy, { recursive: true, force: true });
  }
}

/**
 * A copy of the LevelDB store in `dir` (whose files are `names`) that LevelDB may open and write:
 * tables hard-linked, the rest copied, no LOCK. Rejects with OutboxInUseError when a process holds
 * the store's lock before or after the copy. The copy is removed at `removeCopy()`, at the latest
 * when the process exits.
 */
export async function copyStore(
  dir: string,
  names: readonly string[],
): Promise<{ copy: string; diskBytes: number; removeCopy: () => void }> {
  await refuseIfLocked(dir);
  const copy = await snapshotDir(dir);
  // Whatever ends this process, the snapshot does not stay behind in the data directory.
  const removeCopy = () => {
    process.removeListener('exit', removeCopy);
    rmSync(copy, { recursive: true, force: true });
  };
  process.once('exit', removeCopy);
  try {
    let diskBytes = 0;
    for (const name of names) {
      if (name === 'LOCK' || name.startsWith('LOG')) continue;
      const from = join(dir, name);
      const size = (await stat(from)).size;
      diskBytes += size;
      // Tables are immutable: a link costs nothing. The log and the manifest are copied.
      if (/\.(ldb|sst)$/.test(name))
        await link(from, join(copy, name)).catch(() => copyFile(from, join(copy, name)));
      else await copyFile(from, join(copy, name));
    }
    await refuseIfLocked(dir);
    return { copy, diskBytes, removeCopy };
  } catch (err) {
    removeCopy();
    throw err;
  }
}

function parseState(text: string | undefined): { lastSeq: number } {
  if (text === undefined) return { lastSeq: 0 };
  try {
    const s = JSON.parse(text) as { lastSeq?: unknown };
    return { lastSeq: typeof s.lastSeq === 'number' ? s.lastSeq : 0 };
  } catch {
    return { lastSeq: 0 };
  }
}

/**
 * The snapshot's directory: beside the outbox, so tables can be hard-linked (same file system);
 * in the temp directory when the data directory cannot be written (a disk mounted read-only), and
 * when root looks into another user's data directory (that user could swap root's snapshot
 * directory for a link, and root would write its copies wherever the link leads).
 */
async function snapshotDir(dir: string): Promise<string> {
  const prefix = `.${basename(dir)}-snapshot-`;
  const inTemp = () => mkdtemp(join(tmpdir(), `readpoint${prefix}`));
  if (process.getuid?.() === 0 && (await stat(dirname(dir))).uid !== 0) return inTemp();
  return mkdtemp(join(dirname(dir), prefix)).catch(inTemp);
}

/** Throws OutboxInUseError when /proc/locks lists a lock on the store's LOCK file. */
async function refuseIfLocked(dir: string): Promise<void> {
  const lockFile = join(dir, 'LOCK');
  const st = await stat(lockFile, { bigint: true }).catch(() => undefined);
  if (!st) return; // never opened by LevelDB, so nobody holds it
  const locks = await readFile('/proc/locks', 'utf8').catch(() => '');
  const pid = lockHolder(locks, st.dev, st.ino);
  if (pid !== undefined) throw new OutboxInUseError(dir, pid > 0 ? pid : undefined);
}

/**
 * The pid holding a lock on the file with this device and inode in /proc/locks' text, 0 when
 * the pid is not visible, undefined when there is no such lock. A line reads
 * `1: POSIX  ADVISORY  WRITE 4711 fe:00:2165094 0 EOF` (device major:minor in hex, inode decimal);
 * waiting requests (`->`) are not holders.
 */
export function lockHolder(locks: string, dev: bigint, ino: bigint): number | undefined {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  for (const line of locks.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m || m[1] === '->') continue;
    if (BigInt(`0x${m[3]}`) === major && BigInt(`0x${m[4]}`) === minor && BigInt(m[5]!) === ino)
      return Math.max(0, Number(m[2]));
  }
  return undefined;
}
