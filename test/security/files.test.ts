/**
 * The data directory as someone on the box meets it: real users (setpriv), real modes, a real
 * read-only mount, the real CLI (dist/daemon/cli/main.js) as a child process. Runs as root (the
 * suite does): it changes users, owners and mounts.
 *
 * - Only a LevelDB lock held by another process is "in use" (exit 4); a directory the daemon's
 *   user may not write (77) and a read-only file system (73) say so, with the path and the fix.
 * - As root, a data directory that others can write or that holds symbolic links is refused (78)
 *   before anything is opened: root following a planted link would overwrite any file.
 * - Whatever the umask, the outbox's files are 0600 and its directories 0700; an export is 0600.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';
import { streamingReader, waitForHealth } from '../support/faults.js';
import { freePort } from '../support/mosquitto.js';
import { repoRoot } from '../support/schemas.js';

const FATAL = 60;
/** nobody: a real user that owns nothing here, standing in for the daemon's own user. */
const NOBODY = 65534;
const asNobody = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
const umask000 = ['sh', '-c', 'umask 000 && exec "$@"', 'sh'];

let root: string;
let deadUrl: string;
const daemons: DaemonProcess[] = [];
const holders: ChildProcess[] = [];
const mounts: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rp-files-'));
  chmodSync(root, 0o755); // the other user reads its config in here
  deadUrl = `mqtt://127.0.0.1:${await freePort()}`; // nobody listens: events stay in the outbox
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  for (const h of holders) h.kill('SIGKILL');
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(root, { recursive: true, force: true });
});

function caseDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

function config(dir: string, o: { dataDir?: string; readsPerSecond?: number; limit?: number } = {}): string {
  const file = writeE2eConfig({
    dir,
    uplinkUrl: deadUrl,
    readers: streamingReader({ readsPerSecond: o.readsPerSecond ?? 500, limit: o.limit ?? 50 }),
  });
  if (o.dataDir !== undefined)
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^dataDir: .*$/m, `dataDir: ${o.dataDir}`));
  chmodSync(file, 0o644);
  return file;
}

function daemon(file: string, launcher: readonly string[] = []): DaemonProcess {
  const d = startDaemon(file, {}, launcher);
  daemons.push(d);
  return d;
}

/**
 * Runs the daemon until it exits or opens its outbox, whichever comes first: a daemon that should
 * have been refused and opened its outbox instead is stopped, and its code is 'opened'.
 */
async function refusal(d: DaemonProcess): Promise<{ code: number | string; fatal: string[] }> {
  const opened = d
    .waitForLog((l) => l.msg === 'outbox open', 20_000)
    .then(
      () => 'opened' as const,
      () => 'exited' as const,
    );
  const first = await Promise.race([d.exited.then(() => 'exited' as const), opened]);
  if (first === 'opened') await d.kill('SIGKILL');
  const code = first === 'opened' ? 'opened' : await d.exited;
  return { code, fatal: d.logs.filter((l) => l.level === FATAL).map((l) => l.msg) };
}

/** Runs the daemon until its outbox holds `events`, then stops it (SIGTERM, exit 0). */
async function fill(file: string, events: number, launcher: readonly string[] = []): Promise<void> {
  const d = daemon(file, launcher);
  await waitForHealth(d, (h) => h.outbox.depth === events && h.outbox.lastSeq === events, 20_000);
  expect(await d.kill('SIGTERM')).toBe(0);
}

/** Runs the CLI to its end (through `launcher` when given). */
function cli(
  args: string[],
  launcher: readonly string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const command = [...launcher, process.execPath, cliPath, ...args];
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const modeOf = (path: string) => (lstatSync(path).mode & 0o7777).toString(8);

/** Every entry under `dir` (itself included) with its mode, e.g. `outbox/CURRENT 600`. */
function modes(dir: string, prefix = ''): string[] {
  const out = [`${prefix || '.'} ${modeOf(dir)}`];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...modes(join(dir, e.name), rel));
    else out.push(`${rel} ${modeOf(join(dir, e.name))}`);
  }
  return out;
}

