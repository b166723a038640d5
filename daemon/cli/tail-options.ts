/**
 * `readpoint tail`'s command line, checked: which topics to subscribe to, which messages to keep,
 * and how to print them. Pure: every mistake comes back as one sentence that says what to do.
 */
import { withoutUserinfo } from '../../config/secrets.js';

/** The tail command's options as commander parses them. */
export interface TailCliOptions {
  /** The broker; or `config`, whose gateway is watched (tail-config.ts fills the url in). */
  url?: string;
  config?: string;
  /** A raw topic filter; overrides the narrowing options below. */
  topic?: string;
  prefix?: string;
  site?: string;
  gateway?: string;
  /** Read point ids: the option repeated, each possibly a comma list. */
  readPoint?: string[];
  reader?: string[];
  rejects?: boolean;
  health?: boolean;
  count?: number;
  withTopic?: boolean;
  json?: boolean;
  dedup?: boolean;
  dedupWindow?: string;
  overflowTopic?: string;
  /** A persistent session's name: clean=false under the client id `readpoint-tail-<name>`. */
  session?: string;
}

export interface TailOptions {
  /** The events filters subscribed to (one per read point, or one with `+`). */
  readonly filters: readonly string[];
  /** Also `.../rejects` and `.../health` of the same site and gateway, when asked for. */
  readonly rejectsFilter?: string;
  readonly healthFilter?: string;
  /** Keep only messages whose reader is one of these (client-side: the topic does not name it). */
  readonly readers?: readonly string[];
  /** Keep only rejects of these read points (events are narrowed by their topic). */
  readonly readPoints?: readonly string[];
  /** Exit after this many messages printed. */
  readonly count?: number;
  /** Print the topic before each line. */
  readonly topic?: boolean;
  /** Print each payload as it came (one JSON document per line) instead of a readable line. */
  readonly json?: boolean;
  /**
   * Consume as an upstream system must: drop duplicates by eventID, report gaps by sequence
   * number, read overflow notices on `overflowFilter` (see tail-dedup.ts).
   */
  readonly dedup?: { window: number; json: boolean; overflowFilter: string };
  /**
   * A persistent session (clean=false) under this fixed client id: the broker keeps what is
   * published while tail is away and delivers it when tail comes back under the same id.
   */
  readonly clientId?: string;
}

export const DEFAULT_PREFIX = 'readpoint/v1';
const SEGMENT = /^[A-Za-z0-9._-]{1,64}$/;
/** Session names: what every broker takes in a client id (Mosquitto, RabbitMQ, aedes, EMQX). */
const SESSION = /^[A-Za-z0-9_-]{1,64}$/;
export const SESSION_CLIENT_ID_PREFIX = 'readpoint-tail-';

/** The overflow filter beside an events filter: `<...>/events/<x>` -> `<...>/overflow`. */
export function overflowFilterFor(eventsFilter: string): string | undefined {
  return besideEvents(eventsFilter, 'overflow');
}

/** `<...>/events/<x>` -> `<...>/<what>`: the gateway's other topics beside an events filter. */
function besideEvents(eventsFilter: string, what: string): string | undefined {
  const m = /^(.+)\/events\/[^/]+$/.exec(eventsFilter);
  return m ? `${m[1]}/${what}` : undefined;
}

const URL_SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

function checkUrl(url: string): string | undefined {
  let scheme: string | undefined;
  try {
    scheme = new URL(url).protocol;
  } catch {
    scheme = undefined;
  }
  if (scheme && URL_SCHEMES.includes(scheme)) return undefined;
  return `--url ${JSON.stringify(withoutUserinfo(url))} is not a broker URL: write it as mqtt://HOST:PORT, e.g. mqtt://127.0.0.1:1883 (mqtts:// for TLS)`;
}

/** `--read-point a,b --read-point c` (commander collects the repeats) -> `['a', 'b', 'c']`. */
function list(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).flatMap((v) => v.split(',').map((x) => x.trim())))];
}

/** A checked id, or why it cannot be one. `+` is allowed where `wildcard` (site, gateway). */
function checkSegment(value: string, option: string, wildcard: boolean): string | undefined {
  if (wildcard && value === '+') return undefined;
  if (SEGMENT.test(value)) return undefined;
  const shown = JSON.stringify(value);
  return `${option} ${shown} is not a valid id: use the id as written in the gateway's config (letters, digits, . _ -, 1 to 64 characters; no + # / or spaces)`;
}

