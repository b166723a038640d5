/**
 * The outbox contract (daemon/outbox/outbox.ts), run against every backend: give it a builder
 * that makes a backend for a directory and options; the suite opens, closes and reopens it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxOptions } from '../../../daemon/outbox/level-outbox.js';
import type { Outbox } from '../../../daemon/outbox/outbox.js';

const defaults: OutboxOptions = {
  maxEvents: 1_000_000,
  maxBytes: 1 << 30,
  overflow: 'drop-oldest',
  batchMax: 512,
};

export function outboxContract(name: string, build: (dir: string, opts: OutboxOptions) => Outbox) {
  describe(`Outbox contract: ${name}`, () => {
    const dirs: string[] = [];
    const open: Outbox[] = [];
    afterEach(async () => {
      for (const o of open.splice(0)) await o.close();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });
    const make = async (
      opts: Partial<OutboxOptions> = {},
      dir = mkdtempSync(join(tmpdir(), 'rp-outbox-')),
    ) => {
      if (!dirs.includes(dir)) dirs.push(dir);
      const o = build(dir, { ...defaults, ...opts });
      await o.open();
      open.push(o);
      return { o, dir };
    };
    const reopen = async (o: Outbox, dir: string, opts: Partial<OutboxOptions> = {}) => {
      await o.close();
      open.splice(open.indexOf(o), 1);
      return (await make(opts, dir)).o;
    };
    const entry = (seq: number, payload = `event ${seq}`) => ({
      seq,
      topic: `t/${seq}`,
      payload,
      acceptedAt: 1000 + seq,
    });
    const put = (o: Outbox, n: number, payload = (seq: number) => `event ${seq}`) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const seq = o.nextSequence();
          return o.append(entry(seq, payload(seq)));
        }),
      );
    const seqs = async (o: Outbox, max = 1000) => (await o.take(max)).map((e) => e.seq);
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
      expect(await o.take(3)).toEqual([1, 2, 3].map((seq) => entry(seq)));
      expect(await o.take(10)).toEqual([4, 5].map((seq) => entry(seq)));
      expect(await o.take(10)).toEqual([]);
      expect(o.stats()).toMatchObject({
        depth: 5,
        appended: 5,
        acked: 0,
        dropped: 0,
        lastSeq: 5,
        oldestAt: 1001,
      });
    });

    it('keeps the sequence increasing across a reopen, even when everything was acknowledged', async () => {
      const { o, dir } = await make();
      expect(o.nextSequence()).toBe(1);
      const fresh = await reopen(o, dir);
      expect(fresh.nextSequence()).toBe(1); // nothing was appended: 1 was never used
      await put(fresh, 2);
      expect(await drain(fresh)).toEqual([2, 3]);
      const again = await reopen(fresh, dir);
      expect(again.stats()).toMatchObject({ depth: 0, bytes: 0, lastSeq: 3 });
      expect(again.stats().oldestAt).toBeUndefined();
      expect(again.nextSequence()).toBe(4);
      expect(await seqs(again)).toEqual([]);
    });

    it('keeps unacknowledged entries across a reopen and never returns acknowledged ones', async () => {
      const { o, dir } = await make();
      await put(o, 6);
      const taken = await o.take(4);
      o.ack(taken[0]!.seq);
      o.ack(taken[2]!.seq);
      expect(await seqs(o)).toEqual([5, 6]);
      expect(o.stats()).toMatchObject({ depth: 4, acked: 2, oldestAt: 1002 });
      const again = await reopen(o, dir);
      expect(again.stats()).toMatchObject({ depth: 4, oldestAt: 1002, lastSeq: 6 });
      expect(await seqs(again)).toEqual([2, 4, 5, 6]);
    });

    it('close writes pending acknowledgements: nothing acknowledged comes back after a reopen', async () => {
      const { o, dir } = await make();
      await put(o, 300);
      const taken = await o.take(300);
      for (const e of taken.slice(0, 299)) o.ack(e.seq);
      const again = await reopen(o, dir);
      expect(again.stats()).toMatchObject({ depth: 1, oldestAt: 1300 });
      expect(await seqs(again)).toEqual([300]);
    });

    it('rewind hands out again exactly the unacknowledged entries, in order', async () => {
      const { o } = await make();
      await put(o, 8);
      expect(await seqs(o, 5)).toEqual([1, 2, 3, 4, 5]);
      o.ack(1);
      o.ack(3);
      o.rewind(); // the deletes of 1 and 3 are not written yet: they must stay out all the same
      expect(await seqs(o, 3)).toEqual([2, 4, 5]);
      expect(await seqs(o)).toEqual([6, 7, 8]);
      o.ack(4);
      o.ack(8);
      o.rewind();
      expect(await seqs(o)).toEqual([2, 5, 6, 7]);
      await put(o, 2);
      expect(await seqs(o)).toEqual([9, 10]);
    });

    it('ignores an acknowledgement of an entry it does not hold', async () => {
      const { o } = await make();
      await put(o, 2);
      await o.take(2);
      o.ack(1);
      o.ack(1);
      o.ack(42);
      expect(o.stats()).toMatchObject({ depth: 1, acked: 1 });
    });

    it('returns only durable entries: none whose append has not resolved', async () => {
      const { o } = await make();
      const appended = o.append(entry(o.nextSequence()));
      expect(await o.take(10)).toEqual([]);
      expect(await appended).toBe(true);
      expect(await seqs(o)).toEqual([1]);
    });

    it('wakes a waiter when an entry becomes durable, at once when entries are waiting, and on abort', async () => {
      const { o } = await make();
      const order: string[] = [];
      const waiting = o.waitForEntries().then(() => order.push('woke'));
      await put(o, 1).then(() => order.push('appended'));
      await waiting;
      expect(order).toEqual(['woke', 'appended']);
      await o.waitForEntries(); // entry 1 is after the cursor
      expect(await seqs(o)).toEqual([1]);
      const abort = new AbortController();
      const aborted = o.waitForEntries(abort.signal).then(() => 'resolved');
      abort.abort();
      expect(await aborted).toBe('resolved');
      expect(await seqs(o)).toEqual([]);
    });

    it('writes concurrent appends in group commits and resolves them in sequence order', async () => {
      const { o } = await make({ batchMax: 100 });
      const resolved: number[] = [];
      const before = o.stats().batches;
      expect(before).toBe(0);
      await Promise.all(
        Array.from({ length: 1000 }, () => {
          const seq = o.nextSequence();
          return o.append(entry(seq)).then(() => resolved.push(seq));
        }),
      );
      expect(resolved).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
      expect(o.stats().batches).toBe(10); // batchMax 100 each, never more
      expect(o.stats()).toMatchObject({ depth: 1000, appended: 1000 });
    });

    it('refuses an append out of sequence order', async () => {
      const { o } = await make();
      await put(o, 3);
      await expect(o.append(entry(2))).rejects.toThrow(/order/);
      expect(await o.append(entry(7))).toBe(true);
      expect(await seqs(o)).toEqual([1, 2, 3, 7]);
      expect(o.nextSequence()).toBe(8);
    });

    it('drop-oldest: a full outbox drops its oldest entries, counted with the first and last dropped', async () => {
      const { o, dir } = await make({ maxEvents: 10, overflow: 'drop-oldest' });
      expect((await put(o, 15)).every(Boolean)).toBe(true);
      expect(o.stats()).toMatchObject({
        depth: 10,
        appended: 15,
        dropped: 5,
        oldestAt: 1006,
        firstDropped: { seq: 1, at: 1001 },
        lastDropped: { seq: 5, at: 1005 },
      });
      await put(o, 2); // a second group commit drops stored entries
      expect(o.stats()).toMatchObject({ depth: 10, dropped: 7, lastDropped: { seq: 7, at: 1007 } });
      const again = await reopen(o, dir, { maxEvents: 10 });
      // The drops are part of what is stored: a restart keeps the tally.
      expect(again.stats()).toMatchObject({
        depth: 10,
        lastSeq: 17,
        dropped: 7,
        firstDropped: { seq: 1, at: 1001 },
        lastDropped: { seq: 7, at: 1007 },
      });
      expect(await drain(again)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    });

    it('drop-newest: a full outbox refuses new entries, counted', async () => {
      const { o } = await make({ maxEvents: 10, overflow: 'drop-newest' });
      const stored = await put(o, 13);
      expect(stored).toEqual([...Array(10).fill(true), false, false, false]);
      expect(o.stats()).toMatchObject({
        depth: 10,
        appended: 10,
        dropped: 3,
        firstDropped: { seq: 11, at: 1011 },
        lastDropped: { seq: 13, at: 1013 },
      });
      expect(await drain(o)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await put(o, 1)).toEqual([true]);
      expect(await seqs(o)).toEqual([14]);
    });

    it('bounds the bytes too', async () => {
      const { o } = await make({ maxBytes: 20_000, overflow: 'drop-oldest' });
      await put(o, 100, () => 'x'.repeat(900));
      const s = o.stats();
      expect(s.bytes).toBeLessThanOrEqual(20_000);
      expect(s.bytes).toBeGreaterThan(20_000 - 1000);
      expect(s.depth + s.dropped).toBe(100);
      expect(s.firstDropped).toEqual({ seq: 1, at: 1001 });
      expect(s.lastDropped!.seq).toBe(100 - s.depth);
      expect(await drain(o)).toEqual(Array.from({ length: s.depth }, (_, i) => 101 - s.depth + i));
    });

    it('drops and counts an entry larger than maxBytes under either policy, never stores it', async () => {
      for (const overflow of ['drop-oldest', 'drop-newest'] as const) {
        const { o } = await make({ maxBytes: 10_000, overflow });
        await put(o, 2);
        expect(await o.append(entry(o.nextSequence(), 'x'.repeat(10_001)))).toBe(false);
        expect(o.stats()).toMatchObject({ depth: 2, dropped: 1, firstDropped: { seq: 3, at: 1003 } });
        expect(await seqs(o)).toEqual([1, 2]);
      }
    });

    it('behaves like a plain model under random appends, takes, acks, rewinds and reopens', async () => {
      type Step =
        | { op: 'append'; n: number }
        | { op: 'take'; n: number }
        | { op: 'ack'; pick: number[] }
        | { op: 'rewind' }
        | { op: 'reopen' };
      const step = fc.oneof(
        fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 30 }) }),
        fc.record({ op: fc.constant('take' as const), n: fc.integer({ min: 1, max: 15 }) }),
        fc.record({ op: fc.constant('ack' as const), pick: fc.array(fc.nat(), { maxLength: 10 }) }),
        fc.record({ op: fc.constant('rewind' as const) }),
        fc.record({ op: fc.constant('reopen' as const) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps: Step[]) => {
          const maxEvents = 20;
          const { dir, o: first } = await make({ maxEvents, batchMax: 8 });
          let o = first;
          // The model: live entries in order, the cursor, what is handed out, the drops.
          let live: number[] = [];
          let cursor = 1;
          let handed: number[] = [];
          let dropped = 0;
          let lastSeq = 0;
          for (const s of steps) {
            if (s.op === 'append') {
              await put(o, s.n);
              for (let i = 0; i < s.n; i++) {
                live.push(++lastSeq);
                if (live.length > maxEvents) {
                  const gone = live.shift()!;
                  dropped++;
                  if (gone >= cursor) cursor = gone + 1;
                }
              }
            } else if (s.op === 'take') {
              const expected = live.filter((seq) => seq >= cursor).slice(0, s.n);
              expect(await seqs(o, s.n)).toEqual(expected);
              cursor = expected.length === s.n ? expected.at(-1)! + 1 : lastSeq + 1;
              handed.push(...expected);
            } else if (s.op === 'ack') {
              for (const p of s.pick) {
                if (handed.length === 0) break;
                const seq = handed[p % handed.length]!;
                o.ack(seq);
                live = live.filter((x) => x !== seq);
                handed = handed.filter((x) => x !== seq);
              }
            } else {
              if (s.op === 'reopen') {
                o = await reopen(o, dir, { maxEvents, batchMax: 8 });
              } else o.rewind();
              cursor = Math.min(cursor, live[0] ?? cursor);
              handed = [];
            }
            expect(o.stats().depth).toBe(live.length);
            expect(o.stats().dropped).toBe(dropped);
          }
          await o.close();
          open.splice(open.indexOf(o), 1);
        }),
        { numRuns: 100 },
      );
    });

    it('counts a drop that lands while the entry is in flight only once', async () => {
      const { o } = await make({ maxEvents: 10, overflow: 'drop-oldest' });
      await put(o, 10);
      const inFlight = await o.take(3);
      await put(o, 2); // drops 1 and 2, which are in flight
      for (const e of inFlight) o.ack(e.seq);
      expect(o.stats()).toMatchObject({ dropped: 2, acked: 1, depth: 9 });
      o.rewind();
      expect(await drain(o)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    });
  });
}
