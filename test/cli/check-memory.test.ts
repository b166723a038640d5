/**
 * `readpoint check` weighs a config's memory sizing against the limit the daemon will run under:
 * its own process's (a real memory cgroup, as the unit's ExecStartPre runs in the unit's cgroup),
 * or, run by hand from a shell outside it, the daemon unit's MemoryMax= as systemd has it. systemd
 * does not run as init here: a `systemctl` on PATH stands in for it, answering as
 * `systemctl show --property=MemoryMax --value` does, and recording how it was asked.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMemoryMax } from '../../daemon/cli/unit-memory.js';
import { cliPath } from '../support/daemon.js';
import { createMemoryCgroup, type MemoryCgroup } from '../support/memory-cgroup.js';

const MiB = 1024 * 1024;
let dir: string;
let cgroup: MemoryCgroup | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-check-memory-'));
});
afterEach(async () => {
  await cgroup?.remove();
  cgroup = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function config(extra: string): string {
  const file = join(dir, 'readpoint.yaml');
  writeFileSync(
    file,
    `gateway: { id: gw, site: dc }
dataDir: ${dir}
readPoints: [{ id: dock-1 }]
readers: [{ id: gun, driver: serial-line, path: /dev/null, readPoint: dock-1 }]
${extra}`,
  );
  return file;
}

/** A `systemctl` that answers `answer` (or fails with `exit`), first on PATH; where it logs its arguments. */
function systemdStandIn(answer: string, exit = 0): string {
  const bin = join(dir, 'bin');
  const log = join(dir, 'systemctl.args');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'systemctl'),
    `#!/bin/sh\necho "$*" >> '${log}'\nprintf '%s\\n' '${answer}'\nexit ${exit}\n`,
  );
  chmodSync(join(bin, 'systemctl'), 0o755);
  return log;
}

/** `readpoint check --config FILE` in `cg` (a shell by hand: a cgroup with no limit). */
function check(file: string, cg: MemoryCgroup) {
  const r = spawnSync(
    cg.launcher[0]!,
    [...cg.launcher.slice(1), process.execPath, cliPath, 'check', '--config', file],
    {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
      timeout: 60_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whatever limits the test runner has, a shell's cgroup as systemd leaves it: no limit of its own. */
const byHand = () => createMemoryCgroup(2 ** 61, 'check-by-hand');

describe('readpoint check and the memory limit', () => {
  it("warns when the budget and the hold index cannot fit the process's own limit, without asking systemd", async () => {
    const asked = systemdStandIn('4294967296');
    cgroup = createMemoryCgroup(200 * MiB, 'check');
    const file = config('holds: {}\n');
    expect(check(file, cgroup)).toEqual({
      status: 0,
      stdout:
        `${file}: valid (1 reader(s), 1 read point(s))\n` +
        `${file}: warning: memory.budgetMb (128 MiB) and holds.indexMb (48 MiB), with 64 MiB for Node and the ` +
        "outbox's mapped files, need 240 MiB: more than this process's memory limit (200 MiB). The kernel may kill " +
        "it for memory before it reaches its budget: lower memory.budgetMb, or raise the limit (the unit's MemoryMax=)\n",
      stderr: '',
    });
    expect(existsSync(asked)).toBe(false);
  });

  it("by hand, weighs the config against the daemon unit's MemoryMax= as systemd has it", async () => {
    const asked = systemdStandIn(String(256 * MiB));
    cgroup = byHand();
    const file = config('memory: { budgetMb: 200 }\n');
    expect(check(file, cgroup)).toEqual({
      status: 0,
      stdout:
        `${file}: valid (1 reader(s), 1 read point(s))\n` +
        `${file}: warning: memory.budgetMb (200 MiB), with 64 MiB for Node and the outbox's mapped files, need ` +
        "264 MiB: more than readpoint.service's MemoryMax= (256 MiB). The kernel may kill it for memory before it " +
        "reaches its budget: lower memory.budgetMb, or raise the limit (the unit's MemoryMax=)\n",
      stderr: '',
    });
    expect(readFileSync(asked, 'utf8')).toBe('show --property=MemoryMax --value readpoint.service\n');
    // A budget that fits says nothing.
    expect(check(config('memory: { budgetMb: 192 }\n'), cgroup)).toMatchObject({
      status: 0,
      stdout: `${file}: valid (1 reader(s), 1 read point(s))\n`,
    });
  });

  it('says nothing of memory when the unit has no limit, or systemd cannot tell', async () => {
    cgroup = byHand();
    const file = config('memory: { budgetMb: 4096 }\n');
    const valid = { status: 0, stdout: `${file}: valid (1 reader(s), 1 read point(s))\n`, stderr: '' };
    systemdStandIn('infinity');
    expect(check(file, cgroup)).toEqual(valid);
    // As in a container: "System has not been booted with systemd as init system", exit 1.
    systemdStandIn('', 1);
    expect(check(file, cgroup)).toEqual(valid);
  });

  it("reads systemd's answer as bytes, or as no limit", () => {
    expect(parseMemoryMax('805306368\n')).toBe(805306368);
    for (const answer of ['infinity\n', '', '[not set]', '-1', '0', '12M', '99999999999999999999'])
      expect(parseMemoryMax(answer)).toBeUndefined();
  });
});
