import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Level } from 'level';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox, type OutboxOptions } from '../../../daemon/outbox/level-outbox.js';
import { outboxContract } from './outbox.contract.js';

outboxContract('LevelOutbox', (dir, opts) => new LevelOutbox(dir, opts, silentLogger()));

const opts: OutboxOptions = {
  maxEvents: 1_000_000,
  maxBytes: 1 << 30,
  overflow: 'drop-oldest',
  batchMax: 512,
};
const key = (seq: number) => `e!${seq.toString(16).padStart(16, '0')}`;
const entry = (seq: number, payload = `p${seq}`) => ({ seq, topic: 't', payload, acceptedAt: seq });

describe('LevelOutbox', () => {
  const dirs: string[] = [];
  const outboxes: LevelOutbox[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const o of outboxes.splice(0)) await o.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lo-'));
    dirs.push(dir);
    return dir;
  };
  const openOutbox = async (dir: string, options: Partial<OutboxOptions> = {}) => {
    const o = new LevelOutbox(dir, { ...opts, ...options }, silentLogger());
    await o.open();
    outboxes.push(o);
    return o;
  };
  const closeOutbox = async (o: LevelOutbox) => {
    outboxes.splice(outboxes.indexOf(o), 1);
    await o.close();
  };

  it('refuses a data directory another process holds, with a clear error', async () => {
    const dir = tempDir();
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Level } from 'level'; const db = new Level(${JSON.stringify(dir)}); await db.open();
         console.log('open'); process.stdin.once('data', async () => { await db.close(); process.exit(0); });`,
      ],
      { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      const o = new LevelOutbox(dir, opts, silentLogger());
      await expect(o.open()).rejects.toThrow(`the data directory ${dir} is in use by another readpoint`);
      // The same process holding it is refused the same way.
      holder.stdin.write('close\n');
      await new Promise((resolve) => holder.once('exit', resolve));
      const first = await openOutbox(dir);
      await expect(new LevelOutbox(dir, opts, silentLogger()).open()).rejects.toThrow(
        /in use by another readpoint/,
      );
      expect(first.stats().depth).toBe(0);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('quarantines damaged records (at open and when taken) byte for byte, counts them, carries on', async () => {
    const dir = tempDir();
    const a = await openOutbox(dir);
    for (let i = 0; i < 6; i++) await a.append(entry(a.nextSequence()));
    await closeOutbox(a);
    const raw = new Level<string, string>(dir);
    const damagedFour = (await raw.get(key(4)))!.replace('p4', 'p5'); // header intact, CRC wrong
    const six = Buffer.from((await raw.get(key(6)))!);
    const damagedSix = Buffer.concat([six.subarray(0, -1), Buffer.from([0xff, 0xfe])]); // not UTF-8
    await raw.put(key(2), '{not a record');
    await raw.put(key(4), damagedFour);
    await raw.put(key(6), damagedSix, { valueEncoding: 'view' });
    await raw.close();

    const b = await openOutbox(dir);
    expect(b.stats()).toMatchObject({ depth: 5, quarantined: 1 });
    expect((await b.take(10)).map((e) => e.payload)).toEqual(['p1', 'p3', 'p5']);
    expect(b.stats()).toMatchObject({ depth: 3, quarantined: 3 });
    await closeOutbox(b);

    const check = new Level<string, string>(dir);
    expect(await check.get('q!0000000000000002')).toBe('{not a record');
    expect(await check.get('q!0000000000000004')).toBe(damagedFour);
    expect(Buffer.from((await check.get('q!0000000000000006', { valueEncoding: 'view' }))!)).toEqual(
      damagedSix,
    );
    expect(await check.keys({ gte: 'e!', lt: 'e"' }).all()).toEqual([key(1), key(3), key(5)]);
    await check.close();

    const c = await openOutbox(dir);
    expect(c.stats()).toMatchObject({ depth: 3, quarantined: 3, lastSeq: 6 });
    expect((await c.take(10)).map((e) => e.seq)).toEqual([1, 3, 5]);
  });

  it('rejects appends when a write fails, stays usable, and keeps what is stored without a hole', async () => {
    const dir = tempDir();
    const o = await openOutbox(dir, { batchMax: 2 });
    await Promise.all([1, 2, 3].map(() => o.append(entry(o.nextSequence()))));
    expect((await o.take(1)).map((e) => e.seq)).toEqual([1]);
    o.ack(1);
    const full = Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR' });
    const batch = vi.spyOn(Level.prototype, 'batch').mockRejectedValueOnce(full);
    const seqs = [o.nextSequence(), o.nextSequence(), o.nextSequence()];
    const results = await Promise.allSettled(seqs.map((seq) => o.append(entry(seq))));
    // The failed batch held 4 and 5; 6 was waiting behind it and is refused too.
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBe(full);
    expect(o.stats()).toMatchObject({ depth: 2, appended: 3, acked: 1, lastSeq: 6 });
    expect(await o.take(10)).toEqual([entry(2), entry(3)]);
    // The caller appends them again with the same numbers; the ack of 1 is written with them.
    expect(await Promise.all(seqs.map((seq) => o.append(entry(seq))))).toEqual([true, true, true]);
    expect(batch.mock.calls.length).toBe(1 + 2);
    expect((await o.take(10)).map((e) => e.seq)).toEqual([4, 5, 6]);
    await closeOutbox(o);
    const again = await openOutbox(dir);
    expect(again.stats()).toMatchObject({ depth: 5, lastSeq: 6 });
    expect((await again.take(10)).map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
  });

  it('after overflow drops, take starts at the oldest kept entry, not over the dropped keys', async () => {
    const o = await openOutbox(tempDir(), { maxEvents: 100, batchMax: 64 });
    expect((await o.take(10)).length).toBe(0);
    for (let i = 0; i < 50; i++) {
      await Promise.all(Array.from({ length: 200 }, () => o.append(entry(o.nextSequence()))));
    }
    expect(o.stats()).toMatchObject({ depth: 100, dropped: 9900, firstDropped: { seq: 1 } });
    const iterator = vi.spyOn(Level.prototype, 'iterator');
    expect((await o.take(1000)).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 9901 + i));
    expect(iterator.mock.calls.map((c) => (c[0] as { gte: string }).gte)).toEqual([key(9901)]);
  });

  it('writes every batch with fsync when sync is set, without it by default', async () => {
    const batch = vi.spyOn(Level.prototype, 'batch');
    const synced = await openOutbox(tempDir(), { sync: true });
    await synced.append(entry(synced.nextSequence()));
    const plain = await openOutbox(tempDir());
    await plain.append(entry(plain.nextSequence()));
    expect(batch.mock.calls.map((c) => ((c as unknown[])[1] as { sync: boolean }).sync)).toEqual([
      true,
      false,
    ]);
  });

  it('drains 100,000 entries in order from a moving cursor, its memory flat', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
    };
    const dir = tempDir();
    const o = await openOutbox(dir);
    const payload = JSON.stringify({ filler: 'x'.repeat(680) });
    const before = used();
    for (let i = 0; i < 100; i++) {
      await Promise.all(Array.from({ length: 1000 }, () => o.append(entry(o.nextSequence(), payload))));
    }
    expect(o.stats().depth).toBe(100_000);
    const full = used();
    const iterator = vi.spyOn(Level.prototype, 'iterator');
    let expected = 1;
    for (let batch = await o.take(500); batch.length > 0; batch = await o.take(500)) {
      for (const e of batch) {
        expect(e.seq).toBe(expected++);
        o.ack(e.seq);
      }
    }
    expect(expected).toBe(100_001);
    // Each take starts where the last one ended, never at the start over deleted keys; the last
    // one (nothing after the cursor) reads nothing.
    const starts = iterator.mock.calls.map((c) => (c[0] as { gte: string }).gte);
    expect(starts).toEqual(Array.from({ length: 200 }, (_, i) => key(1 + i * 500)));
    const drained = used();
    expect(full - before).toBeLessThan(16);
    expect(drained - before).toBeLessThan(8);
    await closeOutbox(o);
    const again = await openOutbox(dir);
    expect(again.stats()).toMatchObject({ depth: 0, bytes: 0, lastSeq: 100_000 });
  });
});
