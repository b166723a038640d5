/**
 * The outbox contract (daemon/outbox/outbox.ts), run against every backend: give it a builder
 * that opens a backend in a directory with the given options.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppendRefused, type Outbox } from '../../../daemon/outbox/outbox.js';
import { asText } from './helpers.js';

export interface ContractOptions {
  maxEvents: number;
  maxBytes: number;
  overflow: 'drop-oldest' | 'drop-newest' | 'stop-reading';
  batchMax: number;
}

const defaults: ContractOptions = {
  maxEvents: 1_000_000,
  maxBytes: 1 << 30,
  overflow: 'drop-oldest',
  batchMax: 512,
};

export function outboxContract(name: string, build: (dir: string, opts: ContractOptions) => Outbox) {
  describe(`Outbox contract: ${name}`, () => {
    const dirs: string[] = [];
    const open: Outbox[] = [];
    afterEach(async () => {
      for (const o of open.splice(0)) await o.close();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });
    const make = async (
      opts: Partial<ContractOptions> = {},
      dir = mkdtempSync(join(tmpdir(), 'rp-outbox-')),
    ) => {
      if (!dirs.includes(dir)) dirs.push(dir);
      const o = build(dir, { ...defaults, ...opts });
      await o.open();
      open.push(o);
      return { o, dir };
    };
    const reopen = async (o: Outbox, dir: string, opts: Partial<ContractOptions> = {}) => {
      await o.close();
      open.splice(open.indexOf(o), 1);
      return (await make(opts, dir)).o;
    };
    const put = (o: Outbox, n: number, payload = (seq: number) => `event ${seq}`) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const seq = o.nextSequence();
          return o.append({ seq, topic: `t/${seq}`, payload: payload(seq), acceptedAt: 1000 + seq });
        }),
      );
    const drain = async (o: Outbox) => {
      const all: number[] = [];
      for (let batch = await o.take(64); batch.length > 0; batch = await o.take(64)) {
        for (const e of batch) {
          all.push(e.seq);
          o.ack(e.seq);
        }
      }
      return all;
    };

    it('hands out appended entries in sequence order with their topic, payload and time', async () => {
      const { o } = await make();
      expect(await put(o, 5)).toEqual([true, true, true, true, true]);
      const taken = await o.take(10);
      expect(asText(taken)).toEqual(
        [1, 2, 3, 4, 5].map((seq) => ({
          seq,
          topic: `t/${seq}`,
          payload: `event ${seq}`,
          acceptedAt: 1000 + seq,
        })),
      );
      expect(await o.take(10)).toEqual([]);
      expect(o.stats()).toMatchObject({ depth: 5, appended: 5, lastSeq: 5, oldestAt: 1001 });
    });

    it('appendAll: one promise with each outcome in order, the entries taken as if appended one by one', async () => {
      const { o } = await make({ maxEvents: 4, overflow: 'drop-newest' });
      const batch = (n: number) =>
        Array.from({ length: n }, () => {
          const seq = o.nextSequence();
          return { seq, topic: `t/${seq}`, payload: `event ${seq}`, acceptedAt: 1000 + seq };
        });
      expect(await o.appendAll([])).toEqual([]);
      expect(await o.appendAll(batch(3))).toEqual([true, true, true]);
      expect(await o.appendAll(batch(3))).toEqual([true, false, false]); // room for one more
      expect((await o.take(10)).map((e) => [e.seq, e.topic, String(e.payload), e.acceptedAt])).toEqual(
        [1, 2, 3, 4].map((seq) => [seq, `t/${seq}`, `event ${seq}`, 1000 + seq]),
      );
      expect(o.stats()).toMatchObject({ depth: 4, appended: 4, dropped: 2, firstDropped: { seq: 5 } });
    });

    it('appendAll on a closed outbox rejects with AppendRefused, nothing settled', async () => {
      const { o, dir } = await make();
      const seq = o.nextSequence();
      await o.close();
      open.splice(open.indexOf(o), 1);
      dirs.push(dir);
      const refused = await o.appendAll([{ seq, topic: 't', payload: 'p', acceptedAt: 1 }]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(AppendRefused);
      expect((refused as AppendRefused).settled).toEqual([]);
      expect((refused as Error).message).toMatch(/not open/);
    });

    it('keeps the sequence increasing across a reopen, even when everything was acknowledged', async () => {
      const { o, dir } = await make();
      await put(o, 3);
      expect(await drain(o)).toEqual([1, 2, 3]);
      const again = await reopen(o, dir);
      expect(again.stats()).toMatchObject({ depth: 0, lastSeq: 3 });
      expect(again.nextSequence()).toBe(4);
    });

    it('keeps unacknowledged entries across a reopen and never returns acknowledged ones', async () => {
      const { o, dir } = await make();
      await put(o, 6);
      const taken = await o.take(4);
      o.ack(taken[0]!.seq);
      o.ack(taken[2]!.seq);
      expect((await o.take(10)).map((e) => e.seq)).toEqual([5, 6]);
      const again = await reopen(o, dir);
      expect(again.stats().depth).toBe(4);
      expect((await again.take(10)).map((e) => e.seq)).toEqual([2, 4, 5, 6]);
    });

    it('rewind hands out again exactly the unacknowledged entries, in order', async () => {
      const { o } = await make();
      await put(o, 8);
      const first = await o.take(5);
      o.ack(1);
      o.ack(3);
      o.rewind();
      expect((await o.take(10)).map((e) => e.seq)).toEqual([2, 4, 5, 6, 7, 8]);
      expect(first).toHaveLength(5);
    });

    it('wakes a waiter when an entry becomes available', async () => {
      const { o } = await make();
      let woke = false;
      const waiting = o.waitForEntries().then(() => {
        woke = true;
      });
      expect(woke).toBe(false);
      await put(o, 1);
      await waiting;
      expect(woke).toBe(true);
    });

    it('drop-oldest: a full outbox drops its oldest entries, counted with the first and last dropped', async () => {
      const { o } = await make({ maxEvents: 10, overflow: 'drop-oldest' });
      expect((await put(o, 10)).every(Boolean)).toBe(true);
      expect((await put(o, 5)).every(Boolean)).toBe(true);
      const s = o.stats();
      expect(s).toMatchObject({
        depth: 10,
        dropped: 5,
        firstDropped: { seq: 1, at: 1001 },
        lastDropped: { seq: 5, at: 1005 },
      });
      expect(await drain(o)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    });

    it('drop-oldest: entries of one group commit that cannot all fit resolve false for those never stored', async () => {
      const { o } = await make({ maxEvents: 10, overflow: 'drop-oldest' });
      const stored = await put(o, 15);
      expect(stored).toEqual([...Array(5).fill(false), ...Array(10).fill(true)]);
      expect(o.stats()).toMatchObject({
        depth: 10,
        dropped: 5,
        firstDropped: { seq: 1 },
        lastDropped: { seq: 5 },
      });
      expect(await drain(o)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    });

    it('drop-newest: a full outbox refuses new entries, counted', async () => {
      const { o } = await make({ maxEvents: 10, overflow: 'drop-newest' });
      const stored = await put(o, 13);
      expect(stored.filter((s) => !s)).toHaveLength(3);
      expect(o.stats()).toMatchObject({
        depth: 10,
        dropped: 3,
        firstDropped: { seq: 11 },
        lastDropped: { seq: 13 },
      });
      expect(await drain(o)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('bounds the bytes too', async () => {
      const { o } = await make({ maxBytes: 20_000, overflow: 'drop-oldest' });
      await put(o, 100, () => 'x'.repeat(900));
      const s = o.stats();
      expect(s.bytes).toBeLessThanOrEqual(20_000);
      expect(s.depth + s.dropped).toBe(100);
      expect(s.dropped).toBeGreaterThan(70);
      expect(s.lastDropped!.seq).toBe(100 - s.depth);
    });

    it('drop-oldest never drops an entry being published: it drops the oldest one not in flight', async () => {
      const { o } = await make({ maxEvents: 10, overflow: 'drop-oldest' });
      await put(o, 10);
      const inFlight = await o.take(3);
      await put(o, 2); // 1..3 are in flight: 4 and 5 go
      for (const e of inFlight) o.ack(e.seq);
      expect(o.stats()).toMatchObject({ dropped: 2, firstDropped: { seq: 4 }, lastDropped: { seq: 5 } });
      expect(await drain(o)).toEqual([6, 7, 8, 9, 10, 11, 12]);
      expect(inFlight.map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it('stop-reading: a full outbox holds new appends, drops nothing, and takes them once drained to 95%', async () => {
      const { o } = await make({ maxEvents: 100, overflow: 'stop-reading' });
      expect((await put(o, 100)).every(Boolean)).toBe(true);
      const settled: number[] = [];
      const waiting = Array.from({ length: 5 }, () => {
        const seq = o.nextSequence();
        return o
          .append({ seq, topic: `t/${seq}`, payload: `event ${seq}`, acceptedAt: 1000 + seq })
          .then((stored) => {
            settled.push(seq);
            return stored;
          });
      });
      await expect.poll(() => o.stats().readingStopped).toBe(true);
      const first = await o.take(5);
      for (const e of first.slice(0, 4)) o.ack(e.seq);
      // Room for four is not enough: it resumes at 95% of 100.
      await expect.poll(() => o.stats().depth).toBe(96);
      expect(settled).toEqual([]);
      expect(o.stats().readingStopped).toBe(true);
      o.ack(first[4]!.seq);
      expect(await Promise.all(waiting)).toEqual([true, true, true, true, true]);
      expect(settled).toEqual([101, 102, 103, 104, 105]);
      const s = o.stats();
      expect(s).toMatchObject({ depth: 100, dropped: 0, readingStopped: false, stalls: 1 });
      expect(await drain(o)).toEqual(Array.from({ length: 100 }, (_, i) => i + 6));
    });
  });
}

/**
 * The replay lanes of the contract (splitBacklog / take / takeLive / rewind), for every backend
 * including the in-memory one the dispatcher's tests use. `build` gives an open, empty outbox.
 */
