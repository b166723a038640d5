/**
 * The handover window alone, with a sink whose reads settle when the test says: reads go to the
 * sink in call order at once, `push` resolves at once while the window has room and only when a
 * read settles once it is full, and a sink that throws or rejects is logged without losing a slot.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rootLogger } from '../../daemon/log.js';
import type { RawRead, ReadSink } from '../../drivers/driver.js';
import { Handover } from '../../drivers/handover.js';

const read = (n: number): RawRead => ({
  readerId: 'r',
  kind: 'barcode',
  data: Buffer.from(`code-${n}`),
  at: n,
  mono: n,
});

/** A sink that keeps each read's settle functions; `fail` makes a read throw or reject. */
function heldSink(fail?: (n: number) => 'throw' | 'reject' | undefined) {
  const taken: string[] = [];
  const settle: (() => void)[] = [];
  const sink: ReadSink = {
    read(r) {
      const n = Number(r.data.toString().slice(5));
      taken.push(r.data.toString());
      const how = fail?.(n);
      if (how === 'throw') throw new Error(`read ${n} threw`);
      if (how === 'reject') return Promise.reject(new Error(`read ${n} rejected`));
      return new Promise<void>((resolve) => settle.push(resolve));
    },
    reject() {},
  };
  return { sink, taken, settle };
}

/** A logger whose JSON lines the test reads. */
function lines() {
  const out: Record<string, unknown>[] = [];
  const log = rootLogger(
    'info',
    new Writable({
      write(chunk, _enc, done) {
        out.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { log, out };
}

/** True once `p` has settled, looked at after the microtasks queued so far have run. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('the handover window', () => {
  it('hands reads over in order at once, and makes the driver wait only once the window is full', async () => {
    const { sink, taken, settle } = heldSink();
    const handover = new Handover(sink, lines().log, 3);
    const rooms = [0, 1].map((n) => handover.push(read(n)));
    expect(taken).toEqual(['code-0', 'code-1']);
    expect(handover.full).toBe(false);
    for (const room of rooms) expect(await settled(room)).toBe(true);
    const third = handover.push(read(2));
    expect(taken).toEqual(['code-0', 'code-1', 'code-2']);
    expect(handover.full).toBe(true);
    expect(await settled(third)).toBe(false);
    settle[1]!(); // any read settling makes room
    expect(await settled(third)).toBe(true);
    expect(handover.full).toBe(false);
    const drained = handover.drain();
    settle[0]!();
    expect(await settled(drained)).toBe(false);
    settle[2]!();
    expect(await settled(drained)).toBe(true);
  });

  it('logs a read that throws or rejects, frees its slot, and goes on with the next', async () => {
    const { sink, taken, settle } = heldSink((n) => (n === 1 ? 'throw' : n === 2 ? 'reject' : undefined));
    const { log, out } = lines();
    const handover = new Handover(sink, log, 2);
    handover.push(read(0));
    handover.push(read(1));
    handover.push(read(2));
    const fourth = handover.push(read(3));
    expect(taken).toEqual(['code-0', 'code-1', 'code-2', 'code-3']);
    await settled(fourth);
    const errors = out.filter((l) => l.msg === 'read could not be processed');
    expect(errors.map((l) => (l.err as { message: string }).message)).toEqual([
      'read 1 threw',
      'read 2 rejected',
    ]);
    expect(handover.full).toBe(true); // reads 0 and 3 still pending
    settle[0]!();
    settle[1]!();
    expect(await settled(handover.drain())).toBe(true);
  });
  it('counts reads answered with one shared promise as a group, freed together when it settles', async () => {
    // A sink answering reads with the promise of their group commit: `close` starts the next one.
    const groups: (() => void)[] = [];
    let current!: Promise<void>;
    const close = () => {
      current = new Promise<void>((resolve) => groups.push(resolve));
    };
    close();
    const taken: number[] = [];
    const settledAlready = Promise.resolve();
    const sink: ReadSink = {
      read(r) {
        taken.push(r.at);
        return r.at % 10 === 9 ? settledAlready : current;
      },
      reject() {},
    };
    const handover = new Handover(sink, lines().log, 4);
    handover.push(read(0));
    handover.push(read(1));
    handover.push(read(2));
    close();
    const fourth = handover.push(read(3));
    expect(handover.full).toBe(true);
    groups[1]!(); // the later group settles first: one read freed
    expect(await settled(fourth)).toBe(true);
    expect(handover.full).toBe(false);
    const fifth = handover.push(read(4));
    expect(handover.full).toBe(true);
    groups[0]!(); // the first group's three reads are freed together
    expect(await settled(fifth)).toBe(true);
    expect(handover.full).toBe(false);
    // Reads answered with a promise that settled already, before and after its handler ran, each count.
    handover.push(read(9));
    handover.push(read(19));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    handover.push(read(29));
    expect(handover.full).toBe(false);
    const drained = handover.drain();
    expect(await settled(drained)).toBe(true);
    expect(taken).toEqual([0, 1, 2, 3, 4, 9, 19, 29]);
  });

  it('logs a shared promise that rejects once, with the count of its reads, and frees them all', async () => {
    let reject!: (err: Error) => void;
    const shared = new Promise<void>((_, r) => {
      reject = r;
    });
    const sink: ReadSink = { read: () => shared, reject() {} };
    const { log, out } = lines();
    const handover = new Handover(sink, log, 3);
    for (let n = 0; n < 3; n++) handover.push(read(n));
    expect(handover.full).toBe(true);
    reject(new Error('recorder stopped'));
    expect(await settled(handover.drain())).toBe(true);
    const errors = out.filter((l) => l.msg === 'read could not be processed');
    expect(errors.map((l) => [(l.err as { message: string }).message, l.reads])).toEqual([
      ['recorder stopped', 3],
    ]);
  });
});
