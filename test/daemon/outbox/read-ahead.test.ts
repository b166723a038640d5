/**
 * The backlog read ahead (daemon/outbox/read-ahead.ts) through the outbox, on LevelDB on disk:
 * without a live tail every take reads the store, so the main lane's takes are served by readers
 * that outlive them, and each test holds the delivery's rules to entries read ahead.
 */
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { encodeEntry, entryKey } from '../../../daemon/outbox/batch-plan.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import type { OutboxEntry } from '../../../daemon/outbox/outbox.js';
import { READER_LIFE, ReadAhead } from '../../../daemon/outbox/read-ahead.js';
import { baseOptions, gate, recordingStore, tempDirs } from './helpers.js';

const tempDir = tempDirs();
const options = { ...baseOptions, sync: 'interval' as const, liveTailEvents: 0 };
/** About a kilobyte: a chunk read ahead holds about a hundred entries. */
const payloadOf = (seq: number) => `event ${seq} `.padEnd(1000, String.fromCharCode(97 + (seq % 26)));

async function opened(dir: string, o: Partial<typeof options> = {}, seams = {}): Promise<LevelOutbox> {
  const outbox = new LevelOutbox(dir, { ...options, ...o }, silentLogger(), seams);
  await outbox.open();
  return outbox;
}

/** Appends `n` entries in group commits of 500. */
async function fill(o: LevelOutbox, n: number): Promise<void> {
  for (let done = 0; done < n; ) {
    const entries = Array.from({ length: Math.min(500, n - done) }, () => {
      const seq = o.nextSequence();
      return { seq, topic: 'rp/events', payload: payloadOf(seq), acceptedAt: 1000 + seq };
    });
    expect(await o.appendAll(entries)).toEqual(entries.map(() => true));
    done += entries.length;
  }
}