export function replayLanesContract(
  name: string,
  build: () => Promise<{ o: Outbox; done: () => Promise<void> }>,
) {
  describe(`Outbox contract, replay lanes: ${name}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0)) await c();
    });
    const make = async () => {
      const { o, done } = await build();
      cleanup.push(done);
      return o;
    };
    const put = async (o: Outbox, n: number) => {
      for (let i = 0; i < n; i++) {
        const seq = o.nextSequence();
        await o.append({ seq, topic: `t/${seq % 3}`, payload: `event ${seq}`, acceptedAt: 1000 + seq });
      }
    };
    const seqs = (entries: readonly { seq: number }[]) => entries.map((e) => e.seq);

    it('splits nothing when nothing waits, and live takes nothing without a split', async () => {
      const o = await make();
      expect(o.splitBacklog()).toBeUndefined();
      await put(o, 2);
      expect(seqs(await o.take(10))).toEqual([1, 2]);
      expect(o.splitBacklog()).toBeUndefined(); // both handed out already
      expect(o.replaying()).toBe(false);
      await put(o, 1);
      expect(await o.takeLive(10)).toEqual([]);
      expect(seqs(await o.take(10))).toEqual([3]);
    });

    it('hands out the backlog and the live entries on two lanes, each in order, then merges', async () => {
      const o = await make();
      await put(o, 6); // the backlog: 1..6
      expect(o.splitBacklog()).toBe(6);
      expect(o.replaying()).toBe(true);
      expect(o.splitBacklog()).toBeUndefined(); // one split at a time
      await put(o, 3); // live: 7..9
      expect(seqs(await o.takeLive(2))).toEqual([7, 8]);
      expect(seqs(await o.take(4))).toEqual([1, 2, 3, 4]);
      await put(o, 1); // live: 10
      expect(seqs(await o.takeLive(10))).toEqual([9, 10]);
      expect(await o.takeLive(10)).toEqual([]);
      expect(o.replaying()).toBe(true);
      expect(seqs(await o.take(10))).toEqual([5, 6]); // the rest of the backlog, never a live one
      // Merged (at the latest after one more take): one lane again, after what the live lane took.
      await put(o, 2);
      const rest = [...(await o.take(10)), ...(await o.take(10))];
      expect(seqs(rest)).toEqual([11, 12]);
      expect(o.replaying()).toBe(false);
      expect(await o.takeLive(10)).toEqual([]);
    });

    it('rewind ends the split: everything unacknowledged comes again in sequence order', async () => {
      const o = await make();
      await put(o, 4);
      expect(o.splitBacklog()).toBe(4);
      await put(o, 3); // 5..7
      expect(seqs(await o.takeLive(2))).toEqual([5, 6]);
      expect(seqs(await o.take(2))).toEqual([1, 2]);
      o.ack(5);
      o.ack(1);
      o.rewind();
      expect(o.replaying()).toBe(false);
      expect(await o.takeLive(10)).toEqual([]);
      expect(seqs(await o.take(10))).toEqual([2, 3, 4, 6, 7]);
    });
  });
}
