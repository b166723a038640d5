/**
 * Exit codes of `readpoint run` and the usage error of every command (documented in
 * docs/commands.md). The data directory's own failures take sysexits(3) numbers, clear of the
 * small codes `readpoint status` uses; a restart cannot mend any of them.
 */
export const EXIT = {
  ok: 0,
  badConfig: 1,
  fatal: 2,
  unclean: 3,
  /** Another process holds the outbox's LevelDB lock. */
  dataDirInUse: 4,
  usage: 64,
  /** The data directory is on a read-only file system (EX_CANTCREAT). */
  dataDirReadOnly: 73,
  /** The daemon's user may not write the data directory (EX_NOPERM). */
  dataDirDenied: 77,
  /** Run as root, the data directory is one others could tamper with (EX_CONFIG). */
  dataDirUnsafe: 78,
} as const;
