/**
 * CPU time of this process by thread, from /proc/self/task/<tid>/stat, so a phase can say where
 * its CPU went: the main thread (the process id), V8's helpers (garbage collector, compiler),
 * libuv's pool (LevelDB's reads and writes, fsync) and LevelDB's own background thread
 * (compaction). Threads are grouped by the name the kernel gives them (`comm`); the main thread is
 * `main` whatever its name. A thread that ended between two marks is missing from the later one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { statCpuTicks } from './cpu.js';

/** Clock ticks of each thread alive now, by thread id, with its name. */
export type ThreadMark = ReadonlyMap<number, { readonly name: string; readonly ticks: number }>;

export function threadMark(): ThreadMark {
  const out = new Map<number, { name: string; ticks: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const t of tids) {
    const tid = Number(t);
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const name = tid === process.pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(tid, { name, ticks: statCpuTicks(stat) });
    } catch {
      // The thread ended while the directory was read.
    }
  }
  return out;
}

/**
 * Clock ticks spent between two marks, by thread: `main`, and the others as `<name>#<n>`, n
 * counting the threads of that name in the order they were made (Node names most of its threads
 * `node`; V8's helpers are made first, libuv's pool at the first file or DNS work, LevelDB's
 * background thread at its first compaction).
 */
export function ticksByThread(start: ThreadMark, end: ThreadMark): Record<string, number> {
  const out: Record<string, number> = {};
  const seen = new Map<string, number>();
  for (const [tid, t] of [...end].sort((a, b) => a[0] - b[0])) {
    const n = (seen.get(t.name) ?? 0) + 1;
    seen.set(t.name, n);
    const key = t.name === 'main' ? 'main' : `${t.name}#${n}`;
    out[key] = t.ticks - (start.get(tid)?.ticks ?? 0);
  }
  return out;
}
