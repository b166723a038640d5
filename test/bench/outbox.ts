/**
 * The outbox against its ceiling in the same run: raw `level` chained batch puts of the same payload
 * and a raw iterate-and-delete drain, then the same events through LevelOutbox (append + take/ack).
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

const PAYLOAD = JSON.stringify({ filler: 'x'.repeat(680) });
const BATCH = 512;

async function dirSize(dir: string): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

export async function benchOutbox(n: number, sync: SyncPolicy) {
  const rawDir = mkdtempSync(join(tmpdir(), 'rp-bench-raw-'));
  const obDir = mkdtempSync(join(tmpdir(), 'rp-bench-ob-'));
  try {
    const db = new Level<string, string>(rawDir);
    await db.open();
    let t = performance.now();
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
    const raw = n / ((performance.now() - t) / 1000);
    await db.close();

    const outbox = new LevelOutbox(
      obDir,
      { maxEvents: n + 1, maxBytes: 1 << 30, overflow: 'drop-oldest', batchMax: BATCH, sync },
      silentLogger(),
    );
    await outbox.open();
    t = performance.now();
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
    const bytesPerEvent = (await dirSize(obDir)) / n;
    for (let batch = await outbox.take(BATCH); batch.length > 0; batch = await outbox.take(BATCH)) {
      for (const e of batch) outbox.ack(e.seq);
    }
    await outbox.close();
    const ours = n / ((performance.now() - t) / 1000);
    return { rawPutDrainPerSecond: raw, outboxAppendDrainPerSecond: ours, bytesPerEvent, ratio: ours / raw };
  } finally {
    rmSync(rawDir, { recursive: true, force: true });
    rmSync(obDir, { recursive: true, force: true });
  }
}
