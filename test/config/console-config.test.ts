/** The `console` section: off when absent, defaults, and what `check` refuses. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { planReload } from '../../daemon/reload-plan.js';
import { MINIMAL_YAML, problems } from './helpers.js';

describe('the console in the config', () => {
  it('is off when absent, and on loopback port 8484 with room for 8 browsers when present', () => {
    expect(parseConfig(MINIMAL_YAML, 'f.yaml', {}).console).toBeUndefined();
    const c = parseConfig(`${MINIMAL_YAML}console: {}\n`, 'f.yaml', {});
    expect(c.console).toEqual({ host: '127.0.0.1', port: 8484, maxClients: 8, historyMinutes: 5 });
  });

  it('refuses a console beyond loopback without a login, and takes one with', () => {
    expect(problems(`${MINIMAL_YAML}console: { host: 0.0.0.0 }\n`)).toEqual([
      expect.stringMatching(
        /^f\.yaml:\d+:\d+ console\.host: 0\.0\.0\.0 is reachable beyond this host and the console has no login/,
      ),
    ]);
    const c = parseConfig(
      `${MINIMAL_YAML}console:\n  host: 0.0.0.0\n  logins:\n    - username: tech\n      password: \${CONSOLE_PW}\n`,
      'f.yaml',
      { CONSOLE_PW: 's3cret-pw' },
    );
    expect(c.console?.logins).toEqual([{ username: 'tech', password: 's3cret-pw' }]);
  });

  it('wants exactly one of password and passwordFile, and unique usernames', () => {
    const found = problems(
      `${MINIMAL_YAML}console:\n  logins:\n    - { username: a, password: x1, passwordFile: /etc/pw }\n` +
        '    - { username: b }\n    - { username: a, password: y2 }\n',
    );
    expect(found).toEqual([
      expect.stringMatching(/console\.logins\[0\]\.username: set exactly one of password and passwordFile$/),
      expect.stringMatching(/console\.logins\[1\]\.username: set exactly one of password and passwordFile$/),
      expect.stringMatching(/console\.logins\[2\]\.username: username also used by console\.logins\[0\]$/),
    ]);
  });

  it('needs a restart to change', () => {
    const before = parseConfig(`${MINIMAL_YAML}console: {}\n`, 'f.yaml', {});
    const after = parseConfig(`${MINIMAL_YAML}console: { port: 9000 }\n`, 'f.yaml', {});
    expect(planReload(before, after).restartNeeded).toEqual(['console']);
    expect(planReload(before, before).restartNeeded).toEqual([]);
  });
});
