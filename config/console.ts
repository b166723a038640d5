/**
 * The web console's settings (`console`; absent = no console). The rule that keeps it from being
 * shown to the floor network without a login (beyond loopback, at least one) is config/console-check.ts.
 */
import { Type as T } from '@sinclair/typebox';
import { PasswordFields, Pattern, Strict } from './reader-base.js';

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
