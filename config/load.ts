/**
 * Loads a configuration file: YAML -> `${ENV}` substitution -> validation against the one schema
 * (config/schema.ts) with defaults filled -> cross-checks -> a frozen `Config`. Every problem is
 * collected and reported at once, each mapped back to the line and column of the YAML.
 */

import type { ErrorObject } from 'ajv';
import cron from 'node-cron';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { plainSerialProblem } from '../daemon/identity/plain-serial.js';
import { escapeUnsafe } from '../daemon/identity/unsafe-text.js';
import { DEFAULT_BUDGET_MB, holdIndexMbFor, trackedUnitsFor } from '../daemon/memory-budget.js';
import { checkBroker } from './broker.js';
import { checkBrokerLimits } from './check-broker-limits.js';
import { checkConsole } from './console-check.js';
import { checkContexts } from './context-check.js';
import { checkCycleCounts } from './cycle-count-check.js';
import { MAX_CONFIG_VALUES, overExpandingAlias, readConfigText } from './limits.js';
import { checkPackStations } from './pack-station-check.js';
import { describeError } from './problems.js';
import { DEFAULT_READER_TOPIC, isMqttReader } from './readers/mqtt-reader-kind.js';
import type { Config, RawConfig } from './schema.js';
import { hideSecrets, secretsIn, withoutUserinfo } from './secrets.js';
import { gatewayTopicOverlap } from './topic-overlap.js';
import { checkUplink } from './uplink-checks.js';
import { validateReader, validateTop } from './validators.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  // A key or value from the file may hold characters that make the line read as other text.
  return escapeUnsafe(`${p.file}:${p.line}:${p.col} ${p.path || '(root)'}: ${p.message}`);
}

type Segment = string | number;

const ALIASES_TOO_MANY = `aliases expand to more than ${MAX_CONFIG_VALUES} values (anchors used within anchors?)`;

export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readConfigText(file);
  } catch (err) {
    throw new ConfigError([
      { file, line: 1, col: 1, path: '', message: `cannot read the file: ${(err as Error).message}` },
    ]);
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = [];
  // Known once the document is read: no message may carry one (config/secrets.ts).
  let secrets: readonly string[] = [];
  const at = (offset: number | undefined, path: string, message: string) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    problems.push({ file, line, col, path, message: hideSecrets(message, secrets) });
  };
  for (const e of doc.errors) {
    // Without prettyErrors the parser leaves linePos unset: the offset is what it always gives.
    const { line, col } = lineCounter.linePos(e.pos[0]);
    const hint = e.code === 'TAB_AS_INDENT' ? ' (indent with spaces)' : '';
    problems.push({
      file,
      line,
      col,
      path: '',
      message: withoutUserinfo(`YAML: ${e.message.split('\n')[0]}${hint}`),
    });
  }
  const alias = overExpandingAlias(doc);
  if (alias) at(alias.range?.[0], pathOf(doc.contents, alias), `YAML: ${ALIASES_TOO_MANY}`);
  if (problems.length > 0) throw new ConfigError(problems);

  substituteEnv(doc.contents as Node | null, env, (node, message) =>
    at(node.range?.[0], pathOf(doc.contents, node), message),
  );

  // overExpandingAlias bounded the expansion, with a position; yaml's own count is another measure.
  const data = (doc.toJS({ maxAliasCount: -1 }) ?? {}) as Record<string, unknown>;
  secrets = secretsIn(data);
  if (typeof data !== 'object' || Array.isArray(data)) {
    at(0, '', 'the configuration must be a mapping of keys (gateway:, readers:, ...)');
    throw new ConfigError(problems);
  }
  const report = (errors: ErrorObject[] | null | undefined, prefix: Segment[]) => {
    for (const d of describeError(errors ?? [], prefix)) {
      const node = nodeAt(doc.contents, d.nodePath, d.keyOfParent);
      at(node?.range?.[0], renderPath(d.path), d.message);
    }
  };
  validateTop(data);
  report(validateTop.errors, []);
  const readers = Array.isArray(data.readers) ? (data.readers as Record<string, unknown>[]) : [];
  readers.forEach((reader, i) => {
    if (typeof reader !== 'object' || reader === null) return;
    const validate = validateReader.get(String(reader.driver));
    if (!validate) {
      const node = nodeAt(doc.contents, ['readers', i, ...(reader.driver === undefined ? [] : ['driver'])]);
      const known = [...validateReader.keys()].join(', ');
      at(
        node?.range?.[0],
        renderPath(['readers', i, 'driver']),
        reader.driver === undefined
          ? `missing required key "driver" (one of: ${known})`
          : `unknown driver ${JSON.stringify(reader.driver)}; drivers: ${known}`,
      );
      return;
    }
    validate(reader);
    report(validate.errors, ['readers', i]);
    // A serial reader is found by its path or by its adapter's USB ids: one of the two.
    if (
      SERIAL_DRIVERS.has(String(reader.driver)) &&
      (reader.path === undefined) === (reader.usb === undefined)
    ) {
      const both = reader.path !== undefined;
      const node = both ? nodeAt(doc.contents, ['readers', i], 'usb') : nodeAt(doc.contents, ['readers', i]);
      at(
        node?.range?.[0],
        renderPath(['readers', i, both ? 'usb' : 'path']),
        both
          ? 'set "path" or "usb", not both'
          : 'missing the device: set "path", or "usb" (the USB ids of its USB-serial adapter)',
      );
    }
  });
  if (problems.length === 0)
    crossCheck(data as unknown as Config, (path, message) =>
      at(nodeAt(doc.contents, path)?.range?.[0], renderPath(path), message),
    );
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ConfigError(problems);
  }
  fillFromBudget(data as unknown as RawConfig);
  return deepFreeze(data) as unknown as Config;
}

