/**
 * The daemon under a real memory limit (a cgroup v1 memory cgroup, as the unit's MemoryMax= or a
 * container sets it): health reports its own memory against its budget and the limit, and a
 * budget that cannot fit the limit is a standing warning, logged at start and in every health
 * report; one that fits is not. Hold lists stored past the hold index's limit are one too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryHealth } from '../../daemon/contract/topics.js';
import { memoryLimitBytes } from '../../daemon/own-memory.js';
import { runCli } from '../support/cli-process.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';
import { streamingReader } from '../support/faults.js';
import { createMemoryCgroup, type MemoryCgroup } from '../support/memory-cgroup.js';
import { healthErrors } from '../support/schemas.js';

const MiB = 1024 * 1024;

let dir: string;
let daemon: DaemonProcess | undefined;
let cgroup: MemoryCgroup | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-memory-limit-'));
});
afterEach(async () => {
  await daemon?.kill('SIGTERM');
  daemon = undefined;
  await cgroup?.remove();
  cgroup = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The daemon with the embedded broker and a slow simulated conveyor, in `cgroup` if given. */
function start(extra: string, cg?: MemoryCgroup): DaemonProcess {
  const config = writeE2eConfig({ dir, readers: streamingReader({ readsPerSecond: 20 }), extra });
  daemon = startDaemon(config, {}, cg?.launcher ?? []);
  return daemon;
}

async function firstHealth(d: DaemonProcess): Promise<{ memory: MemoryHealth; warnings: string[] }> {
  const line = await d.waitForLog((l) => l.msg === 'health', 20_000);
  const health = line.health as { memory: MemoryHealth; warnings: string[] };
  expect(healthErrors(health)).toEqual([]);
  return health;
}

describe('the memory budget under a memory limit', () => {
  it('warns, at start and in health, when the budget and the hold index cannot fit the limit', async () => {
    cgroup = createMemoryCgroup(200 * MiB, 'memory-limit');
    const d = start('holds: {}\n', cgroup);
    const warned = await d.waitForLog((l) => l.level === 40 && String(l.msg).startsWith('memory.budgetMb'));
    const text =
      "memory.budgetMb (128 MiB) and holds.indexMb (48 MiB), with 64 MiB for Node and the outbox's mapped files, " +
      "need 240 MiB: more than this process's memory limit (200 MiB). The kernel may kill it for memory before it " +
      "reaches its budget: lower memory.budgetMb, or raise the limit (the unit's MemoryMax=)";
    expect(warned).toMatchObject({ msg: text, limitBytes: 200 * MiB });
    expect(cgroup.pids()).toContain(d.child.pid);
    const health = await firstHealth(d);
    expect(health.warnings).toEqual([text]);
    expect(health.memory).toMatchObject({ budgetBytes: 128 * MiB, limitBytes: 200 * MiB });
    expect(health.memory.ownBytes).toBeGreaterThan(10 * MiB);
    expect(health.memory.ownBytes).toBeLessThan(200 * MiB);
    expect(health.memory.heapUsedBytes).toBeLessThan(health.memory.ownBytes!);
  });

  it('says nothing of a budget that fits, and reports the limit it runs under', async () => {
    cgroup = createMemoryCgroup(256 * MiB, 'memory-limit');
    const d = start('memory: { budgetMb: 96 }\nholds: { indexMb: 16 }\n', cgroup);
    const health = await firstHealth(d);
    expect(health.warnings).toEqual([]);
    expect(health.memory).toMatchObject({ budgetBytes: 96 * MiB, limitBytes: 256 * MiB });
    expect(d.logs.filter((l) => String(l.msg).startsWith('memory.budgetMb'))).toEqual([]);
  });

  it('without a cgroup of its own, reports the limit of the cgroup it was started in, if any', async () => {
    const d = start('');
    const health = await firstHealth(d);
    const limit = memoryLimitBytes();
    expect(health.memory.limitBytes).toBe(limit);
    expect(health.memory.budgetBytes).toBe(128 * MiB);
    // A runner under a limit too small for the default budget would be told so too.
    expect(health.warnings).toEqual(
      limit !== undefined && limit < 192 * MiB
        ? [expect.stringMatching(/^memory\.budgetMb \(128 MiB\)/)]
        : [],
    );
  });

  it('names hold lists stored past holds.indexMb among the standing warnings of health, every hold in force', async () => {
    // 60,000 lots imported offline with --data-dir (no limit there): a table of 131,072 slots, 2 MiB.
    const file = join(dir, 'recall.jsonl');
    const lots = Array.from({ length: 60_000 }, (_, i) =>
      JSON.stringify({ gtin: '09506000134352', lot: `L${i}` }),
    );
    writeFileSync(file, `${lots.join('\n')}\n`);
    const imported = await runCli(['holds', 'import', file, '--data-dir', join(dir, 'data')]);
    expect(imported).toMatchObject({
      code: 0,
      stdout: 'imported 60000 entries; local hold list now at version 12\n',
    });
    const d = start('holds: { upstream: false, indexMb: 1 }\n');
    const loaded = await d.waitForLog((l) => l.msg.startsWith('hold lists loaded'));
    expect(loaded).toMatchObject({ level: 50, entries: 60_000, indexBytes: 2 * MiB, indexLimitBytes: MiB });
    const health = (await firstHealth(d)) as { warnings: string[]; inventory?: { holds?: unknown } };
    expect(health.warnings).toEqual([
      'the hold lists take 2 MiB of memory, more than holds.indexMb (1 MiB): every hold is in force; ' +
        'a change that would make the index larger is refused',
    ]);
    expect(health.inventory?.holds).toMatchObject({ entries: { lot: 60_000, total: 60_000 } });
  });
});