const expectPrivate = (dataDir: string) => {
  const all = modes(dataDir);
  expect(all.filter((m) => !/ (600|700)$/.test(m))).toEqual([]);
  expect(all.length).toBeGreaterThan(4);
};

describe('only a real lock is "in use"', () => {
  it('a foreign program holding the LevelDB lock: exit 4, in use', async () => {
    const dir = caseDir('foreign-lock');
    const file = config(dir);
    const outboxDir = join(dir, 'data', 'outbox');
    mkdirSync(outboxDir, { recursive: true, mode: 0o700 });
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Level } from 'level';
         await new Level(process.argv[1]).open();
         console.log('holding');
         process.stdin.resume();`,
        outboxDir,
      ],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    holders.push(holder);
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: holder.stdout! }).once('line', resolve),
    );
    expect(line).toBe('holding');

    const { code, fatal } = await refusal(daemon(file));
    expect(code).toBe(4);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(outboxDir);
    expect(fatal[0]).toMatch(/in use by another/);
    holder.kill('SIGKILL');
  });

  it("a data directory root owns, run as another user: exit 77, permission denied and the fix, not 'in use'", async () => {
    const dir = caseDir('denied');
    const file = config(dir);
    const outboxDir = join(dir, 'data', 'outbox');
    mkdirSync(outboxDir, { recursive: true, mode: 0o755 });
    chmodSync(join(dir, 'data'), 0o755);
    chmodSync(outboxDir, 0o755);

    const { code, fatal } = await refusal(daemon(file, ['setpriv', ...asNobody]));
    expect(code).toBe(77);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).not.toMatch(/in use/);
    expect(fatal[0]).toContain(`permission denied on ${join(outboxDir, 'LOCK')}`);
    expect(fatal[0]).toContain('uid 65534');
    expect(fatal[0]).toContain(`chown -R nobody: ${join(dir, 'data')}`);
    expect(readdirSync(outboxDir)).toEqual([]);
  });

  it('a data directory on a read-only mount: exit 73, read-only, and outbox stats still reads it', async () => {
    const dir = caseDir('read-only');
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { encoding: 'utf8' });
    expect(mount.status, mount.stderr).toBe(0);
    mounts.push(mnt);
    const file = config(dir, { dataDir: join(mnt, 'data'), limit: 20 });
    await fill(file, 20);
    const remount = spawnSync('mount', ['-o', 'remount,ro', mnt], { encoding: 'utf8' });
    expect(remount.status, remount.stderr).toBe(0);

    const { code, fatal } = await refusal(daemon(file));
    expect(code).toBe(73);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).not.toMatch(/in use/);
    expect(fatal[0]).toContain(`${join(mnt, 'data', 'outbox')}/LOCK is on a read-only file system`);
    expect(fatal[0]).toContain(`readpoint outbox stats --data-dir ${join(mnt, 'data')}`);
    const stats = await cli(['outbox', 'stats', '--data-dir', join(mnt, 'data'), '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout).depth).toBe(20);
  });
});

describe('as root, a data directory others could tamper with is refused', () => {
  it('writable by others: exit 78 and nothing created in it', async () => {
    const dir = caseDir('world-writable');
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777);
    const { code, fatal } = await refusal(daemon(config(dir)));
    expect(code).toBe(78);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(`${dataDir} is writable by group or others (mode 777)`);
    expect(fatal[0]).toContain(`chmod 700 ${dataDir}`);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('owned by another user: exit 78, naming the owner', async () => {
    const dir = caseDir('foreign-owner');
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, NOBODY, NOBODY);
    const { code, fatal } = await refusal(daemon(config(dir)));
    expect(code).toBe(78);
    expect(fatal[0]).toContain(`${dataDir} is owned by uid 65534, not root`);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('a directory on the way to it writable by its group: exit 78, naming that directory', async () => {
    const dir = caseDir('group-writable-parent');
    const parent = join(dir, 'shared');
    mkdirSync(parent);
    chmodSync(parent, 0o775);
    const { code, fatal } = await refusal(daemon(config(dir, { dataDir: join(parent, 'data') })));
    expect(code).toBe(78);
    expect(fatal[0]).toContain(
      `${parent}, on the way to the data directory, is writable by group or others (mode 775)`,
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it('the data directory itself a symbolic link: exit 78', async () => {
    const dir = caseDir('linked');
    mkdirSync(join(dir, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'data'));
    const { code, fatal } = await refusal(daemon(config(dir)));
    expect(code).toBe(78);
    expect(fatal[0]).toContain(`${join(dir, 'data')} is a symbolic link`);
    expect(readdirSync(join(dir, 'elsewhere'))).toEqual([]);
  });

  it('links planted in the outbox for the next files LevelDB writes: exit 78, the target untouched; outbox stats refuses too', async () => {
    const dir = caseDir('planted');
    const file = config(dir, { limit: 20 });
    await fill(file, 20);
    const outboxDir = join(dir, 'data', 'outbox');
    const victim = join(dir, 'precious');
    writeFileSync(victim, 'precious bytes\n');
    const numbers = readdirSync(outboxDir)
      .map((n) => /^(?:MANIFEST-)?(\d+)(?:\.log|\.ldb)?$/.exec(n)?.[1])
      .filter((n) => n !== undefined)
      .map(Number);
    const next = Math.max(...numbers) + 1;
    const planted: string[] = [];
    for (let n = next; n < next + 8; n++)
      for (const name of [`${String(n).padStart(6, '0')}.log`, `${String(n).padStart(6, '0')}.ldb`]) {
        symlinkSync(victim, join(outboxDir, name));
        planted.push(name);
      }

    const firstLink = join(outboxDir, [...planted].sort()[0]!);
    const { code, fatal } = await refusal(daemon(file));
    expect(code).toBe(78);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(`${firstLink} is a symbolic link`);
    expect(readFileSync(victim, 'utf8')).toBe('precious bytes\n');
    expect(modeOf(victim)).toBe('644');

    const stats = await cli(['outbox', 'stats', '--data-dir', join(dir, 'data')]);
    expect(stats.code).toBe(1);
    expect(stats.stderr).toContain(`${firstLink} is a symbolic link`);
    expect(readFileSync(victim, 'utf8')).toBe('precious bytes\n');
  });
});

describe('private files whatever the umask', () => {
  it('umask 000: the outbox is 0600/0700 when created, when reopened with loosened modes, and for the files LevelDB writes after', async () => {
    const dir = caseDir('umask');
    const dataDir = join(dir, 'data');
    const file = config(dir, { limit: 30 });
    await fill(file, 30, umask000);
    expectPrivate(dataDir);

    // Loosened by hand (or by an older version): tightened at the next start. (A data directory
    // that exists is left as it is: it may be a shared one; the outbox in it is readpoint's own.)
    const outboxDir = join(dataDir, 'outbox');
    chmodSync(outboxDir, 0o755);
    for (const name of readdirSync(outboxDir)) chmodSync(join(outboxDir, name), 0o644);
    const before = new Set(readdirSync(outboxDir));

    // The reopen turns the log into a table and starts a new log and manifest: new files.
    const again = daemon(file, umask000);
    await waitForHealth(again, (h) => h.outbox.depth === 30, 20_000);
    const created = readdirSync(outboxDir).filter((n) => !before.has(n));
    expect(created.filter((n) => /\.(ldb|log)$/.test(n)).length).toBeGreaterThanOrEqual(2);
    expectPrivate(dataDir);
    expect(await again.kill('SIGTERM')).toBe(0);
    expectPrivate(dataDir);

    // An export is as private as the outbox it comes from.
    const out = join(dir, 'export.ndjson');
    const exported = await cli(['outbox', 'export', '--data-dir', dataDir, '--output', out], umask000);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(30);
    expect(exported.stderr).toContain(`exported ${lines.length} events, seq 1..${lines.length}`);
    expect(modeOf(out)).toBe('600');
    expect(statSync(out).uid).toBe(0);
  });
});