/** Settings whose default comes from the memory budget, filled where the file leaves them out. */
function fillFromBudget(config: RawConfig): void {
  // Both objects are there: their schemas default to {} and validation filled them in.
  const budgetMb = config.memory?.budgetMb ?? DEFAULT_BUDGET_MB;
  const smoothing = config.smoothing as { maxTracked?: number };
  smoothing.maxTracked ??= trackedUnitsFor(budgetMb);
  if (config.holds) config.holds.indexMb ??= holdIndexMbFor(budgetMb);
}

/** Drivers of readers on a serial port: found by path or by their USB-serial adapter's ids. */
const SERIAL_DRIVERS: ReadonlySet<string> = new Set(['serial-line', 'thingmagic', 'r2000']);

function crossCheck(config: Config, problem: (path: Segment[], message: string) => void): void {
  const seen = (ids: string[], where: string) => {
    const first = new Map<string, number>();
    ids.forEach((id, i) => {
      if (first.has(id)) problem([where, i, 'id'], `duplicate id "${id}" (also ${where}[${first.get(id)}])`);
      else first.set(id, i);
    });
  };
  seen(
    config.readPoints.map((r) => r.id),
    'readPoints',
  );
  seen(
    config.readers.map((r) => r.id),
    'readers',
  );
  const points = config.readPoints.map((r) => r.id);
  config.readers.forEach((r, i) => {
    if (!points.includes(r.readPoint))
      problem(
        ['readers', i, 'readPoint'],
        `read point "${r.readPoint}" is not defined in readPoints (defined: ${points.join(', ')})`,
      );
    r.format.plainSerial.forEach((p, j) => {
      const wrong = plainSerialProblem(p);
      if (wrong) problem(['readers', i, 'format', 'plainSerial', j, wrong.key], wrong.message);
    });
  });
  checkAntennas(config, problem);
  checkContexts(config, problem);
  checkPackStations(config.readPoints, problem);
  checkNetworkReaders(config, problem);
  checkBrokerLimits(config, problem);
  checkBroker(config, problem);
  checkConsole(config.console, problem);
  checkCycleCounts(config, problem);
  const up = config.uplink;
  if ((up.cert === undefined) !== (up.key === undefined))
    problem(['uplink', up.cert ? 'cert' : 'key'], 'cert and key go together (mutual TLS needs both)');
  checkUplink(up, problem);
  if (up.retry.minMs > up.retry.maxMs)
    problem(['uplink', 'retry', 'minMs'], `must not exceed maxMs (${up.retry.maxMs})`);
  for (const job of ['health', 'summary', 'compaction', 'pruning'] as const) {
    const expression = config.jobs[job];
    if (expression === undefined) continue;
    const verdict = cron.validateDetailed(expression);
    if (!verdict.valid)
      problem(
        ['jobs', job],
        `not a cron expression: ${verdict.errors.map((e) => e.message).join('; ') || 'unreadable'} ` +
          '(5 fields "min hour day month weekday", or 6 with seconds first)',
      );
  }
}

