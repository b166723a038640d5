/**
 * readpoint installed as a tool: `npm pack`, then `npm install -g --prefix` of that tarball, then
 * the installed `readpoint` run from a directory outside the repository with no node_modules
 * above it. Needs the build (npm run build); the pack uses it as it is (--ignore-scripts), so
 * the suite's other tests never see dist/ rebuilt under them. Dependencies come from npm's
 * cache that `npm ci` filled (--prefer-offline), from the registry only when missing there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/schemas.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

let work: string;
let packed: { filename: string; files: { path: string }[] };
let bin: string;
let installed: string;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The installed CLI as a technician runs it: by name, from PATH, in a directory of its own. */
function readpoint(args: string[], env: NodeJS.ProcessEnv = {}) {
  const path = [dirname(bin), dirname(process.execPath), '/usr/bin', '/bin'].join(':');
  return run('readpoint', args, work, { HOME: work, PATH: path, ...env });
}

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'daemon', 'cli', 'main.js')))
    throw new Error('no build in dist/: run npm run build first');
  work = realpathSync(mkdtempSync(join(tmpdir(), 'rp-npm-install-')));
  for (let dir = work; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')))
      throw new Error(`${dir}/node_modules would be found by the installed CLI: use a TMPDIR without one`);
  }
  const pack = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repoRoot);
  expect(pack.code, pack.err).toBe(0);
  packed = (JSON.parse(pack.out) as (typeof packed)[])[0]!;
  const prefix = join(work, 'prefix');
  const install = run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      join(work, packed.filename),
    ],
    work,
  );
  expect(install.code, install.err).toBe(0);
  bin = join(prefix, 'bin', 'readpoint');
  installed = join(prefix, 'lib', 'node_modules', 'readpoint');
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the built product, its config examples, contract schemas and docs, and nothing of the tests', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'dist/daemon/cli/main.js',
      'config/example.yaml',
      'config/readpoint.schema.json',
      'daemon/contract/health.schema.json',
      'systemd/install.sh',
      'systemd/readpoint.service',
      'README.md',
      'CHANGELOG.md',
      'docs/commands.md',
      'docs/configuration.md',
      'daemon/console/www/index.html',
      'daemon/console/www/console.js',
    ])
      expect(paths).toContain(needed);
    const outside = paths.filter(
      (p) =>
        !/^(dist\/(daemon|drivers|config)\/|config\/[^/]+\.(yaml|json)$|daemon\/contract\/[^/]+\.json$|daemon\/console\/www\/[^/]+\.(html|js|css)$|systemd\/|docs\/[^/]+\.md$|docs\/images\/[^/]+\.png$)/.test(
          p,
        ) && !['package.json', 'README.md', 'CHANGELOG.md'].includes(p),
    );
    expect(outside).toEqual([]);
    expect(
      paths.filter(
        (p) => p.endsWith('.ts') || p.includes('write-json-schema') || p.includes('write-validators'),
      ),
    ).toEqual([]);
  });
});

describe('npm install -g of the tarball', () => {
  it('puts readpoint on PATH with the package version', () => {
    expect(realpathSync(bin)).toBe(join(realpathSync(installed), 'dist', 'daemon', 'cli', 'main.js'));
    const r = readpoint(['--version']);
    expect(r.err).toBe('');
    expect([r.code, r.out]).toEqual([0, `${manifest.version}\n`]);
  });

  it('carries the configuration validators compiled ahead of time', () => {
    const validators = readFileSync(join(installed, 'dist', 'config', 'validators.js'), 'utf8');
    expect(validators.split('\n')[0]).toBe(
      '// Written by config/write-validators.ts (npm run build) from config/schema.ts: do not edit.',
    );
    expect(validators).toContain('export const PRECOMPILED = true;');
    // tsc's source map was of the module the build replaced: not shipped beside it.
    expect(existsSync(join(installed, 'dist', 'config', 'validators.js.map'))).toBe(false);
  });

  it('installs the production dependencies only', () => {
    expect(existsSync(join(installed, 'node_modules', 'mqtt', 'package.json'))).toBe(true);
    // The console's charts are served from the installed package, never from a CDN.
    expect(existsSync(join(installed, 'node_modules', 'uplot', 'dist', 'uPlot.esm.js'))).toBe(true);
    for (const dev of ['vitest', 'typescript', '@biomejs', 'fast-check'])
      expect(existsSync(join(installed, 'node_modules', dev)), dev).toBe(false);
  });

  it('checks the installed example config', () => {
    const config = join(installed, 'config', 'example.yaml');
    const r = readpoint(['check', '--config', config], { UPLINK_PASSWORD: 'from-env-file' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('valid (5 reader(s), 5 read point(s))');
  });

  it('decodes a GS1 DataMatrix scan', () => {
    const r = readpoint(['decode', ']d2010950600013435221SN0042\\x1d10LOT7']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      scheme: 'sgtin',
      aim: ']d2',
      gtin: '09506000134352',
      serial: 'SN0042',
      lot: 'LOT7',
    });
  });

  it('reads its version from the installed package.json when it runs', () => {
    const file = join(installed, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...pkg, version: '9.8.7-installed' }));
    const r = readpoint(['--version']);
    expect([r.code, r.out]).toEqual([0, '9.8.7-installed\n']);
  });
});
