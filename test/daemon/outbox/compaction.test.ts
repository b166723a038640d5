import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { baseOptions, drain, tempDirs } from './helpers.js';

const tempDir = tempDirs();
const diskBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

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
    const taken = await o.take(10_000);
    for (const e of taken) o.ack(e.seq);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(10_000);
    expect(await o.compact(15_000)).toBeUndefined();
    expect((await drain(o)).length).toBe(10_000);
    await expect.poll(() => o.stats().depth, { timeout: 10_000 }).toBe(0);
    const before = diskBytes(dir);
    // 20,000 events of ~700 incompressible bytes, and their deletions.
    expect(before).toBeGreaterThan(10_000_000);
    const done = await o.compact(15_000);
    expect(done?.removed).toBe(20_000);
    expect(diskBytes(dir)).toBeLessThan(before / 10);
    // Counted from this compaction on.
    expect(await o.compact(1000)).toBeUndefined();
    await o.close();
    expect(await o.compact(1)).toBeUndefined(); // closed: nothing to do, no throw
  });
});
