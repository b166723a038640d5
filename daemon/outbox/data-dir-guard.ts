/**
 * Run as root, the data directory must be one that only root can change. Whoever can write in it
 * (or in a directory on the way to it) can put a symbolic link where LevelDB will write its next
 * file (`000042.log`), and root would then truncate and overwrite the link's target: any file on
 * the system. So, before anything is opened:
 *
 * - every directory on the way to the data directory, the data directory itself and every
 *   directory in it is owned by root (for the read-only `outbox` commands, which are meant to be
 *   run as root on the daemon user's directory, the data directory and what is in it may belong
 *   to another user);
 * - none of them is writable by group or others, but for a directory on the way with the sticky
 *   bit (/tmp): there nobody can move or replace another user's entry;
 * - the data directory is no symbolic link, and holds none (at any depth). A link on the way to
 *   it is allowed when root owns it (its directory is checked like any other); the directories
 *   it leads to are checked too.
 *
 * A part of the path that does not exist yet is created by the daemon, as root's and 0700.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { DataDirUnsafeError, PRIVATE_DIR } from './data-dir.js';

export interface GuardOptions {
  /** The data directory and what is in it may belong to another user (read-only commands). */
  readonly foreignOwnerAllowed?: boolean;
}

/** Rejects with DataDirUnsafeError when root should not use `dataDir`; does nothing for other users. */
export async function refuseUnsafeDataDir(dataDir: string, options: GuardOptions = {}): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const dir = resolve(dataDir);
  const refuse = (reason: string): never => {
    throw new DataDirUnsafeError(dir, reason);
  };
  const st = await lstatOrNone(dir);
  if (st?.isSymbolicLink())
    refuse(`${dir} is a symbolic link: set dataDir to the directory it leads to, or make it a directory`);
  await checkWay(dirname(dir), refuse);
  if (!st) return;
  checkDir(dir, st, false, options, refuse);
  await checkInside(dir, options, refuse);
}

/** The directories from / to `dir`, as written and as resolved. */
async function checkWay(dir: string, refuse: (reason: string) => never): Promise<void> {
  const ways = [dir];
  const real = await realpath(dir).catch(() => undefined);
  if (real !== undefined && real !== dir) ways.push(real);
  for (const way of ways) {
    const parts = way.split(sep).filter(Boolean);
    for (let i = 0; i <= parts.length; i++) {
      const path = sep + parts.slice(0, i).join(sep);
      const st = await lstatOrNone(path);
      if (!st) break; // created by the daemon, as root's
      if (st.isSymbolicLink()) {
        if (st.uid !== 0)
          refuse(
            `${path}, on the way to the data directory, is a symbolic link owned by uid ${st.uid}, not root`,
          );
        continue;
      }
      checkDir(path, st, true, {}, refuse);
    }
  }
}

function checkDir(
  path: string,
  st: Stats,
  onTheWay: boolean,
  options: GuardOptions,
  refuse: (reason: string) => never,
): void {
  const mode = (st.mode & 0o7777).toString(8);
  if (onTheWay) {
    const what = `${path}, on the way to the data directory,`;
    if (st.uid !== 0)
      refuse(
        `${what} is owned by uid ${st.uid}, not root: put the data directory elsewhere (as /var/lib/readpoint), or run readpoint as its own user (systemd: User=readpoint)`,
      );
    // Sticky (/tmp): others may add entries, but not move or replace root's.
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
      refuse(
        `${what} is writable by group or others (mode ${mode}): chmod go-w ${path}, or put the data directory elsewhere`,
      );
    return;
  }
  if (st.uid !== 0 && !options.foreignOwnerAllowed)
    refuse(
      `${path} is owned by uid ${st.uid}, not root: run readpoint as that user (systemd: User=readpoint), or give it to root (chown -R root: ${path})`,
    );
  if ((st.mode & 0o022) !== 0)
    refuse(`${path} is writable by group or others (mode ${mode}): chmod ${PRIVATE_DIR.toString(8)} ${path}`);
}

/** Every entry in the data directory, at any depth, in name order (so the message is stable). */
async function checkInside(
  dir: string,
  options: GuardOptions,
  refuse: (reason: string) => never,
): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) refuse(`${path} is a symbolic link: remove it (the outbox holds none)`);
    if (!entry.isDirectory()) continue;
    const st = await lstat(path);
    checkDir(path, st, false, options, refuse);
    await checkInside(path, options, refuse);
  }
}

function lstatOrNone(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}
