/**
 * The daemon's logs: JSON lines (pino) on stdout, one child logger per component. Secrets never
 * reach them: fields that hold passwords, tokens or private keys are replaced by `[redacted]`
 * wherever a component puts them (top level, in a config section, in client options), and
 * credentials in URLs (`mqtt://user:password@host`) are cut from URL fields, messages and errors.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino, stdSerializers } from 'pino';
import { withoutUserinfo } from '../config/secrets.js';

export type { Logger };

export const CENSOR = '[redacted]';

/** Field names that hold a secret, wherever they are. */
const SECRET_NAMES = ['password', 'passwd', 'secret', 'token', 'authorization', 'privateKey', 'passphrase'];
/** Objects whose `key` is a TLS private key (elsewhere `key` is harmless, e.g. an outbox key). */
const KEY_HOLDERS = ['uplink', 'tls', 'options', 'clientOptions'];
/** Field names that hold a URL: logged without its user info. */
const URL_NAMES = ['url', 'upstream', 'brokerUrl', 'href'];

/** The redaction paths (pino's `redact.paths`): up to three levels down, and each reader of a list. */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_NAMES.flatMap((n) => [
    n,
    `*.${n}`,
    `*.*.${n}`,
    `*.*.*.${n}`,
    `readers[*].${n}`,
    `*.readers[*].${n}`,
  ]),
  ...KEY_HOLDERS.flatMap((h) => [`${h}.key`, `*.${h}.key`]),
  ...URL_NAMES.flatMap((n) => [n, `*.${n}`, `*.*.${n}`]),
];

/** `scheme://user:password@host` -> `scheme://[redacted]@host`, for every URL in `text`. */
export function redactUrlCredentials(text: string): string {
  return withoutUserinfo(text, CENSOR);
}

function censor(value: unknown, path: string[]): unknown {
  const name = path.at(-1) ?? '';
  if (URL_NAMES.includes(name)) return typeof value === 'string' ? redactUrlCredentials(value) : value;
  return CENSOR;
}

/**
 * An error as pino serialises it, with URL credentials cut from every text it carries. `input`
 * (what `new URL()` could not parse) goes whole: a URL too malformed to find its user info in.
 */
function errSerializer(err: unknown): unknown {
  // Logged as `err: error.message` in places: a string is redacted as any string, not parsed.
  if (typeof err === 'string') return redactUrlCredentials(err);
  if (typeof err !== 'object' || err === null) return err;
  const out = stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if ('input' in out) out.input = CENSOR;
  for (const [field, value] of Object.entries(out))
    if (typeof value === 'string') out[field] = redactUrlCredentials(value);
  return out;
}

/**
 * The root logger: JSON lines on `destination` (stdout by default; rotation is journald's job),
 * with `time` in ISO 8601, secrets redacted as described above.
 */
export function rootLogger(level = 'info', destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor },
    serializers: { err: errSerializer },
    hooks: {
      // A message string can carry a URL too (`cannot reach mqtt://u:p@host`).
      logMethod(args, method) {
        const cleaned = args.map((a) => (typeof a === 'string' ? redactUrlCredentials(a) : a));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nowhere, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
