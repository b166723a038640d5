/**
 * systemd/install.sh and uninstall.sh into a scratch root (as root, as the scripts require):
 * the npm package installed with npm install -g --prefix (dependencies from npm's cache that
 * `npm ci` filled), real systemd-sysusers and systemd-tmpfiles on that root, the installed unit
 * checked by systemd-analyze, the installed code run on the installed config. Needs the build
 * (npm run build): the tarball is packed from it as it is.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/schemas.js';

const PREFIX = '/srv/gateway';
/** Where npm puts the package under the prefix. */
const PKG = `${PREFIX}/lib/node_modules/readpoint`;
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const install = (root: string, ...args: string[]) =>
  run('bash', [join(repoRoot, 'systemd', 'install.sh'), '--root', root, ...args]);
const uninstall = (root: string, ...args: string[]) =>
  run('bash', [join(repoRoot, 'systemd', 'uninstall.sh'), '--root', root, ...args]);

const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);
const owner = (path: string) => `${statSync(path).uid}:${statSync(path).gid}`;
const read = (path: string) => readFileSync(path, 'utf8');

/** A root with Debian's base accounts: root, and dialout as GID 20. */
function scratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'rp-install-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\ndialout:x:20:\n');
  return root;
}

describe('systemd/install.sh and uninstall.sh', () => {
  let root: string;
  let packed: string;
  let first: ReturnType<typeof run>;
  const at = (path: string) => join(root, path);

  beforeAll(() => {
    root = scratchRoot();
    packed = mkdtempSync(join(tmpdir(), 'rp-packed-'));
    const pack = run('npm', [
      'pack',
      '--ignore-scripts',
      '--pack-destination',
      packed,
      '--loglevel=error',
      repoRoot,
    ]);
    expect(pack.code, pack.err).toBe(0);
    // A prefix a technician made as themselves, open to their group: the install takes it over.
    mkdirSync(at(PREFIX), { recursive: true });
    chownSync(at(PREFIX), 4242, 4242);
    chmodSync(at(PREFIX), 0o775);
    first = install(root, '--prefix', PREFIX, join(packed, pack.out.trim()));
  }, 180_000);

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(packed, { recursive: true, force: true });
  });

  it('installs the code, the unit with its paths, the udev rules and the system files', () => {
    expect(first.err).not.toContain('install.sh:');
    expect(first.code).toBe(0);
    expect(first.out).toContain('Next:');
    expect(first.out).toContain('systemctl enable --now readpoint');

    expect(first.out).toContain(`readpoint ${version} in ${PKG}`);
    expect(existsSync(at(`${PKG}/dist/daemon/cli/main.js`))).toBe(true);
    expect(existsSync(at(`${PKG}/dist/test`))).toBe(false);
    expect(existsSync(at(`${PKG}/test`))).toBe(false);
    expect(existsSync(at(`${PKG}/config/readpoint.schema.json`))).toBe(true);
    expect(existsSync(at(`${PKG}/daemon/contract/event.schema.json`))).toBe(true);
    expect(existsSync(at(`${PKG}/systemd/uninstall.sh`))).toBe(true);
    expect(existsSync(at(`${PKG}/node_modules/mqtt/package.json`))).toBe(true);
    expect(existsSync(at(`${PKG}/node_modules/vitest`))).toBe(false);
    expect(JSON.parse(read(at(`${PKG}/package.json`))).version).toBe(version);
    expect(readlinkSync(at(`${PREFIX}/bin/readpoint`))).toBe(
      '../lib/node_modules/readpoint/dist/daemon/cli/main.js',
    );

    const unit = read(at('etc/systemd/system/readpoint.service')).split('\n');
    const cli = `${PKG}/dist/daemon/cli/main.js`;
    const node = run('sh', ['-c', 'command -v node']).out.trim();
    expect(unit).toContain(
      `ExecStart=${node} --max-semi-space-size=16 ${cli} run --config /etc/readpoint/readpoint.yaml`,
    );
    expect(unit).toContain(`ExecStartPre=${node} ${cli} check --config /etc/readpoint/readpoint.yaml`);
    expect(unit.join('\n')).not.toContain('/opt/readpoint');
    expect(mode(at('etc/systemd/system/readpoint.service'))).toBe('644');

    expect(read(at('etc/udev/rules.d/61-readpoint.rules'))).toBe(
      read(join(repoRoot, 'systemd', '61-readpoint.rules')),
    );
    expect(read(at('etc/modules-load.d/readpoint.conf'))).toMatch(/^usbserial\ncdc_acm\n$/m);
    expect(readlinkSync(at('usr/local/bin/readpoint'))).toBe(`${PREFIX}/bin/readpoint`);
  });

  it('leaves every installed file owned by root and writable by root only', () => {
    const entries: string[] = [];
    const walk = (path: string) => {
      entries.push(path);
      const st = lstatSync(path);
      if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(at(PREFIX));
    expect(entries.length).toBeGreaterThan(1000); // the package and its production dependencies
    const foreign = entries.filter((p) => lstatSync(p).uid !== 0 || lstatSync(p).gid !== 0);
    expect(foreign.map((p) => `${p} ${lstatSync(p).uid}:${lstatSync(p).gid}`)).toEqual([]);
    const writable = entries.filter(
      (p) => !lstatSync(p).isSymbolicLink() && (lstatSync(p).mode & 0o022) !== 0,
    );
    expect(writable.map((p) => `${p} ${mode(p)}`)).toEqual([]);
    expect(mode(at(PREFIX))).toBe('755');
    for (const file of [
      'etc/systemd/system/readpoint.service',
      'etc/udev/rules.d/61-readpoint.rules',
      'etc/sysusers.d/readpoint.conf',
      'etc/tmpfiles.d/readpoint.conf',
      'etc/modules-load.d/readpoint.conf',
      'usr/local/bin/readpoint',
      'etc/readpoint/readpoint.yaml',
      'etc/readpoint/readpoint.env',
    ]) {
      const st = lstatSync(at(file));
      expect([file, st.uid, st.isSymbolicLink() ? 0 : st.mode & 0o022]).toEqual([file, 0, 0]);
    }
  });

  it('creates the readpoint user in the dialout group, keeping dialout as it was', () => {
    const passwd = read(at('etc/passwd'));
    const user = /^readpoint:x:(\d+):(\d+):readpoint gateway:\/var\/lib\/readpoint:(\S+)$/m.exec(passwd);
    expect(user, passwd).not.toBeNull();
    expect(user![3]).toBe('/usr/sbin/nologin');
    expect(Number(user![1])).toBeLessThan(1000);
    const group = read(at('etc/group'));
    expect(group).toMatch(/^dialout:x:20:readpoint$/m);
    expect(group).toContain(`readpoint:x:${user![2]}:`);
  });

  it('gives the config to root with read access for the readpoint group, and the data dir to readpoint', () => {
    const [uid, gid] = /^readpoint:x:(\d+):(\d+):/m.exec(read(at('etc/passwd')))!.slice(1);
    expect([mode(at('etc/readpoint')), owner(at('etc/readpoint'))]).toEqual(['750', `0:${gid}`]);
    const config = at('etc/readpoint/readpoint.yaml');
    expect([mode(config), owner(config)]).toEqual(['640', `0:${gid}`]);
    expect(read(config)).toBe(read(join(repoRoot, 'config', 'example.yaml')));
    expect([mode(at('etc/readpoint/readpoint.env')), owner(at('etc/readpoint/readpoint.env'))]).toEqual([
      '600',
      '0:0',
    ]);
    expect([mode(at('var/lib/readpoint')), owner(at('var/lib/readpoint'))]).toEqual(['750', `${uid}:${gid}`]);
  });

  it('installs a unit that systemd-analyze verifies and rates 2.0 or lower', () => {
    const unitPath = at('etc/systemd/system/readpoint.service');
    const verify = run('systemd-analyze', ['verify', '--man=no', unitPath]);
    expect(`${verify.out}${verify.err}`.split('\n').filter((l) => l.includes('readpoint'))).toEqual([]);

    const security = run('systemd-analyze', [
      'security',
      '--offline=true',
      `--root=${root}`,
      'readpoint.service',
    ]);
    const overall = /Overall exposure level for readpoint\.service: (\d+\.\d)/.exec(security.out);
    expect(overall, security.out + security.err).not.toBeNull();
    expect(Number(overall![1])).toBeLessThanOrEqual(2.0);
    const threshold = ['security', '--offline=true', `--root=${root}`, 'readpoint.service'];
    expect(run('systemd-analyze', [...threshold, '--threshold=20']).code).toBe(0);
    expect(
      run('systemd-analyze', [...threshold, `--threshold=${Math.round(Number(overall![1]) * 10) - 1}`]).code,
    ).not.toBe(0);
  });

  it('runs the installed code on the installed config once its secret is set', () => {
    const cli = at(`${PREFIX}/bin/readpoint`);
    const config = at('etc/readpoint/readpoint.yaml');
    const env = { ...process.env, UPLINK_PASSWORD: undefined };
    const missing = run(process.execPath, [cli, 'check', '--config', config], env);
    expect(missing.code).toBe(1);
    expect(missing.out + missing.err).toContain(
      'uplink.password: environment variable UPLINK_PASSWORD is not set',
    );
    const ok = run(process.execPath, [cli, 'check', '--config', config], {
      ...env,
      UPLINK_PASSWORD: 'from-env-file',
    });
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('valid (5 reader(s), 5 read point(s))');
  });

  it('can run again from the checkout (packing its build), offline: it keeps a changed config and secrets, and updates the rest', () => {
    const config = at('etc/readpoint/readpoint.yaml');
    writeFileSync(config, `${read(config)}# changed by the technician\n`);
    writeFileSync(at('etc/readpoint/readpoint.env'), 'UPLINK_PASSWORD=s3cret\n');
    writeFileSync(at(`${PKG}/dist/stale-from-an-old-version.js`), '');
    // An install of the earlier layout: the package's files right in the prefix.
    mkdirSync(at(`${PREFIX}/dist/daemon`), { recursive: true });
    writeFileSync(at(`${PREFIX}/package.json`), '{\n  "name": "readpoint",\n  "version": "0.0.9"\n}\n');
    mkdirSync(at(`${PREFIX}/node_modules/mqtt`), { recursive: true });
    // --offline: the first install filled npm's cache with all it needs.
    const again = install(root, '--prefix', PREFIX, '--offline');
    expect(again.err).not.toContain('install.sh:');
    expect(again.code).toBe(0);
    expect(again.out).toContain('/etc/readpoint/readpoint.yaml kept (it exists)');
    expect(read(config)).toContain('# changed by the technician');
    expect(read(at('etc/readpoint/readpoint.env'))).toBe('UPLINK_PASSWORD=s3cret\n');
    expect(existsSync(at(`${PKG}/dist/stale-from-an-old-version.js`))).toBe(false);
    expect(again.out).toContain(`the earlier install's files in ${PREFIX} (dist, node_modules, ...) removed`);
    for (const gone of ['dist', 'package.json', 'node_modules'])
      expect(existsSync(at(`${PREFIX}/${gone}`)), gone).toBe(false);
    expect(readdirSync(at(PREFIX)).sort()).toEqual(['bin', 'lib']);
    expect(existsSync(at(`${PKG}/node_modules/mqtt/package.json`))).toBe(true);
    expect(read(at('etc/passwd')).match(/^readpoint:/gm)).toHaveLength(1);
    expect(read(at('etc/group')).match(/^dialout:x:20:readpoint$/gm)).toHaveLength(1);
  }, 120_000);

  it('uninstalls everything but the config and the outbox, then --purge removes those too', () => {
    writeFileSync(at('var/lib/readpoint/000001.log'), 'an undelivered event');
    const out = uninstall(root);
    expect(out.err).toBe('');
    expect(out.code).toBe(0);
    expect(out.out).toContain(`prefix ${PREFIX}`);
    expect(out.out).toContain('--purge');
    for (const gone of [
      PREFIX,
      'etc/systemd/system/readpoint.service',
      'etc/udev/rules.d/61-readpoint.rules',
      'etc/sysusers.d/readpoint.conf',
      'etc/tmpfiles.d/readpoint.conf',
      'etc/modules-load.d/readpoint.conf',
    ]) {
      expect(existsSync(at(gone)), gone).toBe(false);
    }
    expect(() => lstatSync(at('usr/local/bin/readpoint'))).toThrow();
    expect(read(at('etc/readpoint/readpoint.yaml'))).toContain('# changed by the technician');
    expect(read(at('var/lib/readpoint/000001.log'))).toBe('an undelivered event');

    const purge = uninstall(root, '--purge');
    expect(purge.code).toBe(0);
    expect(existsSync(at('etc/readpoint'))).toBe(false);
    expect(existsSync(at('var/lib/readpoint'))).toBe(false);
    expect(read(at('etc/passwd'))).toMatch(/^readpoint:/m);
  });
});

