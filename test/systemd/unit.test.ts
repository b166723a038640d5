import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerLimits } from '../../config/broker-limit-defaults.js';
import { repoRoot } from '../support/schemas.js';

const unitText = () => readFileSync(join(repoRoot, 'systemd', 'readpoint.service'), 'utf8');

/** What `systemd-analyze verify` says about a unit (it exits 0 even for unknown keys, so read its lines). */
function verify(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'rp-unit-'));
  try {
    // verify checks that the ExecStart binaries exist: point them at this machine's node and this build.
    mkdirSync(join(dir, 'system'));
    const path = join(dir, 'system', 'readpoint.service');
    writeFileSync(
      path,
      text.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/readpoint', repoRoot),
    );
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
    if (r.error) throw r.error;
    return `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('readpoint.service'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('systemd/readpoint.service', () => {
  it('passes systemd-analyze verify without a complaint', () => {
    expect(verify(unitText())).toEqual([]);
  });

  it('is checked for real: a unit with a typo is reported', () => {
    const complaints = verify(unitText().replace('Restart=on-failure', 'Restart=sometimes'));
    expect(complaints).toHaveLength(1);
    expect(complaints[0]).toContain('restart specifier');
  });

  it('keeps the contract: a dedicated user in dialout, restart on failure, data in StateDirectory', () => {
    const lines = unitText().split('\n');
    for (const line of [
      'User=readpoint',
      'SupplementaryGroups=dialout',
      'Restart=on-failure',
      'RestartPreventExitStatus=1 4 73 77 78',
      'StateDirectory=readpoint',
      'ConfigurationDirectory=readpoint',
      'EnvironmentFile=-/etc/readpoint/readpoint.env',
      'ExecStartPre=/usr/bin/node /opt/readpoint/lib/node_modules/readpoint/dist/daemon/cli/main.js check --config /etc/readpoint/readpoint.yaml',
      // The young generation's size, which only a flag at start sets (see the unit's comment).
      'ExecStart=/usr/bin/node --max-semi-space-size=16 /opt/readpoint/lib/node_modules/readpoint/dist/daemon/cli/main.js run --config /etc/readpoint/readpoint.yaml',
    ]) {
      expect(lines).toContain(line);
    }
  });

  it('is a notify service with a watchdog that a child process may feed, and reloads on SIGHUP', () => {
    const lines = unitText().split('\n');
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'WatchdogSec=30',
      'TimeoutStartSec=120',
      'ExecReload=/bin/kill -HUP $MAINPID',
    ]) {
      expect(lines).toContain(line);
    }
  });

  it('lets the readers through its device policy, and sets nothing that breaks node or the readers', () => {
    const lines = unitText().split('\n');
    expect(lines).toContain('DevicePolicy=closed');
    for (const cls of ['ttyS', 'ttyUSB', 'ttyACM', 'usb_device'])
      expect(lines).toContain(`DeviceAllow=char-${cls} rw`);
    // V8's JIT needs W+X memory; a private user namespace unmaps dialout; PrivateDevices hides /dev/ttyUSB*.
    for (const key of ['MemoryDenyWriteExecute=', 'PrivateUsers=', 'PrivateDevices=']) {
      expect(lines.filter((l) => l.startsWith(key))).toEqual([]);
    }
  });

  it("bounds descriptors, memory and tasks to fit the embedded broker's default limits", () => {
    const value = (key: string) => {
      const found = unitText()
        .split('\n')
        .filter((l) => l.startsWith(`${key}=`));
      expect(found, key).toHaveLength(1);
      return found[0]!.slice(key.length + 1);
    };
    expect([value('LimitNOFILE'), value('MemoryMax'), value('TasksMax')]).toEqual(['4096', '768M', '64']);
    const limits = brokerLimits();
    // Every broker connection, LevelDB's 1000 table files and the rest of the process, with room.
    expect(Number(value('LimitNOFILE'))).toBeGreaterThan(2 * (limits.maxConnections + 1000 + 100));
    // Node and the outbox (~200 MB), every connection holding a half-sent packet, the retained store.
    const worst = 200 * 2 ** 20 + limits.maxConnections * limits.maxPacketBytes + limits.maxRetainedBytes;
    expect(768 * 2 ** 20).toBeGreaterThan(1.5 * worst);
  });

  it('is rated 2.0 or lower by systemd-analyze security', () => {
    const path = join(repoRoot, 'systemd', 'readpoint.service');
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', path], { encoding: 'utf8' });
    if (r.error) throw r.error;
    const overall = /Overall exposure level for readpoint\.service: (\d+\.\d)/.exec(r.stdout);
    expect(overall, `${r.stdout}${r.stderr}`).not.toBeNull();
    expect(Number(overall![1])).toBeLessThanOrEqual(2.0);
    const threshold = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', path]);
    expect(threshold.status).toBe(0);
    // The threshold check is real: the unit without its hardening fails it.
    const dir = mkdtempSync(join(tmpdir(), 'rp-unit-'));
    try {
      const bare = join(dir, 'readpoint.service');
      writeFileSync(bare, unitText().split('# --- Hardening.')[0]!);
      expect(
        spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', bare]).status,
      ).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
