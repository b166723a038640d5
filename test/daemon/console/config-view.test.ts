/** The console's configuration page: secrets hidden, and the file on disk checked as a reload would. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { checkOnDisk, configText } from '../../../daemon/console/config-view.js';

const dir = mkdtempSync(join(tmpdir(), 'rp-console-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = `gateway: { id: gw-1, site: s-1 }
uplink:
  url: mqtts://gw-1:Up-Pass-77@central.example:8883
  username: gw-1
  password: Other-Secret-55
readPoints: [{ id: dock-1 }]
readers:
  - { id: sim, driver: simulator, readPoint: dock-1 }
console:
  logins:
    - { username: tech, password: Console-Pw-99 }
`;

describe('the configuration page', () => {
  it('shows the running configuration as YAML with every secret as ***', () => {
    const text = configText(parseConfig(BASE, 'f.yaml', {}));
    expect(text).toContain('url: mqtts://***@central.example:8883');
    expect(text).toContain('password: "***"');
    expect(text).toContain('username: tech');
    for (const secret of ['Up-Pass-77', 'Other-Secret-55', 'Console-Pw-99'])
      expect(text).not.toContain(secret);
  });

  it('says what a reload of the file on disk would do, or why it is invalid', async () => {
    const running = parseConfig(BASE, 'f.yaml', {});
    const file = join(dir, 'readpoint.yaml');
    writeFileSync(file, BASE);
    expect(await checkOnDisk(file, running)).toEqual({
      file,
      valid: true,
      problems: [],
      reload: 'a reload would apply: nothing changed',
    });
    writeFileSync(
      file,
      `${BASE.replace('readers:\n', 'readers:\n  - { id: sim-2, driver: simulator, readPoint: dock-1 }\n')}`,
    );
    expect((await checkOnDisk(file, running)).reload).toBe('a reload would apply: readers added: sim-2');
    writeFileSync(file, BASE.replace('id: gw-1, site', 'id: gw-2, site'));
    expect((await checkOnDisk(file, running)).reload).toBe(
      'a reload would be refused: gateway changed, which needs a restart',
    );
    writeFileSync(file, BASE.replace('readPoint: dock-1 }', 'readPoint: dock-9 }'));
    const invalid = await checkOnDisk(file, running);
    expect(invalid.valid).toBe(false);
    expect(invalid.problems).toEqual([
      expect.stringMatching(/readPoint: read point "dock-9" is not defined in readPoints/),
    ]);
    expect(invalid.reload).toBeUndefined();
  });
});
