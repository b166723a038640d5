/**
 * Files the config names are read with a bound, like the config itself: a password file or a
 * TLS file that is huge, or a device that never ends (`/dev/zero`), is refused with a message
 * naming it, never read into memory until the process dies.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../daemon/broker/secrets.js';
import { readTlsFiles } from '../../daemon/uplink/client-options.js';
import { cliPath } from '../support/daemon.js';
import { freePort } from '../support/mosquitto.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-secret-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files named by the config are read with a bound', () => {
  it('refuses a password file that never ends, or holds more than a password', async () => {
    await expect(secret({ passwordFile: '/dev/zero' })).rejects.toThrow(
      'cannot read passwordFile /dev/zero: it is more than 4096 bytes, more than the 4096 bytes it may be',
    );
    const big = join(dir, 'big.password');
    writeFileSync(big, 'x'.repeat(5000));
    await expect(secret({ passwordFile: big })).rejects.toThrow(
      `cannot read passwordFile ${big}: it is 5000 bytes, more than the 4096 bytes it may be`,
    );
    const fits = join(dir, 'fits.password');
    writeFileSync(fits, `${'y'.repeat(4095)}\n`);
    expect((await secret({ passwordFile: fits })).toString()).toBe('y'.repeat(4095));
  });

  it('refuses a TLS file that never ends, naming the option', async () => {
    await expect(readTlsFiles({ ca: '/dev/zero' })).rejects.toThrow(
      'uplink.ca: cannot read /dev/zero: it is more than 1048576 bytes, more than the 1048576 bytes it may be',
    );
  });

  it('makes run stop with one clear line when a reader password file never ends', async () => {
    const config = join(dir, 'readpoint.yaml');
    writeFileSync(
      config,
      `gateway: { id: gw-1, site: site-1 }
dataDir: ${join(dir, 'data')}
broker: { host: 127.0.0.1, port: ${await freePort()} }
readPoints: [{ id: dock-1, bizStep: receiving }]
readers:
  - { id: dock-r700, driver: impinj-r700, readPoint: dock-1, username: dock-r700, passwordFile: /dev/zero }
`,
    );
    const run = spawnSync(process.execPath, ['--max-old-space-size=96', cliPath, 'run', '--config', config], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(2);
    const fatal = run.stdout
      .split('\n')
      .filter((l) => l.includes('"level":60'))
      .map((l) => JSON.parse(l).msg as string);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(
      'reader dock-r700: cannot read passwordFile /dev/zero: it is more than 4096 bytes',
    );
  });
});
