/** Exit codes of `readpoint run` and the usage error of every command (documented in docs/commands.md). */
export const EXIT = { ok: 0, badConfig: 1, fatal: 2, unclean: 3, dataDirInUse: 4, usage: 64 } as const;
