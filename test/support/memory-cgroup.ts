/**
 * A memory cgroup (the cgroup v1 memory controller) for tests and the bench: the daemon runs
 * under a memory limit as a small gateway box or systemd's `MemoryMax=` would impose it, and the
 * kernel's own figures say what happened: the peak it charged, how often the limit was hit, and
 * how many processes its OOM killer took.
 *
 * The cgroup is made inside the cgroup of this process, so it nests under whatever limits the
 * test runner already has. It needs the controller mounted at /sys/fs/cgroup/memory and root;
 * without either, `createMemoryCgroup` throws and says which (the test fails, it is never
 * skipped). Memory and swap together are limited to one MiB more when the kernel accounts swap,
 * so swap cannot hide an overrun.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MEMORY_CONTROLLER = '/sys/fs/cgroup/memory';
/** Swap a process in the cgroup may use at most beside its memory limit. */
const SWAP_SLACK = 1024 * 1024;

export interface MemoryCgroupUsage {
  /** memory.limit_in_bytes as the kernel set it. */
  readonly limitBytes: number;
  /** Charged now (memory.usage_in_bytes): process memory plus page cache. */
  readonly usageBytes: number;
  /**
   * The highest charge so far (memory.max_usage_in_bytes). It counts page cache too (e.g. LevelDB's
   * table files), which the kernel reclaims at the limit, so a process writing files reaches the
   * limit here without being short of memory; `rssBytes` is the processes' own memory.
   */
  readonly peakBytes: number;
  /** Times the charge hit the limit and the kernel had to reclaim (memory.failcnt). */
  readonly failcnt: number;
  /** Processes the OOM killer took in this cgroup (oom_kill in memory.oom_control). */
  readonly oomKills: number;
  /** Anonymous memory of the processes now (total_rss in memory.stat): heap, native allocations. */
  readonly rssBytes: number;
  /** Page cache charged now (total_cache in memory.stat). */
  readonly cacheBytes: number;
}

export interface MemoryCgroup {
  readonly path: string;
  /**
   * Put in front of a command (argv): the command runs in this cgroup from its first instruction
   * (a shell moves itself in, then execs it, keeping its pid).
   */
  readonly launcher: readonly string[];
  usage(): MemoryCgroupUsage;
  /** The pids in the cgroup now. */
  pids(): number[];
  /**
   * Waits until every process in the cgroup has exited (SIGKILLs what is left after `waitMs`),
   * then removes it.
   */
  remove(waitMs?: number): Promise<void>;
}

/** The command-line prefix that runs a command inside the cgroup at `path` (see `launcher`). */
export function launcherInto(path: string): string[] {
  return ['sh', '-c', `echo $$ > '${join(path, 'cgroup.procs')}' && exec "$@"`, 'sh'];
}

/** This process's memory cgroup, as a directory under the controller's mount. */
export function ownMemoryCgroup(controller = MEMORY_CONTROLLER): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (!line) throw new Error('/proc/self/cgroup names no memory cgroup: the memory controller is not in use');
  return join(controller, line.split(':').slice(2).join(':'));
}

const num = (path: string) => Number(readFileSync(path, 'utf8').trim());

/** `key value` lines (memory.stat, memory.oom_control) as numbers. */
function keyed(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) out.set(key, Number(value));
  }
  return out;
}

/** `controller` is where the memory controller is mounted; only its test passes another. */
export function createMemoryCgroup(
  limitBytes: number,
  label = 'test',
  controller = MEMORY_CONTROLLER,
): MemoryCgroup {
  if (!existsSync(join(controller, 'memory.limit_in_bytes')))
    throw new Error(
      `no cgroup v1 memory controller at ${controller}: this runs the daemon under a memory limit and needs it (mounted, with root)`,
    );
  const parent = ownMemoryCgroup(controller);
  const path = join(parent, `readpoint-${label}-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    mkdirSync(path);
  } catch (err) {
    throw new Error(
      `cannot create the memory cgroup ${path} (${(err as Error).message}): run the tests as root`,
    );
  }
  try {
    // A new cgroup starts unlimited: the memory limit first, then memory+swap (never below it).
    // Memory+swap gets one MiB more: at an equal limit the kernel charges that counter first, and
    // its hits are not counted in any failcnt.
    writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
    const memsw = join(path, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(limitBytes + SWAP_SLACK));
  } catch (err) {
    rmdirSync(path);
    throw err;
  }

  const pids = () => readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  return {
    path,
    launcher: launcherInto(path),
    pids,
    usage() {
      const stat = keyed(join(path, 'memory.stat'));
      return {
        limitBytes: num(join(path, 'memory.limit_in_bytes')),
        usageBytes: num(join(path, 'memory.usage_in_bytes')),
        peakBytes: num(join(path, 'memory.max_usage_in_bytes')),
        failcnt: num(join(path, 'memory.failcnt')),
        oomKills: keyed(join(path, 'memory.oom_control')).get('oom_kill') ?? Number.NaN,
        rssBytes: stat.get('total_rss') ?? Number.NaN,
        cacheBytes: stat.get('total_cache') ?? Number.NaN,
      };
    },
    async remove(waitMs = 10_000) {
      let deadline = Date.now() + waitMs;
      let killed = false;
      for (;;) {
        const left = pids();
        if (left.length === 0) {
          try {
            rmdirSync(path);
            return;
          } catch (err) {
            // The last process may still be leaving the cgroup after its pid was gone.
            if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > deadline) throw err;
          }
        } else if (Date.now() > deadline) {
          if (killed) throw new Error(`memory cgroup ${path}: processes ${left.join(', ')} outlived SIGKILL`);
          // Only processes started into this cgroup are in it.
          for (const pid of left) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
            }
          }
          killed = true;
          deadline = Date.now() + 5000;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