describe('install.sh refuses with a reason and what to do', () => {
  it('needs root', () => {
    const r = run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'bash',
      join(repoRoot, 'systemd', 'install.sh'),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('install.sh: must run as root');
  });

  it('needs a build, and does not install into the checkout itself', () => {
    const checkout = mkdtempSync(join(tmpdir(), 'rp-checkout-'));
    const root = scratchRoot();
    try {
      cpSync(join(repoRoot, 'systemd'), join(checkout, 'systemd'), { recursive: true });
      const noBuild = run('bash', [join(checkout, 'systemd', 'install.sh'), '--root', root]);
      expect(noBuild.code).toBe(1);
      expect(noBuild.err).toContain('run npm ci && npm run build first');

      // (in the scratch checkout: were the guard missing, only that copy would be overwritten)
      const self = run('bash', [join(checkout, 'systemd', 'install.sh'), '--prefix', checkout]);
      expect(self.code).toBe(1);
      expect(self.err).toContain('--prefix is this checkout itself');

      mkdirSync(join(root, 'etc', 'systemd'));
      const foreign = install(root, '--prefix', '/etc');
      expect(foreign.code).toBe(1);
      expect(foreign.err).toContain('--prefix /etc holds other files and no readpoint install');
      expect(existsSync(join(root, 'etc', 'systemd'))).toBe(true);

      const missing = install(root, join(checkout, 'readpoint-9.9.9.tgz'));
      expect(missing.code).toBe(1);
      expect(missing.err).toContain(`install.sh: no such tarball: ${join(checkout, 'readpoint-9.9.9.tgz')}`);

      const spaced = install(root, '--prefix', '/opt/read point');
      expect(spaced.code).toBe(1);
      expect(spaced.err).toContain('--prefix must be an absolute path');
      expect(readFileSync(join(root, 'etc', 'passwd'), 'utf8')).not.toContain('readpoint');
    } finally {
      rmSync(checkout, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    }
  });
});
