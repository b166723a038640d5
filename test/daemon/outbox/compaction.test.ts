import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutboxCompaction } from '../../../daemon/drain-compaction.js';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { baseOptions, drain, recordingLogger, takeN, tempDirs } from './helpers.js';

const tempDir = tempDirs();
const diskBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

/** Appends `n` events of ~700 incompressible bytes. */
async function fill(o: LevelOutbox, n: number): Promise<void> {
  for (let done = 0; done < n; done += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, n - done) }, () => {
        const seq = o.nextSequence();
        return o.append({
          seq,
          topic: 't',
          payload: `${seq} ${randomBytes(500).toString('base64')}`,
          acceptedAt: seq,
        });
      }),
    );
  }
}

/** Delivers (takes and acknowledges) the next `n` events. */
async function deliver(o: LevelOutbox, n: number): Promise<void> {
  const taken = await takeN(o, n);
  expect(taken.length).toBe(n);
  for (const e of taken) o.ack(e.seq);
}

describe('LevelOutbox.compact', () => {
  it('frees the disk space of a drained backlog once enough events left, and not before', async () => {
    const dir = tempDir();
    const o = new LevelOutbox(dir, { ...baseOptions, sync: 'interval' }, silentLogger());
    await o.open();
    for (let i = 0; i < 20; i++) {
      await Promise.all(
        Array.from({ length: 1000 }, () => {
          const seq = o.nextSequence();
          return o.append({
            seq,
            topic: 't',
            payload: `${seq} ${randomBytes(500).toString('base64')}`,
            acceptedAt: seq,
          });
        }),
      );
    }
    expect(await o.compact(1000)).toBeUndefined(); // nothing has left yet
    // Half delivered: not due at a threshold above that.
    const taken = await takeN(o, 10_000);
    expect(taken.length).toBe(10_000);
    for (const e of taken) o.ack(e.seq);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(10_000);
    expect(await o.compact(15_000)).toBeUndefined();
    expect((await drain(o)).length).toBe(10_000);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(0);
    const before = diskBytes(dir);
    // 20,000 events of ~700 incompressible bytes, and their deletions: LevelDB's own compactions
    // of its small memtables' tables have dropped some of them by now (6.9-26 MB were left in
    // runs), never most.
    expect(before).toBeGreaterThan(2_000_000);
    const done = await o.compact(15_000);
    expect(done?.removed).toBe(20_000);
    // A drained outbox, compacted: a few KB of state and logs.
    expect(diskBytes(dir)).toBeLessThan(100_000);
    // Counted from this compaction on.
    expect(await o.compact(1000)).toBeUndefined();
    await o.close();
    expect(await o.compact(1)).toBeUndefined(); // closed: nothing to do, no throw
  });

  it('drains a backlog whole, in order and once, while compactions run under the takes waiting for their reads', async () => {
    const dir = tempDir();
    const o = new LevelOutbox(dir, { ...baseOptions, sync: 'interval' }, silentLogger());
    await o.open();
    await fill(o, 12_000);
    const before = diskBytes(dir);
    const seen: number[] = [];
    let compactions = 0;
    let compactedFirst = 0;
    let removed = 0;
    let stoppedUnderTake = 0;
    const got = (taken: readonly { seq: number }[]) => {
      for (const e of taken) {
        seen.push(e.seq);
        o.ack(e.seq);
      }
    };
    for (let turn = 0; seen.length < 12_000; turn++) {
      if (turn % 2 === 0) {
        // A take hands out what was read ahead; the next one waits for the read under way, and
        // the compaction closes the reader under it.
        got(await o.take(300));
        const waiting = o.take(300);
        const done = await o.compact(1);
        const taken = await waiting;
        if (done) compactions++;
        removed += done?.removed ?? 0;
        if (done && taken.length === 0) stoppedUnderTake++;
        got(taken);
      } else {
        // The compaction first (due: the deletes of what was just acknowledged written), so the
        // take opens a reader of its own while LevelDB compacts.
        got(await o.take(300));
        await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(12_000 - seen.length);
        const compacting = o.compact(1);
        got(await o.take(300));
        const done = await compacting;
        if (done) compactedFirst++;
        removed += done?.removed ?? 0;
      }
    }
    // Every stored event once, oldest first, though readers were closed under the takes.
    expect(seen).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
    expect(compactions).toBeGreaterThan(10);
    expect(compactedFirst).toBeGreaterThan(10);
    expect(stoppedUnderTake).toBeGreaterThan(0);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(0);
    expect(await o.take(10)).toEqual([]);
    // What the last compactions left is compacted now; each delivered event was counted once.
    removed += (await o.compact(1))?.removed ?? 0;
    expect(removed).toBe(12_000);
    expect(diskBytes(dir)).toBeLessThan(before / 10);
    await o.close();
  });
});

