/**
 * The live tail of the LevelDB outbox (daemon/outbox/live-tail.ts): live entries are handed out
 * from memory, and every take the tail cannot serve reads the store. An entry handed out from
 * memory is the entry appended (its payload a slice of the stored text), with every property the
 * appended object had; one read back from the store is built from the stored record alone. The
 * entries appended here carry a mark the store does not keep, which tells which way each came.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox, type OutboxOptions, type OutboxSeams } from '../../../daemon/outbox/level-outbox.js';
import type { OutboxEntry } from '../../../daemon/outbox/outbox.js';
import { baseOptions, gate, recordingStore, takeN, tempDirs } from './helpers.js';

const tempDir = tempDirs();
/** The mark of an entry as appended: the stored record has no place for it. */
const APPENDED = Symbol('appended');

async function opened(options: Partial<OutboxOptions> = {}, seams: OutboxSeams = {}, dir = tempDir()) {
  const o = new LevelOutbox(dir, { ...baseOptions, ...options }, silentLogger(), seams);
  await o.open();
  return { o, dir };
}

/** Appends `n` entries in one group commit; the entries and their outcomes. */
function append(o: LevelOutbox, n: number): { entries: OutboxEntry[]; stored: Promise<boolean[]> } {
  const entries = Array.from({ length: n }, () => {
    const seq = o.nextSequence();
    return { seq, topic: `t/${seq}`, payload: `event ${seq}`, acceptedAt: 1000 + seq, [APPENDED]: true };
  });
  return { entries, stored: o.appendAll(entries) };
}

const seqs = (entries: readonly OutboxEntry[]) => entries.map((e) => e.seq);
/** For each taken entry: whether it is one of those appended, served from memory. */
const fromMemory = (taken: readonly OutboxEntry[], appended: readonly OutboxEntry[]) =>
  taken.map((t) => APPENDED in t && appended.some((a) => a.seq === t.seq && a.payload === t.payload));
/** The entries without the mark, to compare what was taken with what was appended. */
const plain = (entries: readonly OutboxEntry[]): OutboxEntry[] =>
  entries.map(({ seq, topic, payload, acceptedAt }) => ({ seq, topic, payload, acceptedAt }));

