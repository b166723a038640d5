/**
 * The memory limit systemd gives the daemon's unit (`MemoryMax=`, with its drop-ins), for
 * `readpoint check` run by hand: a shell is not in the unit's cgroup, so the process's own limit
 * does not tell. Asked of systemd itself (`systemctl show`), which has merged the unit file and
 * every drop-in; no answer (no systemd, no such unit, no limit) is no limit to check against.
 */
import { execFile } from 'node:child_process';

/** The unit systemd/install.sh installs. */
export const DAEMON_UNIT = 'readpoint.service';

/** systemd's answer, bytes; undefined for `infinity`, an empty answer or anything unexpected. */
export function parseMemoryMax(value: string): number | undefined {
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text)) return undefined;
  const bytes = Number(text);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `MemoryMax=` of `unit` as systemd has it loaded, bytes; undefined when there is none to tell. */
export function unitMemoryMax(unit = DAEMON_UNIT): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(
      'systemctl',
      ['show', '--property=MemoryMax', '--value', unit],
      { timeout: 5000, maxBuffer: 4096, env: { ...process.env, SYSTEMD_PAGER: '', LC_ALL: 'C' } },
      // No systemctl, no systemd running (a container), a unit not installed: nothing to check.
      (err, stdout) => resolve(err ? undefined : parseMemoryMax(stdout)),
    );
  });
}