describe('OutboxCompaction', () => {
  it('compacts behind a draining backlog every compactAfterEvents, and the rest once it has drained', async () => {
    const dir = tempDir();
    const o = new LevelOutbox(dir, { ...baseOptions, sync: 'interval' }, silentLogger());
    await o.open();
    const { log, lines } = recordingLogger();
    const compaction = new OutboxCompaction(o, () => 5000, log);
    const compacted = () =>
      lines.filter((l) => l.msg === 'outbox compacted').map((l) => [l.why, l.removed] as const);
    await fill(o, 20_000);
    await compaction.whileDraining(); // a backlog, nothing delivered yet
    await deliver(o, 3000);
    await compaction.whileDraining(); // 3,000 out: not due
    expect(compacted()).toEqual([]);
    await deliver(o, 3000);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(14_000);
    await compaction.whileDraining();
    expect(compacted()).toEqual([['draining', 6000]]);
    const before = diskBytes(dir);
    await deliver(o, 12_000);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(2000);
    // 2,000 left: no longer a backlog, so what it left behind is compacted now, not at the job.
    await compaction.whileDraining();
    expect(compacted()).toEqual([
      ['draining', 6000],
      ['drained', 12_000],
    ]);
    expect(diskBytes(dir)).toBeLessThan(before / 2);
    // Drained and compacted: neither the check nor the job finds anything to do.
    await deliver(o, 2000);
    await compaction.whileDraining();
    await compaction.scheduled();
    expect(compacted()).toHaveLength(2);
    await compaction.stop();
    await o.close();
  });

  it('compacts what a drained backlog left after the compaction under way, instead of skipping it', async () => {
    const dir = tempDir();
    const o = new LevelOutbox(dir, { ...baseOptions, sync: 'interval' }, silentLogger());
    await o.open();
    const { log, lines } = recordingLogger();
    // The first compaction is held open after LevelDB has done it, so the next check comes while
    // it is still under way.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const gated = {
      stats: () => o.stats(),
      compact: async (min: number) => {
        const done = await o.compact(min);
        if (++calls === 1) await held;
        return done;
      },
    };
    const compaction = new OutboxCompaction(gated, () => 5000, log);
    await fill(o, 20_000);
    await deliver(o, 6000);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(14_000);
    const draining = compaction.whileDraining();
    await expect.poll(() => calls).toBe(1);
    await deliver(o, 12_000);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(2000);
    const drained = compaction.whileDraining(); // the backlog is out while the first is under way
    release();
    await Promise.all([draining, drained]);
    expect(lines.filter((l) => l.msg === 'outbox compacted').map((l) => [l.why, l.removed])).toEqual([
      ['draining', 6000],
      ['drained', 12_000],
    ]);
    expect(calls).toBe(2);
    await compaction.stop();
    await o.close();
  });

  it('runs one compaction at a time: the job and the check share the one under way', async () => {
    const dir = tempDir();
    const o = new LevelOutbox(dir, { ...baseOptions, sync: 'interval' }, silentLogger());
    await o.open();
    const { log, lines } = recordingLogger();
    const compaction = new OutboxCompaction(o, () => 1000, log);
    await fill(o, 3000);
    await drain(o);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(0);
    await Promise.all([compaction.scheduled(), compaction.scheduled(), compaction.stop()]);
    expect(lines.filter((l) => l.msg === 'outbox compacted').map((l) => l.removed)).toEqual([3000]);
    await o.close();
  });
});
