/**
 * The sync policy reaches LevelDB: the `sync` option of every db.batch call is recorded through
 * the outbox's writeBatch seam, which passes it on to the real LevelDB in a temp dir.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { baseOptions, drain, put, putEach, recordingStore, tempDirs } from './helpers.js';

const dir = tempDirs();

describe('outbox sync policy', () => {
  it('batch (the default): every group commit that carries appends is fsynced before they resolve', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), baseOptions, silentLogger(), { writeBatch: store.writeBatch });
    await o.open();
    let writtenWhenResolved: boolean[] = [];
    await put(o, 1).then(() => {
      writtenWhenResolved = store.calls.map((c) => c.sync);
    });
    await putEach(o, 4);
    await put(o, 300);
    expect(writtenWhenResolved).toEqual([true]);
    const appendWrites = store.calls.filter((c) =>
      c.ops.some((op) => op.key.startsWith('e!') && op.type === 'put'),
    );
    expect(appendWrites.length).toBeGreaterThanOrEqual(6);
    expect(appendWrites.map((c) => c.sync)).toEqual(appendWrites.map(() => true));
    expect(o.stats().syncs).toBe(appendWrites.length);
    await o.close();
  });

  it('batch: acknowledgements alone are written without waiting for an fsync', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), baseOptions, silentLogger(), { writeBatch: store.writeBatch });
    await o.open();
    await put(o, 10);
    const before = store.calls.length;
    expect(await drain(o)).toHaveLength(10);
    await expect.poll(() => o.stats().depth).toBe(0);
    const deletesOnly = store.calls.slice(before);
    expect(deletesOnly.length).toBeGreaterThan(0);
    expect(deletesOnly.every((c) => c.ops.every((op) => op.type === 'del' || op.key.startsWith('m!')))).toBe(
      true,
    );
    expect(deletesOnly[0]!.sync).toBe(false);
    await o.close();
  });

  it('interval: batches go unsynced, one at most every syncIntervalMs is synced, and a timer syncs the rest', async () => {
    const store = recordingStore();
    let now = 0;
    // The clock decides which batch is synced; the timer behind the last write runs in real time
    // (at most 2 s here), so the interval is long enough that it cannot fire during the first three.
    const o = new LevelOutbox(
      dir(),
      { ...baseOptions, sync: 'interval', syncIntervalMs: 2000 },
      silentLogger(),
      {
        writeBatch: store.writeBatch,
        now: () => now,
      },
    );
    await o.open(); // the interval counts from here: t = 0
    await put(o, 1); // t = 0: unsynced, the timer is armed
    now = 1000;
    await put(o, 1); // unsynced
    now = 3000;
    await put(o, 1); // 3 s since the last sync: this one is synced
    expect(store.calls.map((c) => c.sync)).toEqual([false, false, true]);
    now = 4000;
    await put(o, 1); // unsynced; the timer then writes a small synced batch
    // A write is recorded when it starts and counted as a sync when it has completed: wait for that.
    await expect.poll(() => o.stats().syncs, { timeout: 5000 }).toBe(2);
    expect(store.calls.map((c) => c.sync)).toEqual([false, false, true, false, true]);
    // The timer's write carries only the state record: its fsync flushes the earlier writes.
    expect(store.calls[4]!.ops.map((op) => op.key)).toEqual(['m!state']);
    await o.close();
    expect(store.calls).toHaveLength(5); // nothing left unsynced at close
  });

  it('interval: close() syncs what the interval had not yet synced', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(
      dir(),
      { ...baseOptions, sync: 'interval', syncIntervalMs: 10_000 },
      silentLogger(),
      { writeBatch: store.writeBatch },
    );
    await o.open();
    await put(o, 3);
    expect(store.calls.map((c) => c.sync)).toEqual([false]);
    await o.close();
    expect(store.calls.map((c) => c.sync)).toEqual([false, true]);
  });
});
