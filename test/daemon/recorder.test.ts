import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import { AppendRefused } from '../../daemon/outbox/outbox.js';
import { Recorder, RecorderStopped } from '../../daemon/recorder.js';
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
  it('recordInto: calls until the next write share one promise, settled only once all their events are stored', async () => {
    const outbox = new MemoryOutbox();
    const recorder = new Recorder(outbox, { batchMax: 3, retryMs: 5 }, silentLogger());
    // Every write waits until the test lets it go, so what settles when is the test's to see.
    const writes: { seqs: number[]; go: () => void }[] = [];
    const appendAll = outbox.appendAll.bind(outbox);
    outbox.appendAll = (entries) =>
      new Promise<void>((go) => writes.push({ seqs: entries.map((e) => e.seq), go })).then(() =>
        appendAll(entries),
      );
    const a = { events: 0, refused: 0 };
    const b = { events: 0, refused: 0 };
    const first = recorder.recordInto([event(0)], a);
    const second = recorder.recordInto([event(1), event(2)], b);
    expect(second).toBe(first);
    const full = recorder.recordInto([event(3)], a); // a batch's worth gathered: a promise of its own
    expect(full).not.toBe(first);
    await expect.poll(() => writes.length).toBe(1);
    expect(writes[0]!.seqs).toEqual([1, 2, 3]);
    const later = recorder.recordInto([event(4)], b); // after the write is planned
    expect(later).not.toBe(full);
    let firstSettled = false;
    void first.then(() => {
      firstSettled = true;
    });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(firstSettled).toBe(false);
    expect(a).toEqual({ events: 0, refused: 0 });
    writes[0]!.go();
    await first;
    expect(a).toEqual({ events: 1, refused: 0 });
    expect(b).toEqual({ events: 2, refused: 0 });
    expect([...outbox.entries.keys()].sort((x, y) => x - y)).toEqual([1, 2, 3]);
    await expect.poll(() => writes.length).toBe(2);
    expect(writes[1]!.seqs).toEqual([4, 5]);
    writes[1]!.go();
    await Promise.all([full, later]);
    expect(a).toEqual({ events: 2, refused: 0 });
    expect(b).toEqual({ events: 3, refused: 0 });
    expect([...outbox.entries.values()].map((e) => JSON.parse(String(e.payload)).n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('recordInto: a promise shared across two writes, rejected at stop, says how many of its events were not stored', async () => {
    const outbox = new MemoryOutbox();
    const recorder = new Recorder(outbox, { batchMax: 2, retryMs: 5 }, silentLogger());
    // The first write goes through; every later one fails (a disk gone full).
    const appendAll = outbox.appendAll.bind(outbox);
    let writes = 0;
    outbox.appendAll = (entries) =>
      ++writes === 1 ? appendAll(entries) : Promise.reject(new Error('ENOSPC: no space left on device'));
    const tally = { events: 0, refused: 0 };
    const shared = recorder.recordInto([event(0), event(1), event(2)], tally);
    await expect.poll(() => recorder.status().failing).toBe(true);
    await recorder.stop(50);
    const err = await shared.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RecorderStopped);
    expect(err).toMatchObject({ unstored: 1, recorded: 3 });
    expect((err as Error).message).toBe(
      'recorder stopped before 1 of 3 events recorded together could be stored (the other 2 were stored, or refused by the overflow policy, before it)',
    );
    expect(tally).toEqual({ events: 2, refused: 0 });
    expect([...outbox.entries.keys()]).toEqual([1, 2]);
  });

  it('recordInto: a shared promise is rejected once the recorder stops with its events unstored', async () => {
    const outbox = new MemoryOutbox();
    outbox.failNext = 1_000_000;
    const recorder = new Recorder(outbox, { batchMax: 4, retryMs: 5 }, silentLogger());
    const tally = { events: 0, refused: 0 };
    const shared = recorder.recordInto([event(0)], tally);
    expect(recorder.recordInto([event(1)], tally)).toBe(shared);
    await expect.poll(() => recorder.status().failing).toBe(true);
    await recorder.stop(50);
    await expect(shared).rejects.toThrow(
      'recorder stopped before any of the 2 events recorded together could be stored',
    );
    expect(tally).toEqual({ events: 0, refused: 0 });
    await expect(recorder.recordInto([event(2)], tally)).rejects.toThrow('recorder stopped');
  });
});
