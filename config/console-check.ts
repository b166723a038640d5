/** Cross-checks of the console section, beyond what the schema (config/console.ts) says. */
import { isLoopback } from './loopback.js';

type Problem = (path: (string | number)[], message: string) => void;

/** Logins whole and unique; no console beyond loopback without one. */
export function checkConsole(
  section:
    | {
        readonly host: string;
        readonly logins?: readonly { username: string; password?: string; passwordFile?: string }[];
      }
    | undefined,
  problem: Problem,
): void {
  if (!section) return;
  const seen = new Map<string, number>();
  (section.logins ?? []).forEach((l, i) => {
    if ((l.password === undefined) === (l.passwordFile === undefined))
      problem(['console', 'logins', i, 'username'], 'set exactly one of password and passwordFile');
    const other = seen.get(l.username);
    if (other !== undefined)
      problem(['console', 'logins', i, 'username'], `username also used by console.logins[${other}]`);
    else seen.set(l.username, i);
  });
  if (isLoopback(section.host) || (section.logins?.length ?? 0) > 0) return;
  problem(
    ['console', 'host'],
    `${section.host} is reachable beyond this host and the console has no login: anyone on the network ` +
      'could watch the reads and the configuration; set console.logins, or console.host: 127.0.0.1 ' +
      '(and an SSH tunnel)',
  );
}
