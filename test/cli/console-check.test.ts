/** `readpoint check` and `readpoint run` refuse a console reachable beyond loopback without a login. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath } from '../support/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'rp-console-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(consoleYaml: string): string {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `gateway: { id: gw-1, site: s-1 }
dataDir: ${join(dir, 'data')}
broker: { port: 0 }
readPoints: [{ id: dock-1 }]
readers:
  - { id: sim, driver: simulator, readPoint: dock-1 }
${consoleYaml}`,
  );
  return file;
}

const run = (args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CONSOLE_PW: 'pw-1234' },
  });

describe('a console beyond loopback', () => {
  it('is refused by check and run without a login', () => {
    const file = config('console: { host: 0.0.0.0 }\n');
    for (const verb of ['check', 'run']) {
      const r = run([verb, '--config', file]);
      expect(r.status, verb).toBe(1);
      expect(r.stdout + r.stderr, verb).toMatch(
        /:\d+:\d+ console\.host: 0\.0\.0\.0 is reachable beyond this host and the console has no login: anyone on the network could watch/,
      );
    }
  });

  it('passes check with a login, and on loopback without one', () => {
    const withLogin = config(
      'console:\n  host: 0.0.0.0\n  logins:\n    - username: tech\n      password: ${CONSOLE_PW}\n',
    );
    expect(run(['check', '--config', withLogin]).status).toBe(0);
    expect(run(['check', '--config', config('console: {}\n')]).status).toBe(0);
  });
});
