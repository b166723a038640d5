/**
 * A store that cannot be written (a full disk) loses no appends: they are held in memory, the
 * write is retried on a reopened store with backoff, health says why, the log says it once, and
 * the outbox recovers by itself. Past the hold's bound the overflow policy applies to held entries.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { baseOptions, drain, gate, put, recordingLogger, recordingStore, tempDirs } from './helpers.js';

const dir = tempDirs();
const fast = { retry: { minMs: 5, maxMs: 20 } };

describe('outbox write errors', () => {
  it('holds the appends, retries on a reopened store, reports the error, logs it once, and recovers', async () => {
    const d = dir();
    const store = recordingStore();
    const { log, lines } = recordingLogger();
    // The first write after the four failures waits for the test: the failing state lasts only
    // milliseconds, so without this a check of it could come after the outbox had recovered.
    const recovery = gate();
    const failed = () => store.calls.filter((c) => c.failed).length;
    const o = new LevelOutbox(d, baseOptions, log, {
      ...fast,
      writeBatch: async (db, ops, options) => {
        if (store.state.failing === 0 && failed() === 4) await recovery.promise;
        return store.writeBatch(db, ops, options);
      },
    });
    await o.open();
    await put(o, 3);
    store.state.failing = 4;
    const settled: number[] = [];
    const pending = Array.from({ length: 5 }, () => {
      const seq = o.nextSequence();
      return o.append({ seq, topic: 't', payload: `event ${seq}`, acceptedAt: 1000 + seq }).then((stored) => {
        settled.push(seq);
        return stored;
      });
    });
    await expect.poll(() => o.stats().writeError).toBe('ENOSPC: no space left on device');
    await expect.poll(failed).toBe(4);
    expect(o.stats()).toMatchObject({ readingStopped: true, held: 5, depth: 3 });
    expect(settled).toEqual([]);
    recovery.open();
    expect(await Promise.all(pending)).toEqual([true, true, true, true, true]);
    expect(settled).toEqual([4, 5, 6, 7, 8]);
    const s = o.stats();
    expect(s).toMatchObject({ depth: 8, held: 0, readingStopped: false, dropped: 0, stalls: 1 });
    expect(s.writeError).toBeUndefined();
    expect(store.calls.map((c) => c.failed)).toEqual([false, true, true, true, true, false]);
    // Every retry went to a freshly opened store, never to the one whose write failed.
    const dbs = store.calls.map((c) => c.db);
    expect(new Set(dbs.slice(1)).size).toBe(5);
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors.map((l) => [l.msg, l.writeError])).toEqual([
      [
        'outbox write failed: events held in memory, retrying until the store can be written',
        'ENOSPC: no space left on device',
      ],
    ]);
    expect(lines.filter((l) => l.msg === 'outbox writable again: held events written')).toMatchObject([
      { failures: 4 },
    ]);
    expect(await drain(o)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await o.close();
    const again = new LevelOutbox(d, baseOptions, silentLogger());
    await again.open();
    expect(again.stats()).toMatchObject({ depth: 0, lastSeq: 8 });
    await again.close();
  });

  it('while the disk is full, keeps delivering the stored backlog and reopens only once there is room', async () => {
    const store = recordingStore();
    const free = { bytes: 0, asked: 0 };
    const o = new LevelOutbox(dir(), baseOptions, silentLogger(), {
      ...fast,
      writeBatch: store.writeBatch,
      freeBytes: async () => {
        free.asked++;
        return free.bytes;
      },
      minFreeBytes: 1000,
    });
    await o.open();
    await put(o, 5);
    store.state.failing = Number.POSITIVE_INFINITY;
    const held = put(o, 2);
    await expect.poll(() => o.stats().writeError).toBe('ENOSPC: no space left on device');
    const taken = await o.take(10);
    expect(taken.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const e of taken) o.ack(e.seq);
    await expect.poll(() => free.asked).toBeGreaterThanOrEqual(3);
    expect(store.calls.filter((c) => c.failed)).toHaveLength(1); // no write tried without room
    free.bytes = 10_000;
    store.state.failing = 0;
    expect(await held).toEqual([true, true]);
    await expect.poll(() => o.stats().depth).toBe(2);
    expect((await o.take(10)).map((e) => e.seq)).toEqual([6, 7]);
    await o.close();
  });

  it('logs a store that stays unwritable once per interval, with the count of failures', async () => {
    const store = recordingStore();
    const { log, lines } = recordingLogger();
    let now = 0;
    const o = new LevelOutbox(dir(), baseOptions, log, {
      ...fast,
      writeBatch: store.writeBatch,
      logEveryMs: 60_000,
      now: () => now,
    });
    await o.open();
    store.state.failing = Number.POSITIVE_INFINITY;
    const pending = put(o, 1);
    await expect.poll(() => store.calls.length).toBeGreaterThanOrEqual(4);
    now = 61_000;
    const before = store.calls.length;
    await expect.poll(() => store.calls.length).toBeGreaterThan(before);
    now = 62_000; // within the next interval: no new line
    const later = store.calls.length;
    await expect.poll(() => store.calls.length).toBeGreaterThan(later);
    const failing = lines.filter((l) => l.level >= 50);
    expect(failing.map((l) => l.msg)).toEqual([
      'outbox write failed: events held in memory, retrying until the store can be written',
      'outbox still cannot write',
    ]);
    expect(failing[1]).toMatchObject({
      writeError: 'ENOSPC: no space left on device',
      held: 1,
      failingS: 61,
    });
    expect(failing[1]!.failures).toBe(before); // every failure since the first line, counted
    store.state.failing = 0;
    expect(await pending).toEqual([true]);
    await o.close();
  });

  it('drop-newest: past the hold, new appends are refused at once, counted and kept for the notice', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), { ...baseOptions, overflow: 'drop-newest' }, silentLogger(), {
      ...fast,
      writeBatch: store.writeBatch,
      holdEvents: 5,
    });
    await o.open();
    store.state.failing = Number.POSITIVE_INFINITY;
    const first = put(o, 1);
    await expect.poll(() => o.stats().writeError).toBeDefined();
    const more = put(o, 7); // 2..5 fill the hold, 6..8 are refused there and then
    expect(o.stats()).toMatchObject({
      held: 5,
      dropped: 3,
      readingStopped: true,
      firstDropped: { seq: 6 },
      lastDropped: { seq: 8 },
    });
    store.state.failing = 0;
    expect([...(await first), ...(await more)]).toEqual([true, true, true, true, true, false, false, false]);
    expect(o.cutDrops(10)?.ranges.map((r) => [r.from, r.to])).toEqual([[6, 8]]);
    expect(await drain(o)).toEqual([1, 2, 3, 4, 5]);
    await o.close();
  });

  it('drop-oldest: past the hold, the oldest held appends give way to the new ones', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), baseOptions, silentLogger(), {
      ...fast,
      writeBatch: store.writeBatch,
      holdEvents: 5,
    });
    await o.open();
    store.state.failing = Number.POSITIVE_INFINITY;
    const first = put(o, 1);
    await expect.poll(() => o.stats().writeError).toBeDefined();
    const more = put(o, 7);
    await expect.poll(() => o.stats().dropped).toBe(3);
    store.state.failing = 0;
    expect([...(await first), ...(await more)]).toEqual([false, false, false, true, true, true, true, true]);
    expect(o.cutDrops(10)?.ranges.map((r) => [r.from, r.to])).toEqual([[1, 3]]);
    expect(await drain(o)).toEqual([4, 5, 6, 7, 8]);
    await o.close();
  });

  it('stop-reading: past the hold nothing is dropped; the appends wait for the store', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), { ...baseOptions, overflow: 'stop-reading' }, silentLogger(), {
      ...fast,
      writeBatch: store.writeBatch,
      holdEvents: 5,
    });
    await o.open();
    store.state.failing = Number.POSITIVE_INFINITY;
    const all = put(o, 8);
    await expect.poll(() => o.stats().held).toBe(8);
    expect(o.stats()).toMatchObject({ dropped: 0, readingStopped: true });
    store.state.failing = 0;
    expect(await all).toEqual(Array(8).fill(true));
    expect(await drain(o)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await o.close();
  });

  it('at a stop, release() refuses what a failing store holds so the readers can stop, and close() does not hang', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), baseOptions, silentLogger(), { ...fast, writeBatch: store.writeBatch });
    await o.open();
    store.state.failing = Number.POSITIVE_INFINITY;
    const held = put(o, 3);
    await expect.poll(() => o.stats().writeError).toBeDefined();
    expect(o.release()).toBe(true);
    await expect(held).rejects.toThrow(
      'outbox cannot write (ENOSPC: no space left on device): event not stored',
    );
    await expect(put(o, 1)).rejects.toThrow('event not stored');
    await o.close();
    expect(o.stats().held).toBe(0);
  });

  it('at a stop, release() writes appends waiting for room past the limit: a clean stop loses nothing', async () => {
    const d = dir();
    const o = new LevelOutbox(d, { ...baseOptions, maxEvents: 10, overflow: 'stop-reading' }, silentLogger());
    await o.open();
    await put(o, 10);
    const waiting = put(o, 3);
    await expect.poll(() => o.stats().readingStopped).toBe(true);
    expect(o.release()).toBe(false);
    expect(await waiting).toEqual([true, true, true]);
    await o.close();
    const again = new LevelOutbox(d, { ...baseOptions, maxEvents: 10 }, silentLogger());
    await again.open();
    expect(again.stats()).toMatchObject({ depth: 13, dropped: 0 });
    expect(await drain(again)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    await again.close();
  });
});