/** Takes until a take hands out nothing, with take sizes cycling through `sizes`. */
async function takeAll(o: LevelOutbox, sizes = [256]): Promise<OutboxEntry[]> {
  const all: OutboxEntry[] = [];
  for (let i = 0; ; i++) {
    const got = await o.take(sizes[i % sizes.length]!);
    if (got.length === 0) return all;
    all.push(...got);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('backlog read ahead', () => {
  it('hands out every entry once, in order, across takes of any size and past readers reopened after their life', async () => {
    const o = await opened(tempDir());
    try {
      const n = 2 * READER_LIFE + 777;
      await fill(o, n);
      const all = await takeAll(o, [7, 256, 1, 100, 61, 300]);
      expect(all.map((e) => e.seq)).toEqual(range(1, n));
      for (const e of all) {
        expect(String(e.payload)).toBe(payloadOf(e.seq));
        expect(e).toMatchObject({ topic: 'rp/events', acceptedAt: 1000 + e.seq });
      }
    } finally {
      await o.close();
    }
  });

  it('goes on with entries stored after its reader opened', async () => {
    const o = await opened(tempDir());
    try {
      await fill(o, 300);
      expect((await o.take(10)).map((e) => e.seq)).toEqual(range(1, 10));
      await fill(o, 300);
      expect((await takeAll(o)).map((e) => e.seq)).toEqual(range(11, 600));
    } finally {
      await o.close();
    }
  });

  it('does not hand out a victim dropped while it was read ahead', async () => {
    const o = await opened(tempDir(), { maxEvents: 1000 });
    try {
      await fill(o, 1000);
      // The reader has the next chunks in memory once this take is out.
      expect((await o.take(10)).map((e) => e.seq)).toEqual(range(1, 10));
      await fill(o, 50); // drop-oldest: the 50 oldest not in flight, 11-60, all read ahead
      expect(o.stats()).toMatchObject({ dropped: 50, firstDropped: { seq: 11 }, lastDropped: { seq: 60 } });
      expect((await takeAll(o)).map((e) => e.seq)).toEqual(range(61, 1050));
    } finally {
      await o.close();
    }
  });

  it('does not hand out a victim read ahead while the batch that drops it is being written', async () => {
    const store = recordingStore();
    const o = await opened(tempDir(), { maxEvents: 1000 }, { writeBatch: store.writeBatch });
    try {
      await fill(o, 1000);
      expect((await o.take(10)).map((e) => e.seq)).toEqual(range(1, 10));
      const write = gate();
      store.state.paused = write.promise;
      const entered = store.state.entered;
      const appended = fill(o, 50);
      let during: number[];
      try {
        await expect.poll(() => store.state.entered).toBe(entered + 1);
        // 11-60 are chosen as victims and the batch is not written: a take skips them.
        during = (await o.take(20)).map((e) => e.seq);
      } finally {
        store.state.paused = undefined;
        write.open();
      }
      await appended;
      expect(during).toEqual(range(61, 80));
      expect(o.stats()).toMatchObject({ dropped: 50, firstDropped: { seq: 11 }, lastDropped: { seq: 60 } });
      expect((await takeAll(o)).map((e) => e.seq)).toEqual(range(81, 1050));
    } finally {
      await o.close();
    }
  });

  it('never hands out again an acknowledged entry read ahead, whether its delete is written before or after', async () => {
    const dir = tempDir();
    const store = recordingStore();
    const o = await opened(dir, {}, { writeBatch: store.writeBatch });
    try {
      await fill(o, 600);
      expect((await o.take(50)).map((e) => e.seq)).toEqual(range(1, 50));
      const deletes = gate();
      store.state.paused = deletes.promise;
      for (let seq = 10; seq <= 50; seq++) o.ack(seq);
      // The connection was lost with 1-9 unacknowledged: they come again, then 51 on. The new
      // reader opens while the deletes of 10-50 are not written: its snapshot still has them.
      o.rewind();
      expect((await o.take(5)).map((e) => e.seq)).toEqual(range(1, 5));
      store.state.paused = undefined;
      deletes.open();
      await expect.poll(() => o.stats().depth).toBe(600 - 41);
      expect((await takeAll(o, [3, 64])).map((e) => e.seq)).toEqual([...range(6, 9), ...range(51, 600)]);
    } finally {
      await o.close();
    }
  });

  it('hands out again after a rewind everything not acknowledged, in order', async () => {
    const o = await opened(tempDir());
    try {
      await fill(o, 800);
      const first = [...(await o.take(256)), ...(await o.take(256))].map((e) => e.seq);
      expect(first).toEqual(range(1, first.length));
      const acked = first.filter((seq) => seq % 3 === 0);
      for (const seq of acked) o.ack(seq);
      o.rewind();
      const again = (await takeAll(o, [100])).map((e) => e.seq);
      expect(again).toEqual(range(1, 800).filter((seq) => !acked.includes(seq)));
    } finally {
      await o.close();
    }
  });

  it('quarantines a record read ahead that cannot be decoded and hands out the rest in order', async () => {
    const dir = tempDir();
    const a = await opened(dir);
    await fill(a, 400);
    await a.close();
    const raw = new Level<string, string>(dir);
    await raw.put(entryKey(250), '{not json');
    await raw.close();
    const b = await opened(dir);
    try {
      expect((await takeAll(b, [100])).map((e) => e.seq)).toEqual(range(1, 400).filter((seq) => seq !== 250));
      expect(b.stats().quarantined).toBe(1);
    } finally {
      await b.close();
    }
  });

  it('closes with a read under way, and hands out from the same entry once open again', async () => {
    const dir = tempDir();
    const a = await opened(dir);
    await fill(a, 500);
    expect((await a.take(3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    a.ack(1);
    // The reader has its next chunks requested; the outbox closes under them.
    await a.close();
    const b = await opened(dir);
    try {
      expect((await takeAll(b)).map((e) => e.seq)).toEqual(range(2, 500));
    } finally {
      await b.close();
    }
  });

  describe('a reader on its own', () => {
    /** A store of `n` encoded entries, and a read ahead with no skip rules. */
    async function store(n: number): Promise<{ db: Level<string, string>; ahead: ReadAhead; out: number[] }> {
      const db = new Level<string, string>(tempDir());
      await db.open();
      const batch = db.batch();
      for (let seq = 1; seq <= n; seq++)
        batch.put(
          entryKey(seq),
          encodeEntry({ seq, topic: 'rp/events', payload: payloadOf(seq), acceptedAt: 1000 + seq }),
        );
      await batch.write();
      const out: number[] = [];
      const ahead = new ReadAhead({ skip: () => false, handedOut: (e) => out.push(e.seq), opened: () => {} });
      return { db, ahead, out };
    }
    const bad = (k: string) => {
      throw new Error(`no bad record expected, got ${k}`);
    };

    it('closes a reader no take used for a second, and the next take opens another at the cursor', async () => {
      const { db, ahead, out } = await store(300);
      try {
        const first = await ahead.take(db, 0, 10, 300, bad);
        expect(first.out.map((e) => e.seq)).toEqual(range(1, 10));
        expect(first.cursor).toBe(10);
        expect(ahead.after).toBe(10);
        // No take comes: the idle reader is closed (its snapshot let go).
        await expect.poll(() => ahead.after, { timeout: 10_000 }).toBeUndefined();
        const next = await ahead.take(db, first.cursor, 5, 300, bad);
        expect(next.out.map((e) => e.seq)).toEqual(range(11, 15));
        expect(out).toEqual(range(1, 15));
      } finally {
        await ahead.stop();
        await db.close();
      }
    });

    it('a take waiting for its first read when the reader is stopped (a compaction) hands out nothing and moves no cursor', async () => {
      const { db, ahead, out } = await store(300);
      try {
        const waiting = ahead.take(db, 0, 10, 300, bad);
        await ahead.stop();
        const taken = await waiting;
        expect(taken.out).toEqual([]);
        expect(taken.cursor).toBe(0);
        const again = await ahead.take(db, taken.cursor, 4, 300, bad);
        expect(again.out.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        expect(out).toEqual([1, 2, 3, 4]);
      } finally {
        await ahead.stop();
        await db.close();
      }
    });
  });
});
