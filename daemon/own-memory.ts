/**
 * The daemon's own memory as it runs, against what it sizes itself to (`memory.budgetMb`, and
 * `holds.indexMb` with holds on) and against the memory limit the system gives its process (a
 * cgroup: the unit's `MemoryMax=`, a container's limit). Health reports all three, so a gateway
 * nearing its limit is seen upstream; a budget that cannot fit the limit is a standing warning
 * from the start, since the kernel would kill the daemon for memory before it reached its budget.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import type { MemoryHealth } from './contract/topics.js';
import { MIB } from './mebibytes.js';

/**
 * Room above the budget (and the hold index) for what the budget does not size: Node itself (code,
 * the young generation), buffers in flight, and the outbox's table files the kernel maps while a
 * backlog drains, which are charged to the same cgroup. Measured: RssAnon at most about 20 MiB
 * over the default budget through a 1,000,000-event backlog, RssFile up to about 140 MiB that
 * the kernel takes back under its limit. At this room (192 MiB for the default budget) such a
 * backlog drained at its usual speed; 32 MiB short of it, at about three fifths (docs/benchmarks.md).
 */
export const NODE_ROOM_MB = 64;

/** A process memory limit at or above this is "none" (cgroup v1 reports unlimited as ~2^63). */
const NO_LIMIT = 2 ** 60;

/** The memory limit of this process's cgroup, bytes; undefined when there is none. */
export function memoryLimitBytes(): number | undefined {
  const limit = process.constrainedMemory?.();
  return limit === undefined || limit <= 0 || limit >= NO_LIMIT ? undefined : limit;
}

/** The process's own memory (RssAnon from /proc/self/status), bytes; undefined off Linux. */
export function ownMemoryBytes(): number | undefined {
  try {
    const kb = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined; // no /proc: health leaves the figure out
  }
}

/** What the daemon sizes itself to, MiB: its budget and, with holds on, the hold index's limit. */
export interface MemorySizing {
  readonly budgetMb: number;
  readonly holdIndexMb?: number;
}

/**
 * The warning for a sizing that cannot fit `limitBytes` with room for Node (`NODE_ROOM_MB`), or
 * undefined when it fits or there is no limit. `limitName` says whose limit it is.
 */
export function limitWarning(
  sizing: MemorySizing,
  limitBytes: number | undefined,
  limitName = "this process's memory limit",
): string | undefined {
  if (limitBytes === undefined) return undefined;
  const needMb = sizing.budgetMb + (sizing.holdIndexMb ?? 0) + NODE_ROOM_MB;
  if (needMb * MIB <= limitBytes) return undefined;
  const sized =
    sizing.holdIndexMb === undefined
      ? `memory.budgetMb (${sizing.budgetMb} MiB)`
      : `memory.budgetMb (${sizing.budgetMb} MiB) and holds.indexMb (${sizing.holdIndexMb} MiB)`;
  return (
    `${sized}, with ${NODE_ROOM_MB} MiB for Node and the outbox's mapped files, need ${needMb} MiB: more than ` +
    `${limitName} (${Math.floor(limitBytes / MIB)} MiB). The kernel may kill it for memory before ` +
    "it reaches its budget: lower memory.budgetMb, or raise the limit (the unit's MemoryMax=)"
  );
}

/** Health's `memory`: measured at most once a second (a poll of health costs no more). */
export class OwnMemory {
  private last: MemoryHealth | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  /** This process's memory limit, read once at start (undefined: none). */
  readonly limitBytes = memoryLimitBytes();

  constructor(private readonly sizing: MemorySizing) {}

  /** The standing warning of this sizing under this process's limit, if any. */
  warning(): string | undefined {
    return limitWarning(this.sizing, this.limitBytes);
  }

  health(now = performance.now()): MemoryHealth {
    if (this.last && now - this.lastAt < 1000) return this.last;
    const own = ownMemoryBytes();
    this.last = {
      budgetBytes: this.sizing.budgetMb * MIB,
      ...(own !== undefined ? { ownBytes: own } : {}),
      heapUsedBytes: v8.getHeapStatistics().used_heap_size,
      ...(this.limitBytes !== undefined ? { limitBytes: this.limitBytes } : {}),
    };
    this.lastAt = now;
    return this.last;
  }
}
