import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
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
    expect([...outbox.entries.values()].map((e) => JSON.parse(e.payload).n)).toEqual(
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
    expect(stored.map((e) => [e.seq, JSON.parse(e.payload).n])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, i]),
    );
    expect(outbox.stats().lastSeq).toBe(10);
    expect(recorder.status()).toEqual({ pending: 0, failing: false });
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
