/**
 * Disk use of a directory while LevelDB may be compacting it: a table file or a directory that
 * vanishes between the listing and its stat counts as gone, not as an error.
 */
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskUsage {
  /** Sum of the files' sizes. */
  readonly bytes: number;
  /** Allocated bytes, as du counts them. */
  readonly allocated: number;
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * `meanwhile` sees each listing before its entries are read (a test stands in for a compaction
 * there).
 */
export function diskUsage(
  dir: string,
  meanwhile: (dir: string, entries: Dirent[]) => Dirent[] = (_, entries) => entries,
): DiskUsage {
  let bytes = 0;
  let allocated = 0;
  for (const entry of meanwhile(dir, list(dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = diskUsage(path, meanwhile);
      bytes += inner.bytes;
      allocated += inner.allocated;
      continue;
    }
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    bytes += st.size;
    allocated += st.blocks * 512;
  }
  return { bytes, allocated };
}
