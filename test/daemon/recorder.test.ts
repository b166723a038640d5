import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import { AppendRefused } from '../../daemon/outbox/outbox.js';
import { Recorder } from '../../daemon/recorder.js';
import { MemoryOutbox } from '../support/memory-outbox.js';

const event = (n: number) => ({ topic: 't', build: (seq: number) => JSON.stringify({ n, seq }) });

describe('Recorder', () => {
  it('numbers concurrent events in the order they were recorded and stores them all', async () => {
    const outbox = new MemoryOutbox();
    const recorder = new Recorder(outbox, { batchMax: 16, retryMs: 5 }, silentLogger());
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => recorder.record(event(i))));
    expect(outcomes.map((o) => o.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(outcomes.every((o) => o.stored)).toBe(true);
    expect([...outbox.entries.values()].map((e) => JSON.parse(String(e.payload)).n)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('retries a failed write with the same numbers, in order, and loses nothing', async () => {
    const outbox = new MemoryOutbox();
    outbox.failNext = 3;
    const recorder = new Recorder(outbox, { batchMax: 4, retryMs: 5 }, silentLogger());
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => recorder.record(event(i))));
    expect(outcomes.map((o) => o.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = [...outbox.entries.values()].sort((a, b) => a.seq - b.seq);
    expect(stored.map((e) => [e.seq, JSON.parse(String(e.payload)).n])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, i]),
    );
    expect(outbox.stats().lastSeq).toBe(10);
    expect(recorder.status()).toEqual({ pending: 0, failing: false });
  });

  it('recordAll: events recorded together are numbered in order and counted stored or refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-recorder-'));
    const outbox = new LevelOutbox(
      dir,
      { maxEvents: 3, maxBytes: 1 << 20, overflow: 'drop-newest', batchMax: 2 },
      silentLogger(),
    );
    await outbox.open();
    try {
      const recorder = new Recorder(outbox, { batchMax: 2, retryMs: 5 }, silentLogger());
      const first = recorder.recordAll([event(0), event(1)]);
      const second = recorder.recordAll([event(2), event(3), event(4)]);
      expect(await first).toEqual({ stored: 2, refused: 0 });
      expect(await second).toEqual({ stored: 1, refused: 2 }); // room for one more: drop-newest
      expect(await recorder.recordAll([])).toEqual({ stored: 0, refused: 0 });
      const taken = await outbox.take(10);
      expect(taken.map((e) => [e.seq, JSON.parse(String(e.payload))])).toEqual([
        [1, { n: 0, seq: 1 }],
        [2, { n: 1, seq: 2 }],
        [3, { n: 2, seq: 3 }],
      ]);
      expect(outbox.stats()).toMatchObject({ dropped: 2, firstDropped: { seq: 4 }, lastDropped: { seq: 5 } });
    } finally {
      await outbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a write refused part way is retried from the refused event, in order, with the same numbers', async () => {
    const outbox = new MemoryOutbox();
    const recorder = new Recorder(outbox, { batchMax: 8, retryMs: 5 }, silentLogger());
    const attempts: number[][] = [];
    const appendAll = outbox.appendAll.bind(outbox);
    outbox.appendAll = (entries) => {
      attempts.push(entries.map((e) => e.seq));
      // The first attempt stores two and refuses the rest, like an outbox closing under it.
      return attempts.length === 1
        ? appendAll(entries.slice(0, 2)).then((settled) => {
            throw new AppendRefused('outbox closed before the event could be stored', settled);
          })
        : appendAll(entries);
    };
    const written = await recorder.recordAll([0, 1, 2, 3, 4].map(event));
    expect(written).toEqual({ stored: 5, refused: 0 });
    expect(attempts).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    expect([...outbox.entries.values()].map((e) => [e.seq, JSON.parse(String(e.payload)).n])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
  });

  it('reports that writes are failing while they are, and refuses new events after stop', async () => {
    const outbox = new MemoryOutbox();
    outbox.failNext = 1_000_000;
    const recorder = new Recorder(outbox, { batchMax: 4, retryMs: 5 }, silentLogger());
    const pending = recorder.record(event(1));
    await expect.poll(() => recorder.status().failing).toBe(true);
    expect(recorder.status().lastError).toContain('ENOSPC');
    await recorder.stop(50);
    await expect(pending).rejects.toThrow('before the event could be stored');
    await expect(recorder.record(event(2))).rejects.toThrow('recorder stopped');
  });
});
