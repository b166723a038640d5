import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { outboxContract } from './outbox.contract.js';

outboxContract('LevelOutbox', (dir, opts) => new LevelOutbox(dir, opts, silentLogger()));

const opts = { maxEvents: 1_000_000, maxBytes: 1 << 30, overflow: 'drop-oldest' as const, batchMax: 512 };

describe('LevelOutbox', () => {
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
      expect((await b.take(10)).map((e) => e.payload)).toEqual(['p1', 'p3']);
      expect(b.stats().quarantined).toBe(1);
    } finally {
      await b.close();
    }
    const check = new Level<string, string>(dir);
    expect(await check.get(`q!${(2).toString(16).padStart(16, '0')}`)).toBe('{not json');
    await check.close();
    rmSync(dir, { recursive: true, force: true });
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
