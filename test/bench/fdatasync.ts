/**
 * What one fdatasync costs on the disk under the outbox: `count` appends of `bytes` each to a
 * small file in the given directory, each followed by fdatasync, as LevelDB's log does for a group
 * commit under `sync: batch`. The file grows with every append, so each sync also carries the
 * size change, as the log's do. Printed beside the latency rows so a reader can tell the disk's
 * share of a read's wait from the daemon's.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Percentiles, percentiles } from './percentile.js';

export function measureFdatasync(dir: string, count: number, bytes = 1024): Percentiles {
  const file = join(dir, 'fdatasync.probe');
  const block = Buffer.alloc(bytes, 0x61);
  const took = new Float64Array(count);
  const fd = openSync(file, 'a');
  try {
    for (let i = 0; i < count; i++) {
      writeSync(fd, block);
      const t0 = performance.now();
      fdatasyncSync(fd);
      took[i] = performance.now() - t0;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return percentiles(took);
}
