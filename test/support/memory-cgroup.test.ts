/**
 * The memory cgroup helper against the kernel: a process that allocates past the limit is
 * OOM-killed and counted, one that stays below is not, and the cgroup is gone afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryCgroup, type MemoryCgroup } from './memory-cgroup.js';

const MiB = 1024 * 1024;
let cgroup: MemoryCgroup | undefined;

afterEach(async () => {
  await cgroup?.remove();
  cgroup = undefined;
});

/** Runs node with `script` inside the cgroup; resolves with its exit code or signal. */
function runInside(
  cg: MemoryCgroup,
  script: string,
): Promise<{ code: number | null; signal: string | null }> {
  const command = [...cg.launcher, process.execPath, '-e', script];
  const child = spawn(command[0]!, command.slice(1), { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('memory cgroup', () => {
  it('fails, naming what is missing, where no memory controller is mounted', () => {
    const nowhere = join(tmpdir(), `rp-no-cgroup-${process.pid}`);
    expect(() => createMemoryCgroup(64 * MiB, 'none', nowhere)).toThrow(
      `no cgroup v1 memory controller at ${nowhere}`,
    );
    expect(existsSync(nowhere)).toBe(false);
  });

  it('counts the OOM kill of a process that allocates past the limit', async () => {
    cgroup = createMemoryCgroup(96 * MiB, 'oom');
    expect(cgroup.usage()).toMatchObject({ limitBytes: 96 * MiB, oomKills: 0 });
    // Buffers live outside the V8 heap, so nothing but the limit stops this loop.
    const exit = await runInside(cgroup, 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));');
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    const usage = cgroup.usage();
    expect(usage.oomKills).toBe(1);
    expect(usage.failcnt).toBeGreaterThan(0);
    expect(usage.peakBytes).toBeGreaterThan(90 * MiB);
    expect(usage.peakBytes).toBeLessThanOrEqual(96 * MiB);
  });

  it('counts no OOM kill for a process that stays below the limit, and is removed after it', async () => {
    const cg = createMemoryCgroup(256 * MiB, 'below');
    cgroup = cg;
    // Exits with 3 only if it ran inside the cgroup, to tell its exit from a shell failure.
    const script = `const inside = require('fs').readFileSync('${cg.path}/cgroup.procs', 'utf8').split('\\n').includes(String(process.pid)); Buffer.alloc(32 << 20, 1); process.exit(inside ? 3 : 1);`;
    expect(await runInside(cg, script)).toEqual({ code: 3, signal: null });
    const usage = cg.usage();
    expect(usage.oomKills).toBe(0);
    expect(usage.peakBytes).toBeGreaterThan(32 * MiB);
    expect(usage.peakBytes).toBeLessThan(256 * MiB);
    expect(cg.pids()).toEqual([]);
    await cg.remove();
    cgroup = undefined;
    expect(existsSync(cg.path)).toBe(false);
  });
});
