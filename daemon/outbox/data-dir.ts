/**
 * The data directory's failures that no retry can mend, each with its own exit code (EXIT in
 * daemon/cli/exit-codes.ts) so systemd does not restart the daemon in a loop, and a message that
 * names the path and the fix. Also: the outbox's files stay private to the daemon's user.
 *
 * The outbox lives in `<dataDir>/outbox`; messages name the data directory, which is what an
 * operator configured and owns.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/** Files 0600, directories 0700: events are the business's records, and nobody else's to read. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;
/** The umask of every command that writes into the data directory. */
export const PRIVATE_UMASK = 0o077;

/**
 * Another process holds the outbox's LevelDB lock (a second readpoint on the same data directory,
 * or any program with it open). Retrying will not help until that process lets go.
 */
export class DataDirInUseError extends Error {
  constructor(readonly dir: string) {
    super(`the data directory ${dir} is in use by another readpoint (its LevelDB lock is held)`);
    this.name = 'DataDirInUseError';
  }
}

/** The daemon's user may not create or write something in the data directory. */
export class DataDirDeniedError extends Error {
  constructor(
    readonly dir: string,
    readonly path: string,
  ) {
    const who = runningAs();
    super(
      `cannot write the outbox in ${dir}: permission denied on ${path} (readpoint runs as ${who.label}). ` +
        `Give the data directory to that user (chown -R ${who.name}: ${dirname(dir)}), ` +
        'or run readpoint as the user that owns it (systemd: User=readpoint)',
    );
    this.name = 'DataDirDeniedError';
  }
}

/** The data directory is on a file system mounted read-only. */
export class DataDirReadOnlyError extends Error {
  constructor(
    readonly dir: string,
    readonly path: string,
  ) {
    const dataDir = dirname(dir);
    super(
      `cannot write the outbox in ${dir}: ${path} is on a read-only file system. ` +
        `Mount it read-write again (mount -o remount,rw), or set dataDir to a writable place; ` +
        `what waits in it can be read meanwhile: readpoint outbox stats --data-dir ${dataDir}`,
    );
    this.name = 'DataDirReadOnlyError';
  }
}

/** Run as root, the data directory is one that others could tamper with (data-dir-guard.ts). */
export class DataDirUnsafeError extends Error {
  constructor(
    readonly dataDir: string,
    readonly reason: string,
  ) {
    super(`refusing the data directory ${dataDir} as root: ${reason}`);
    this.name = 'DataDirUnsafeError';
  }
}

/** `nobody, uid 65534` and the name to chown to (the uid when the user has no name). */
function runningAs(): { label: string; name: string } {
  const uid = process.getuid?.() ?? -1;
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = undefined; // a uid without a passwd entry
  }
  return { label: name ? `${name}, uid ${uid}` : `uid ${uid}`, name: name ?? String(uid) };
}

/**
 * The data-directory error an open failure of the outbox in `dir` stands for, or undefined when
 * it is none of them. Node errors carry an errno code; LevelDB's (as `cause`) a code and a text
 * such as `IO error: /x/LOCK: Permission denied`; only LEVEL_LOCKED is a lock held elsewhere.
 */
export function dataDirFailure(dir: string, err: unknown): Error | undefined {
  for (let e = err as ErrnoLike | undefined, depth = 0; e && depth < 4; e = e.cause, depth++) {
    if (
      e instanceof DataDirInUseError ||
      e instanceof DataDirDeniedError ||
      e instanceof DataDirReadOnlyError
    )
      return e;
    if (e.code === 'LEVEL_LOCKED') return new DataDirInUseError(dir);
    const text = typeof e.message === 'string' ? e.message : '';
    const path = e.path ?? /^IO error: (?:lock )?(.+?): [^:]+$/.exec(text)?.[1] ?? dir;
    if (e.code === 'EACCES' || e.code === 'EPERM' || /: Permission denied$/.test(text))
      return new DataDirDeniedError(dir, path);
    if (e.code === 'EROFS' || /: Read-only file system$/.test(text))
      return new DataDirReadOnlyError(dir, path);
  }
  return undefined;
}

interface ErrnoLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly path?: string;
  readonly cause?: ErrnoLike;
}

/**
 * Creates the outbox directory (and a missing data directory) 0700, and makes what is in it
 * private: 0600 files, 0700 directories. LevelDB creates its files honouring the umask, so the
 * commands that write here also set PRIVATE_UMASK; this mends what an earlier umask or a hand
 * left open. Symbolic links are not followed, and what belongs to another user is left alone
 * (only its owner or root could change it; LevelDB then says whether it can use it).
 */
export async function keepPrivate(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
    await tighten(dir, PRIVATE_DIR);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) await tighten(join(dir, entry.name), PRIVATE_FILE);
      else if (entry.isDirectory()) await tighten(join(dir, entry.name), PRIVATE_DIR);
    }
  } catch (err) {
    throw dataDirFailure(dir, err) ?? err;
  }
}

async function tighten(path: string, mode: number): Promise<void> {
  const st = await lstat(path);
  const uid = process.getuid?.();
  if (st.isSymbolicLink() || (uid !== 0 && st.uid !== uid) || (st.mode & 0o777) === mode) return;
  await chmod(path, mode);
}