function checkTopicFilter(filter: string, option: string): string | undefined {
  if (filter.length === 0 || filter.includes('\0'))
    return `${option} must be a non-empty MQTT topic filter without NUL`;
  const parts = filter.split('/');
  const bad = parts.findIndex(
    (p, i) => (p.includes('#') && (p !== '#' || i !== parts.length - 1)) || (p.includes('+') && p !== '+'),
  );
  if (bad >= 0)
    return `${option} ${JSON.stringify(filter)} is not a valid MQTT topic filter: + must be a whole level and # the last level`;
  return undefined;
}

/** The command line's options checked, or what is wrong with them. */
export function tailOptions(o: TailCliOptions): TailOptions | string {
  const readPoints = list(o.readPoint);
  const readers = list(o.reader);
  const narrowing = [
    ...(o.prefix !== undefined ? ['--prefix'] : []),
    ...(o.site !== undefined ? ['--site'] : []),
    ...(o.gateway !== undefined ? ['--gateway'] : []),
    ...(readPoints.length > 0 ? ['--read-point'] : []),
  ];
  if (o.topic !== undefined && narrowing.length > 0)
    return `--topic is the whole filter: leave out ${narrowing.join(', ')} or --topic`;
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const site = o.site ?? '+';
  const gateway = o.gateway ?? '+';
  const problem =
    checkUrl(o.url ?? '') ??
    prefix
      .split('/')
      .map((p) => checkSegment(p, '--prefix part', false))
      .find(Boolean) ??
    checkSegment(site, '--site', true) ??
    checkSegment(gateway, '--gateway', true) ??
    readPoints.map((r) => checkSegment(r, '--read-point', false)).find(Boolean) ??
    readers.map((r) => checkSegment(r, '--reader', false)).find(Boolean) ??
    (o.topic !== undefined ? checkTopicFilter(o.topic, '--topic') : undefined) ??
    (o.overflowTopic !== undefined ? checkTopicFilter(o.overflowTopic, '--overflow-topic') : undefined);
  if (problem) return problem;
  if (o.count !== undefined && !(Number.isSafeInteger(o.count) && o.count > 0))
    return `--count must be a positive whole number, got ${o.count}`;
  if (o.session !== undefined && !SESSION.test(o.session))
    return `--session ${JSON.stringify(o.session)} is not a session name: letters, digits, _ and -, 1 to 64 characters (it becomes the client id ${SESSION_CLIENT_ID_PREFIX}NAME)`;

  const base = `${prefix}/${site}/${gateway}`;
  const filters =
    o.topic !== undefined
      ? [o.topic]
      : readPoints.length > 0
        ? readPoints.map((r) => `${base}/events/${r}`)
        : [`${base}/events/+`];
  const beside = (what: string) => (o.topic !== undefined ? besideEvents(o.topic, what) : `${base}/${what}`);
  const common = {
    filters,
    ...(o.count !== undefined ? { count: o.count } : {}),
    ...(o.withTopic ? { topic: true } : {}),
    ...(o.session !== undefined ? { clientId: `${SESSION_CLIENT_ID_PREFIX}${o.session}` } : {}),
  };

  if (o.dedup) {
    if (readPoints.length > 0 || readers.length > 0)
      return '--read-point and --reader do not go with --dedup: sequence numbers count every event of a gateway, so a filtered stream would show false gaps (narrow with --site and --gateway)';
    if (o.rejects || o.health) return '--rejects and --health do not go with --dedup';
    const window = Number(o.dedupWindow ?? 100_000);
    if (!Number.isSafeInteger(window) || window < 1)
      return `--dedup-window must be a positive integer, got ${o.dedupWindow}`;
    const overflowFilter = o.overflowTopic ?? overflowFilterFor(filters[0]!);
    if (!overflowFilter) return `cannot derive the overflow topic from ${filters[0]}: give --overflow-topic`;
    return { ...common, dedup: { window, json: o.json === true, overflowFilter } };
  }
  if (o.dedupWindow !== undefined || o.overflowTopic !== undefined)
    return '--dedup-window and --overflow-topic go with --dedup';
  const rejectsFilter = o.rejects ? beside('rejects') : undefined;
  const healthFilter = o.health ? beside('health') : undefined;
  if ((o.rejects && !rejectsFilter) || (o.health && !healthFilter))
    return `cannot derive the rejects or health topic from --topic ${o.topic}: use --site and --gateway instead`;
  return {
    ...common,
    ...(rejectsFilter ? { rejectsFilter } : {}),
    ...(healthFilter ? { healthFilter } : {}),
    ...(readers.length > 0 ? { readers } : {}),
    ...(readPoints.length > 0 ? { readPoints } : {}),
    ...(o.json ? { json: true } : {}),
  };
}