describe('LevelOutbox live tail', () => {
  it('hands out live entries from memory, equal to what the store holds', async () => {
    const { o, dir } = await opened();
    const { entries, stored } = append(o, 5);
    expect(await stored).toEqual([true, true, true, true, true]);
    const taken = await o.take(10);
    expect(fromMemory(taken, entries)).toEqual([true, true, true, true, true]);
    await o.close();
    // The same entries, read back from the store after a reopen.
    const { o: again } = await opened({}, {}, dir);
    const reread = await again.take(10);
    expect(plain(reread)).toEqual(plain(entries));
    expect(fromMemory(reread, entries)).toEqual([false, false, false, false, false]);
    await again.close();
  });

  it('hands out a text payload built from pieces as the same characters and UTF-8 bytes, from memory and from the store', async () => {
    const { o, dir } = await opened();
    // Built the way events are (concatenated pieces), with two-byte characters and a surrogate pair.
    const payloads = ['{"a":"', '{"b":"é', '{"c":"€', '{"d":"😀'].map(
      (head, i) => `${head}${'x'.repeat(40 + i)}","n":${i}}`,
    );
    const entries = payloads.map((payload) => {
      const seq = o.nextSequence();
      return { seq, topic: `t/${seq}`, payload, acceptedAt: 1000 + seq, [APPENDED]: true };
    });
    expect(await o.appendAll(entries)).toEqual([true, true, true, true]);
    const taken = await o.take(10);
    expect(fromMemory(taken, entries)).toEqual([true, true, true, true]);
    const bytes = (es: readonly OutboxEntry[]) => es.map((e) => Buffer.from(e.payload).toString('hex'));
    expect(bytes(taken)).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
    await o.close();
    const { o: again } = await opened({}, {}, dir);
    const reread = await again.take(10);
    expect(fromMemory(reread, entries)).toEqual([false, false, false, false]);
    expect(bytes(reread)).toEqual(bytes(taken));
    await again.close();
  });
  it('past its bound keeps nothing until a take catches up: the store is read, then memory again', async () => {
    const { o } = await opened({ liveTailEvents: 4 });
    const within = append(o, 4);
    await within.stored;
    expect(fromMemory(await o.take(10), within.entries)).toEqual([true, true, true, true]);
    const { entries, stored } = append(o, 10); // 5..14: past the bound
    await stored;
    const first = await o.take(3);
    const rest = await o.take(10);
    expect([seqs(first), seqs(rest)]).toEqual([
      [5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14],
    ]);
    expect(plain([...first, ...rest])).toEqual(plain(entries));
    expect(fromMemory([...first, ...rest], entries)).toEqual(Array(10).fill(false));
    const later = append(o, 2); // taken up to the newest: kept again
    await later.stored;
    expect(fromMemory(await o.take(10), later.entries)).toEqual([true, true]);
    expect(o.stats()).toMatchObject({ depth: 16, appended: 16 });
    await o.close();
  });

  it('is bounded by bytes too', async () => {
    // Each entry here is 38 bytes (key and stored value): 100 bytes hold two.
    const { o } = await opened({ liveTailBytes: 100 });
    const two = append(o, 2);
    await two.stored;
    expect(fromMemory(await o.take(10), two.entries)).toEqual([true, true]);
    const three = append(o, 3);
    await three.stored;
    const taken = await o.take(10);
    expect(seqs(taken)).toEqual([3, 4, 5]);
    expect(fromMemory(taken, three.entries)).toEqual([false, false, false]);
    const one = append(o, 1);
    await one.stored;
    expect(fromMemory(await o.take(10), one.entries)).toEqual([true]);
    await o.close();
  });

  it('rewind while served from memory: the unacknowledged come again from the store, in order', async () => {
    const { o } = await opened();
    const { entries, stored } = append(o, 5);
    await stored;
    const taken = await o.take(3);
    expect(fromMemory(taken, entries)).toEqual([true, true, true]);
    o.ack(1);
    o.rewind();
    const again = await o.take(10); // the store up to where the tail starts, then the tail
    expect(seqs(again)).toEqual([2, 3, 4, 5]);
    expect(plain(again)).toEqual(plain(entries.slice(1)));
    expect(fromMemory(again, entries)).toEqual([false, false, true, true]);
    const next = append(o, 2);
    await next.stored;
    const live = await o.take(10);
    expect(seqs(live)).toEqual([6, 7]);
    expect(fromMemory(live, next.entries)).toEqual([true, true]);
    await o.close();
  });

  it('never hands out again an entry acknowledged whose delete is not yet written', async () => {
    const store = recordingStore();
    const { o } = await opened({}, { writeBatch: store.writeBatch });
    const { stored } = append(o, 6);
    await stored;
    const taken = await o.take(4);
    const deletes = gate();
    store.state.paused = deletes.promise;
    try {
      for (const e of taken.slice(1)) o.ack(e.seq); // 2..4 acknowledged, 1 in flight
      o.rewind();
      expect(seqs(await o.take(10))).toEqual([1, 5, 6]);
    } finally {
      store.state.paused = undefined;
      deletes.open();
    }
    await expect.poll(() => o.stats().depth).toBe(3);
    o.rewind();
    expect(seqs(await o.take(10))).toEqual([1, 5, 6]);
    await o.close();
  });

  it('drop-oldest: a victim in the tail leaves it, nothing in flight is dropped', async () => {
    const { o } = await opened({ maxEvents: 5, overflow: 'drop-oldest' });
    const { entries, stored } = append(o, 5);
    await stored;
    const inFlight = await o.take(2); // 1 and 2 in flight
    const more = append(o, 2); // 3 and 4 go, from the store and from the tail
    expect(await more.stored).toEqual([true, true]);
    expect(o.stats()).toMatchObject({
      depth: 5,
      dropped: 2,
      firstDropped: { seq: 3 },
      lastDropped: { seq: 4 },
    });
    const rest = await o.take(10);
    expect(seqs(rest)).toEqual([5, 6, 7]);
    expect(fromMemory(rest, [...entries, ...more.entries])).toEqual([true, true, true]);
    for (const e of [...inFlight, ...rest]) o.ack(e.seq);
    await expect.poll(() => o.stats().depth).toBe(0);
    o.rewind();
    expect(await o.take(10)).toEqual([]);
    await o.close();
  });

  it('drop-oldest: victims skipped in the tail while their write fails come back from the store', async () => {
    const store = recordingStore();
    const { o } = await opened(
      { maxEvents: 4, overflow: 'drop-oldest' },
      { writeBatch: store.writeBatch, retry: { minMs: 5, maxMs: 10 } },
    );
    const { stored } = append(o, 4);
    await stored;
    const write = gate();
    store.state.paused = write.promise;
    store.state.failing = 1;
    const entered = store.state.entered;
    const more = append(o, 2); // its write would drop 1 and 2, but fails
    await expect.poll(() => store.state.entered).toBe(entered + 1);
    let taken: OutboxEntry[] = [];
    try {
      taken = await o.take(4); // 1 and 2 are being dropped: skipped
      for (const e of taken) o.ack(e.seq); // room for the retry: it drops nothing
    } finally {
      store.state.paused = undefined;
      write.open();
    }
    expect(seqs(taken)).toEqual([3, 4]);
    expect(await more.stored).toEqual([true, true]);
    expect(o.stats()).toMatchObject({ dropped: 0 });
    const rest = await takeN(o, 10);
    expect(seqs(rest)).toEqual([1, 2, 5, 6]);
    expect(fromMemory(rest, more.entries)).toEqual([false, false, true, true]);
    await o.close();
  });

  it('split while the tail holds entries: the live lane from memory, the backlog from the store', async () => {
    const { o } = await opened();
    const backlog = append(o, 4);
    await backlog.stored;
    expect(o.splitBacklog()).toBe(4);
    const live = append(o, 3);
    await live.stored;
    const liveTaken = await o.takeLive(10);
    expect(seqs(liveTaken)).toEqual([5, 6, 7]);
    expect(fromMemory(liveTaken, live.entries)).toEqual([true, true, true]);
    const backlogTaken = await o.take(10);
    expect(plain(backlogTaken)).toEqual(plain(backlog.entries));
    expect(fromMemory(backlogTaken, backlog.entries)).toEqual([false, false, false, false]);
    // Merged: one lane again, from memory.
    const after = append(o, 2);
    await after.stored;
    const merged = [...(await o.take(10)), ...(await o.take(10))];
    expect(seqs(merged)).toEqual([8, 9]);
    expect(fromMemory(merged, after.entries)).toEqual([true, true]);
    expect(o.replaying()).toBe(false);
    await o.close();
  });

  it('split with the backlog in the tail: the main lane takes it from memory, each lane in order', async () => {
    const { o } = await opened();
    const backlog = append(o, 4);
    await backlog.stored;
    expect(o.splitBacklog()).toBe(4);
    const live = append(o, 2);
    await live.stored;
    const head = await o.take(2);
    expect(fromMemory(head, backlog.entries)).toEqual([true, true]);
    expect(seqs(await o.takeLive(10))).toEqual([5, 6]);
    expect(seqs(await o.take(10))).toEqual([3, 4]);
    expect(o.replaying()).toBe(false);
    expect(await o.take(10)).toEqual([]);
    await o.close();
  });

  it('nothing enters the tail before its write succeeds: none is handed out while the write fails', async () => {
    const store = recordingStore();
    const { o } = await opened({}, { writeBatch: store.writeBatch, retry: { minMs: 5, maxMs: 10 } });
    const failing = gate();
    store.state.paused = failing.promise;
    store.state.failing = 1;
    const { entries, stored } = append(o, 3);
    await expect.poll(() => store.state.entered).toBe(1);
    expect(await o.take(10)).toEqual([]);
    const retry = gate();
    store.state.paused = retry.promise;
    failing.open();
    await expect.poll(() => store.state.entered).toBe(2); // the retry, on the reopened store
    expect(o.stats().writeError).toMatch(/ENOSPC/);
    expect(await o.take(10)).toEqual([]);
    store.state.paused = undefined;
    retry.open();
    expect(await stored).toEqual([true, true, true]); // written after the store was reopened
    expect(store.calls.map((c) => c.failed)).toEqual([true, false]);
    const taken = await o.take(10);
    expect(seqs(taken)).toEqual([1, 2, 3]);
    expect(fromMemory(taken, entries)).toEqual([true, true, true]);
    await o.close();
  });
});
