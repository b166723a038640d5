/**
 * Node-RED for the PTY bench, installed on demand with npm into a cache directory and reused from
 * there: it is large and only the bench needs it, so it is no dependency of the project. The
 * directory is $BENCH_CACHE, else node_modules/.cache/readpoint-bench in this checkout; each
 * pinned pair of versions has a folder of its own, marked complete only after npm succeeded.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_RED_VERSION, SERIALPORT_NODE_VERSION } from './node-red-setup.js';

export interface NodeRedInstall {
  /** The folder npm installed into. */
  readonly dir: string;
  /** node-red's red.js, run with `node`. */
  readonly redJs: string;
  /** name -> version of the packages that matter to the figures, as installed. */
  readonly versions: Readonly<Record<string, string>>;
}

/** The packages whose versions the bench reports. */
const REPORTED = ['node-red', 'node-red-node-serialport', 'serialport', '@serialport/bindings-cpp', 'mqtt'];
export const INSTALL_MARK = 'readpoint-bench-installed.json';

/** The folder for the pinned versions under `cacheRoot` (default: the checkout's node_modules/.cache). */
export function nodeRedDir(cacheRoot: string | undefined): string {
  const root =
    cacheRoot && cacheRoot !== ''
      ? cacheRoot
      : fileURLToPath(new URL('../../../node_modules/.cache/readpoint-bench', import.meta.url));
  return join(root, `node-red-${NODE_RED_VERSION}-serialport-${SERIALPORT_NODE_VERSION}`);
}

/** npm's arguments for installing the pinned versions into `dir`. */
export function npmInstallArgs(dir: string): string[] {
  return [
    'install',
    '--no-audit',
    '--no-fund',
    '--no-save',
    '--no-package-lock',
    '--prefix',
    dir,
    `node-red@${NODE_RED_VERSION}`,
    `node-red-node-serialport@${SERIALPORT_NODE_VERSION}`,
  ];
}

/** The reason in npm's output: its first error lines (code and message come first), else its last lines. */
export function npmReason(lines: readonly string[]): string {
  const errors = lines.filter((l) => /^npm (error|ERR!)/.test(l));
  return (errors.length > 0 ? errors.slice(0, 4) : lines.slice(-5)).join(' / ');
}

/** The versions installed in `dir` (node_modules/<name>/package.json); a missing one is absent. */
export function installedVersions(dir: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of REPORTED) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file))
      versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return versions;
}

/** The install in `dir` if it is complete and holds the pinned versions, else undefined. */
export function completeInstall(dir: string): NodeRedInstall | undefined {
  if (!existsSync(join(dir, INSTALL_MARK))) return undefined;
  const versions = installedVersions(dir);
  if (versions['node-red'] !== NODE_RED_VERSION) return undefined;
  if (versions['node-red-node-serialport'] !== SERIALPORT_NODE_VERSION) return undefined;
  return { dir, redJs: join(dir, 'node_modules', 'node-red', 'red.js'), versions };
}

/**
 * The pinned Node-RED in `dir`, installed first unless a complete install is already there. npm's
 * output goes to stderr (the table is on stdout); a failed install rejects with npm's last lines.
 */
export async function installNodeRed(dir: string): Promise<NodeRedInstall> {
  const there = completeInstall(dir);
  if (there) return there;
  mkdirSync(dir, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = npmInstallArgs(dir);
  process.stderr.write(`bench: installing Node-RED: ${npm} ${args.join(' ')}\n`);
  const said: string[] = [];
  const child = spawn(npm, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    process.stderr.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') said.push(line);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('exit', (c, signal) => resolve(c ?? signal ?? 'unknown'));
  });
  if (code !== 0)
    throw new Error(`installing Node-RED with npm failed (${code}) into ${dir}: ${npmReason(said)}`);
  writeFileSync(join(dir, INSTALL_MARK), `${JSON.stringify(installedVersions(dir))}\n`);
  const done = completeInstall(dir);
  if (!done) throw new Error(`npm succeeded but ${dir} does not hold the pinned versions`);
  return done;
}