/** Antenna maps name defined read points, zones only at dock doors, and every dock door has both zones. */
function checkAntennas(config: Config, problem: (path: Segment[], message: string) => void): void {
  const points = new Map(config.readPoints.map((p) => [p.id, p]));
  const zones = new Map<string, Set<string>>();
  config.readers.forEach((r, i) => {
    const seen = new Set<number>();
    (r.antennaMap ?? []).forEach((a, j) => {
      const at = ['readers', i, 'antennaMap', j];
      if (seen.has(a.antenna)) problem([...at, 'antenna'], `antenna ${a.antenna} is listed twice`);
      seen.add(a.antenna);
      const id = a.readPoint ?? r.readPoint;
      const point = points.get(id);
      if (a.readPoint !== undefined && !point)
        problem([...at, 'readPoint'], `read point "${id}" is not defined in readPoints`);
      if (a.zone === undefined || !point) return;
      if (!point.direction)
        problem([...at, 'zone'], `read point "${id}" has no direction: a zone means nothing there`);
      if (!zones.has(id)) zones.set(id, new Set());
      zones.get(id)?.add(a.zone);
    });
  });
  config.readPoints.forEach((p, i) => {
    if (!p.direction) return;
    const has = zones.get(p.id) ?? new Set();
    const missing = ['inside', 'outside'].filter((z) => !has.has(z));
    if (missing.length > 0)
      problem(
        ['readPoints', i, 'direction'],
        `a direction needs antennas in both zones; no reader maps an antenna to ${missing.join(' or ')} here ` +
          '(readers[].antennaMap[].zone)',
      );
  });
}

/** Readers that publish over MQTT need the embedded broker, a login of their own and one password. */
function checkNetworkReaders(config: Config, problem: (path: Segment[], message: string) => void): void {
  const users = new Map<string, number>();
  const topics = new Map<string, number>();
  config.readers.forEach((r, i) => {
    if (!isMqttReader(r)) return;
    if (config.broker.enabled === false)
      problem(
        ['readers', i, 'driver'],
        `${r.driver} readers publish into the embedded broker: set broker.enabled to auto or true`,
      );
    if ((r.password === undefined) === (r.passwordFile === undefined))
      problem(['readers', i, 'username'], 'set exactly one of password and passwordFile');
    if (r.username === config.broker.username)
      problem(['readers', i, 'username'], "a reader needs a username of its own, not the broker's");
    const user = users.get(r.username);
    if (user !== undefined) problem(['readers', i, 'username'], `username also used by readers[${user}]`);
    else users.set(r.username, i);
    const topic = r.topic ?? DEFAULT_READER_TOPIC(r.id);
    const overlap = gatewayTopicOverlap(r.id, topic, config);
    if (overlap) problem(['readers', i, 'topic'], overlap);
    const other = topics.get(topic);
    if (other !== undefined) problem(['readers', i, 'topic'], `topic also used by readers[${other}]`);
    else topics.set(topic, i);
  });
}

/** Replaces `${VAR}` / `${VAR:-default}` in string scalars; `$${` stays a literal `${`. */
function substituteEnv(
  root: Node | null,
  env: NodeJS.ProcessEnv,
  problem: (node: Node, message: string) => void,
): void {
  if (!root) return;
  visit(root, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(
        /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
        (whole, name: string, fallback?: string) => {
          if (whole.startsWith('$$')) return whole.slice(1);
          const value = env[name];
          if (value !== undefined && value !== '') return value;
          if (fallback !== undefined) return fallback;
          problem(node, `environment variable ${name} is not set`);
          return whole;
        },
      );
    },
  });
}

/** The node at `path`; with `keyOfParent`, the key node of that entry (for unknown keys). */
function nodeAt(root: unknown, path: Segment[], keyOfParent?: string): Node | undefined {
  let node = root as Node | undefined;
  for (const seg of path) {
    const next = child(node, seg);
    if (!next) return node;
    node = next;
  }
  if (keyOfParent !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === keyOfParent);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return node;
}

function child(node: Node | undefined, seg: Segment): Node | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    return (pair?.value as Node | undefined) ?? (pair?.key as Node | undefined);
  }
  if (isSeq(node) && typeof seg === 'number') return node.items[seg] as Node | undefined;
  return undefined;
}

function pathOf(root: unknown, target: Node): string {
  const walk = (node: unknown, path: Segment[]): Segment[] | undefined => {
    if (node === target) return path;
    if (isMap(node)) {
      for (const p of node.items) {
        const found = walk(p.value, [...path, isScalar(p.key) ? String(p.key.value) : '?']);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const found = walk(node.items[i], [...path, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return renderPath(walk(root, []) ?? []);
}

export function renderPath(path: readonly Segment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
