import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
      'StateDirectory=readpoint',
    ]) {
      expect(lines).toContain(line);
    }
  });
});
