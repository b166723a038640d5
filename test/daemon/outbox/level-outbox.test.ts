import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { MemoryOutbox } from '../../support/memory-outbox.js';
import { drain, gate, put, recordingStore, takeN } from './helpers.js';
import { outboxContract, replayLanesContract } from './outbox.contract.js';

// With the live tail (the default), with every entry read back from the store, and with a
// tail so small that takes keep falling back to the store.
const tails = [
  ['LevelOutbox', {}],
  ['LevelOutbox without a live tail', { liveTailEvents: 0 }],
  ['LevelOutbox with a 3-entry live tail', { liveTailEvents: 3 }],
] as const;
for (const [name, tail] of tails) {
  outboxContract(name, (dir, opts) => new LevelOutbox(dir, { ...opts, ...tail }, silentLogger()));
  replayLanesContract(name, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lanes-'));
    const o = new LevelOutbox(dir, { ...opts, ...tail, sync: 'interval' }, silentLogger());
    await o.open();
    return {
      o,
      done: async () => {
        await o.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
replayLanesContract('MemoryOutbox (test fake)', async () => {
  const o = new MemoryOutbox();
  return { o, done: async () => {} };
});

const opts = { maxEvents: 1_000_000, maxBytes: 1 << 30, overflow: 'drop-oldest' as const, batchMax: 512 };

describe('LevelOutbox', () => {
  it('reports the oldest undelivered entry across both replay lanes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const o = new LevelOutbox(dir, opts, silentLogger());
    await o.open();
    const put = (acceptedAt: number) => {
      const seq = o.nextSequence();
      return o.append({ seq, topic: 't', payload: `e${seq}`, acceptedAt });
    };
    for (const at of [1001, 1002, 1003]) await put(at);
    expect(o.splitBacklog()).toBe(3);
    for (const at of [1004, 1005]) await put(at);
    expect((await o.takeLive(2)).map((e) => e.seq)).toEqual([4, 5]);
    // The live lane handed out 4 and 5 first; 1 (accepted at 1001) is still the oldest.
    expect(o.stats()).toMatchObject({ oldestAt: 1001, replaying: true, depth: 5 });
    const backlog = await o.take(10);
    expect(backlog.map((e) => e.seq)).toEqual([1, 2, 3]);
    for (const s of [1, 2, 4]) o.ack(s);
    await expect.poll(() => o.stats().depth).toBe(2);
    expect(o.stats()).toMatchObject({ oldestAt: 1003, replaying: false });
    await o.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes concurrent appends in group commits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const o = new LevelOutbox(dir, opts, silentLogger());
    await o.open();
    try {
      await Promise.all(
        Array.from({ length: 2000 }, () => {
          const seq = o.nextSequence();
          return o.append({ seq, topic: 't', payload: 'p', acceptedAt: seq });
        }),
      );
      expect(o.stats().appended).toBe(2000);
      expect(o.stats().batches).toBeLessThanOrEqual(Math.ceil(2000 / 512) + 1);
    } finally {
      await o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a data directory another readpoint holds, with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const a = new LevelOutbox(dir, opts, silentLogger());
    await a.open();
    try {
      await expect(new LevelOutbox(dir, opts, silentLogger()).open()).rejects.toThrow(
        /in use by another readpoint/,
      );
    } finally {
      await a.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quarantines a record it cannot decode, counts it and carries on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const a = new LevelOutbox(dir, opts, silentLogger());
    await a.open();
    for (let i = 0; i < 3; i++) {
      const seq = a.nextSequence();
      await a.append({ seq, topic: 't', payload: `p${seq}`, acceptedAt: seq });
    }
    await a.close();
    const raw = new Level<string, string>(dir);
    await raw.put(`e!${(2).toString(16).padStart(16, '0')}`, '{not json');
    await raw.close();
    const b = new LevelOutbox(dir, opts, silentLogger());
    await b.open();
    try {
      expect((await b.take(10)).map((e) => String(e.payload))).toEqual(['p1', 'p3']);
      expect(b.stats().quarantined).toBe(1);
    } finally {
      await b.close();
    }
    const check = new Level<string, string>(dir);
    expect(await check.get(`q!${(2).toString(16).padStart(16, '0')}`)).toBe('{not json');
    await check.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('take() does not jump past entries when its whole window is acknowledged but not yet deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const store = recordingStore();
    const o = new LevelOutbox(dir, opts, silentLogger(), { writeBatch: store.writeBatch });
    await o.open();
    try {
      await put(o, 20);
      expect((await o.take(10)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const deletes = gate();
      store.state.paused = deletes.promise; // the deletes of the acks stay pending
      const later: number[] = [];
      try {
        for (let seq = 2; seq <= 10; seq++) o.ack(seq);
        o.rewind(); // 1 is still in flight
        expect((await o.take(1)).map((e) => e.seq)).toEqual([1]);
        for (let i = 0; i < 20 && later.length < 10; i++) later.push(...(await o.take(1)).map((e) => e.seq));
      } finally {
        store.state.paused = undefined;
        deletes.open();
      }
      expect(later).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    } finally {
      await o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('take() skips entries being dropped, and hands them out after all if that write fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const store = recordingStore();
    const o = new LevelOutbox(dir, { ...opts, maxEvents: 10 }, silentLogger(), {
      writeBatch: store.writeBatch,
      retry: { minMs: 5, maxMs: 10 },
    });
    await o.open();
    try {
      await put(o, 10);
      const write = gate();
      store.state.paused = write.promise;
      store.state.failing = 1;
      const entered = store.state.entered;
      const more = put(o, 5); // its write would drop 1..5, but fails
      await expect.poll(() => store.state.entered).toBe(entered + 1);
      let skipped: number[] = [];
      let taken: number[] = [];
      try {
        skipped = (await o.take(3)).map((e) => e.seq); // 1..4 seen, all being dropped
        taken = (await o.take(5)).map((e) => e.seq);
        for (const seq of taken) o.ack(seq); // room enough: the retry drops nothing
      } finally {
        store.state.paused = undefined;
        write.open();
      }
      expect(skipped).toEqual([]);
      expect(taken).toEqual([6, 7, 8, 9, 10]);
      expect(await more).toEqual([true, true, true, true, true]);
      expect(o.stats()).toMatchObject({ dropped: 0, depth: 10 });
      expect(await drain(o)).toEqual([1, 2, 3, 4, 5, 11, 12, 13, 14, 15]);
    } finally {
      await o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('take() of more than one read of the store brings (over a megabyte) hands out each entry once, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const o = new LevelOutbox(dir, { ...opts, liveTailEvents: 0 }, silentLogger());
    await o.open();
    try {
      const payload = (seq: number) => `${seq}:${'y'.repeat(8000)}`;
      await Promise.all(
        Array.from({ length: 300 }, () => {
          const seq = o.nextSequence();
          return o.append({ seq, topic: 't', payload: payload(seq), acceptedAt: seq });
        }),
      );
      const first = await takeN(o, 256);
      expect(first.map((e) => e.seq)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
      expect(first.every((e) => String(e.payload) === payload(e.seq))).toBe(true);
      for (const e of first.slice(0, 100)) o.ack(e.seq);
      const rest = await takeN(o, 256);
      expect(rest.map((e) => e.seq)).toEqual(Array.from({ length: 44 }, (_, i) => i + 257));
      expect(await o.take(256)).toEqual([]);
      o.rewind();
      // Acknowledged ones (deletes perhaps not yet written) are skipped, the rest come again.
      const again = await takeN(o, 256);
      expect(again.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 101));
    } finally {
      await o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drains 100,000 entries in order without rescanning from the start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    const o = new LevelOutbox(dir, opts, silentLogger());
    await o.open();
    try {
      const payload = 'x'.repeat(600);
      for (let i = 0; i < 100; i++) {
        await Promise.all(
          Array.from({ length: 1000 }, () => {
            const seq = o.nextSequence();
            return o.append({ seq, topic: 't', payload, acceptedAt: seq });
          }),
        );
      }
      let expected = 1;
      for (let batch = await o.take(500); batch.length > 0; batch = await o.take(500)) {
        for (const e of batch) {
          expect(e.seq).toBe(expected++);
          o.ack(e.seq);
        }
      }
      expect(expected).toBe(100_001);
      await o.close();
      await o.open();
      expect(o.stats()).toMatchObject({ depth: 0, bytes: 0, lastSeq: 100_000 });
    } finally {
      await o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
