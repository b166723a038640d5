/**
 * The web console's settings (`console`; absent = no console) and the rule that keeps it from
 * being shown to the floor network without a login: beyond loopback, at least one login.
 */
import { Type as T } from '@sinclair/typebox';
import { isLoopback } from './loopback.js';
import { PasswordFields, Pattern, Strict } from './reader-base.js';

type Problem = (path: (string | number)[], message: string) => void;

export const ConsoleLogin = Strict(
  {
    username: T.String({
      minLength: 1,
      maxLength: 128,
      ...Pattern('^[^:]+$', 'not a console username: a colon ends the username in HTTP Basic'),
      description: 'Its username (no colon).',
    }),
    ...PasswordFields('at start'),
  },
  'A console login (HTTP Basic; use it over loopback, an SSH tunnel or a network you trust).',
);

export const ConsoleSection = Strict(
  {
    host: T.String({
      default: '127.0.0.1',
      description: 'Listen address; beyond loopback (0.0.0.0, a LAN address) a login is required.',
    }),
    port: T.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8484,
      description: 'TCP port; 0 picks a free one.',
    }),
    logins: T.Optional(
      T.Array(ConsoleLogin, {
        maxItems: 64,
        description:
          'Who may look at the console; when set, every page asks for one. Required when host is beyond loopback.',
      }),
    ),
    maxClients: T.Integer({
      minimum: 1,
      maximum: 64,
      default: 8,
      description:
        'Browsers watching the live feed at once; one more is refused (503). Connections in all: four times this.',
    }),
    historyMinutes: T.Integer({
      minimum: 1,
      maximum: 60,
      default: 5,
      description: 'Minutes of reads per antenna and RSSI histograms the RFID tuning page shows.',
    }),
  },
  'A read-only web console for technicians (readers, live reads, RFID tuning, outbox, config); absent = off. ' +
    'Sampled beside the read path: a slow browser is dropped, never slows the reads.',
);

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
