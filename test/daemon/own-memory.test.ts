/** The daemon's own memory against its budget and its process's limit: the fit rule and the figure. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { limitWarning, memoryLimitBytes, OwnMemory, ownMemoryBytes } from '../../daemon/own-memory.js';

const MIB = 1024 * 1024;

describe('a budget against the memory limit', () => {
  it('fits with room for Node (64 MiB) above the budget and the hold index, or says why not', () => {
    expect(limitWarning({ budgetMb: 128 }, undefined)).toBeUndefined();
    expect(limitWarning({ budgetMb: 128 }, 192 * MIB)).toBeUndefined();
    expect(limitWarning({ budgetMb: 128, holdIndexMb: 48 }, 256 * MIB)).toBeUndefined();
    expect(limitWarning({ budgetMb: 128 }, 192 * MIB - 1)).toBe(
      "memory.budgetMb (128 MiB), with 64 MiB for Node and the outbox's mapped files, need 192 MiB: more than " +
        "this process's memory limit (191 MiB). The kernel may kill it for memory before it reaches its budget: " +
        "lower memory.budgetMb, or raise the limit (the unit's MemoryMax=)",
    );
    expect(limitWarning({ budgetMb: 128, holdIndexMb: 48 }, 200 * MIB)).toMatch(
      /^memory\.budgetMb \(128 MiB\) and holds\.indexMb \(48 MiB\), with 64 MiB .* need 240 MiB: more than this process's memory limit \(200 MiB\)\./,
    );
  });
});

describe('the memory figure', () => {
  it('is RssAnon from /proc, and this process limit as the kernel sets it', () => {
    const status = readFileSync('/proc/self/status', 'latin1');
    const kb = Number(/^RssAnon:\s+(\d+) kB$/m.exec(status)![1]);
    const own = ownMemoryBytes()!;
    // Read a moment apart: within a few MiB of each other.
    expect(Math.abs(own - kb * 1024)).toBeLessThan(16 * MIB);
    expect(own).toBeGreaterThan(10 * MIB);
    const limit = memoryLimitBytes();
    const raw = process.constrainedMemory();
    expect(limit).toBe(raw > 0 && raw < 2 ** 60 ? raw : undefined);
  });

  it('is measured at most once a second, whatever the polls', () => {
    const memory = new OwnMemory({ budgetMb: 96 });
    const first = memory.health(10_000);
    expect(first).toMatchObject({ budgetBytes: 96 * MIB });
    expect(first.ownBytes).toBeGreaterThan(0);
    expect(first.heapUsedBytes).toBeGreaterThan(0);
    expect(memory.health(10_999)).toBe(first);
    const later = memory.health(11_000);
    expect(later).not.toBe(first);
    expect(later.budgetBytes).toBe(96 * MIB);
  });
});
