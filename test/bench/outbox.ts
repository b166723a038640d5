/**
 * The outbox against its ceiling: raw `level` chained batch puts of the same payload and a raw
 * iterate-and-delete drain, and the same events through LevelOutbox (append + take/ack), each
 * with the CPU time it took (in this process: LevelDB's threads count in the process figure).
 * Both sides sync alike: with `batch` every group commit (and every raw batch put) is fsynced;
 * with `interval` neither fsyncs per write (the outbox syncs every 100 ms in the background).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import type { SyncPolicy } from '../../daemon/outbox/outbox.js';
import { cpuMark, type Measured, measuredSince } from './cpu.js';
import { diskUsage } from './disk.js';

const PAYLOAD = JSON.stringify({ filler: 'x'.repeat(680) });
const BATCH = 512;

/** The ceiling: raw level batch puts of `n` events, then an iterate-and-delete drain. */
export async function benchRawLevel(n: number, sync: SyncPolicy): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-raw-'));
  try {
    const db = new Level<string, string>(dir);
    await db.open();
    const t = cpuMark();
    // The fastest way level offers: chained batches (the array form copies every operation).
    for (let i = 0; i < n; i += BATCH) {
      const batch = db.batch();
      for (let j = i; j < Math.min(n, i + BATCH); j++)
        batch.put(`e!${j.toString(16).padStart(16, '0')}`, PAYLOAD);
      await batch.write({ sync: sync === 'batch' });
    }
    let last: string | undefined;
    for (;;) {
      const keys: string[] = [];
      for await (const [k] of db.iterator({
        ...(last ? { gt: last } : { gte: 'e!' }),
        lt: 'e~',
        limit: BATCH,
      }))
        keys.push(k);
      if (keys.length === 0) break;
      last = keys.at(-1);
      const batch = db.batch();
      for (const key of keys) batch.del(key);
      await batch.write();
    }
    const measured = measuredSince(t, n);
    await db.close();
    return measured;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `n` events appended to a LevelOutbox and drained (take + ack); bytes per event after the appends. */
export async function benchLevelOutbox(
  n: number,
  sync: SyncPolicy,
): Promise<Measured & { bytesPerEvent: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-ob-'));
  try {
    const outbox = new LevelOutbox(
      dir,
      { maxEvents: n + 1, maxBytes: 1 << 30, overflow: 'drop-oldest', batchMax: BATCH, sync },
      silentLogger(),
    );
    await outbox.open();
    const t = cpuMark();
    for (let i = 0; i < n; i += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, n - i) }, () => {
          const seq = outbox.nextSequence();
          return outbox.append({
            seq,
            topic: 'readpoint/v1/s/g/events/rp',
            payload: PAYLOAD,
            acceptedAt: Date.now(),
          });
        }),
      );
    }
    const bytesPerEvent = diskUsage(dir).bytes / n;
    for (let batch = await outbox.take(BATCH); batch.length > 0; batch = await outbox.take(BATCH)) {
      for (const e of batch) outbox.ack(e.seq);
    }
    await outbox.close();
    return { ...measuredSince(t, n), bytesPerEvent };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
