/**
 * The built CLI and daemon start without the schema's modules (TypeBox) and without Ajv's
 * compiler: the configuration is checked by validators the build compiled ahead of time. Each
 * process runs with a module hook that writes down every module it resolves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';

const run = promisify(execFile);
let dir: string;
let hookOptions: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-start-up-'));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  appendFileSync(process.env.RP_MODULES_FILE, found.url + '\\n');
  return found;
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
  );
  hookOptions = `--import ${pathToFileURL(register).href}`;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Modules of the schema or of Ajv's compiler among those a process resolved. */
function compileTime(modules: string[]): string[] {
  return modules.filter((url) => /@sinclair\/typebox|\/ajv\/dist\/(ajv|core|compile)\b/.test(url));
}

function resolved(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

function env(file: string): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: hookOptions, RP_MODULES_FILE: file };
}

/** Whether the process resolved the built module at `path` (relative to the checkout). */
const has = (modules: string[], path: string) => modules.some((url) => url.endsWith(`/${path}`));

describe('start-up', () => {
  it('the daemon, then readpoint check, outbox stats and decode, load no schema compiler', async () => {
    const config = writeE2eConfig({
      dir,
      readers: '  - id: sim-1\n    driver: simulator\n    readPoint: conveyor-1\n',
    });
    const daemonFile = join(dir, 'modules-daemon.txt');
    const daemon = startDaemon(config, env(daemonFile));
    try {
      await daemon.waitForLog((l) => l.msg === 'readpoint running');
    } finally {
      expect(await daemon.kill('SIGTERM')).toBe(0);
    }
    const daemonModules = resolved(daemonFile);
    // The hook saw the daemon's own modules: its validators, its embedded broker.
    expect(has(daemonModules, 'dist/config/validators.js')).toBe(true);
    expect(has(daemonModules, 'dist/daemon/broker/embedded-broker.js')).toBe(true);
    expect(compileTime(daemonModules)).toEqual([]);

    const commands = [
      ['check', '--config', config],
      ['outbox', 'stats', '--config', config],
      ['decode', '--reader-format', 'gs1', '0109506000134352211234'],
    ];
    for (const [i, args] of commands.entries()) {
      const file = join(dir, `modules-${i}.txt`);
      const { stdout } = await run(process.execPath, [cliPath, ...args], { env: env(file) });
      expect(stdout.length).toBeGreaterThan(0);
      const modules = resolved(file);
      expect(has(modules, 'dist/daemon/cli/main.js')).toBe(true);
      expect(has(modules, 'dist/config/validators.js'), args.join(' ')).toBe(args[0] !== 'decode');
      expect(compileTime(modules), args.join(' ')).toEqual([]);
    }
  });
});
