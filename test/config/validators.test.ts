/**
 * The build's validators (dist/config/validators.js, compiled ahead of time by
 * config/write-validators.ts) check exactly as the ones compiled at import
 * (config/validators.ts): the same verdict, the same errors with their schema and value (which
 * config/problems.ts turns into sentences), the same defaults filled in, on a full configuration
 * and on every mistake made of it one key at a time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as atImport from '../../config/validators.js';
import { repoRoot } from '../support/schemas.js';

type Validators = typeof atImport;
let built: Validators;

beforeAll(async () => {
  built = (await import(pathToFileURL(join(repoRoot, 'dist', 'config', 'validators.js')).href)) as Validators;
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** The example configuration with every optional section and every driver added. */
function fullConfig(): { [key: string]: Json } {
  const config = parse(readFileSync(join(repoRoot, 'config', 'example.yaml'), 'utf8')) as {
    [key: string]: Json;
  };
  config.uplink = { ...(config.uplink as object), password: 'secret-1' };
  config.memory = { budgetMb: 96 };
  config.rejects = { burst: 10, perSecond: 2, logIntervalS: 30 };
  config.holds = { upstream: false, maxEntries: 5000, indexMb: 4, alertIntervalS: 10 };
  config.where = { maxUnits: 5000, maxAgeDays: 7, flushMs: 200, maxQueryUnits: 50 };
  config.console = {
    host: '0.0.0.0',
    port: 8484,
    logins: [{ username: 'tech', passwordFile: '/etc/readpoint/console.secret' }],
  };
  config.broker = { ...(config.broker as object), limits: { maxConnections: 20, publishRate: 1000 } };
  const points = config.readPoints as { [key: string]: Json }[];
  points[1]!.context = {
    scanners: ['conveyor-3-scanner'],
    asnPattern: 'ASN[0-9]{6}',
    asnParty: '4012345000009',
  };
  points[3]!.mode = 'pack';
  points[3]!.pack = { closeCode: 'CLOSE', removeCode: 'REMOVE' };
  const readers = config.readers as { [key: string]: Json }[];
  readers.push(
    { id: 'sim-1', driver: 'simulator', readPoint: 'staging-a', readsPerSecond: 50, door: true },
    { id: 'gate-fx', driver: 'zebra-fx', readPoint: 'yard-gate', username: 'gate-fx', password: 'pw-1' },
  );
  return config;
}

const clone = <T>(v: T): T => structuredClone(v);

/** Every path in `value` that holds a key or an item, deepest last. */
function paths(value: Json, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [
    [...at, k],
    ...paths((value as Record<string | number, Json>)[k] as Json, [...at, k]),
  ]);
}

function parentOf(root: Json, path: Path): Record<string | number, Json> {
  let node = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  return node;
}

/** The configuration with one mistake made at `path`: each way a technician gets a key wrong. */
function mistakes(config: Json, path: Path): Json[] {
  const key = path.at(-1)!;
  const wrong: Json[] = [null, 'x', -1, 1.5, 1e12, true, [], {}, ''];
  const made = wrong.map((v) => {
    const c = clone(config);
    parentOf(c, path)[key] = v;
    return c;
  });
  const removed = clone(config);
  const parent = parentOf(removed, path);
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
  const unknown = clone(config);
  const at = parentOf(unknown, [...path, 'x']);
  if (at[key] !== null && typeof at[key] === 'object' && !Array.isArray(at[key]))
    (at[key] as Record<string, Json>).colour = 'red';
  return [...made, removed, unknown];
}

/** What a validator says of `data`, and the data as it leaves it (defaults filled in). */
function verdict(validate: ValidateFunction, data: Json) {
  const copy = clone(data);
  const ok = validate(copy);
  const errors = (validate.errors ?? []).map((e: ErrorObject) => ({
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    keyword: e.keyword,
    params: e.params,
    message: e.message,
    schema: e.schema,
    parentSchema: e.parentSchema,
    data: e.data,
  }));
  return { ok, errors, data: copy };
}

/** Both sets of validators on one configuration: the top level, then each reader by its driver. */
function both(config: Json) {
  const readers = (config as { readers?: Json }).readers;
  const each = Array.isArray(readers) ? readers : [];
  const of = (v: Validators) => ({
    top: verdict(v.validateTop, config),
    readers: each.map((r) => {
      const driver = String((r as { driver?: Json } | null)?.driver);
      const validate = v.validateReader.get(driver);
      return validate ? verdict(validate, r) : `no driver ${driver}`;
    }),
  });
  return { atImport: of(atImport), built: of(built) };
}

describe("the build's precompiled validators", () => {
  it('are the build output, and know the same drivers', () => {
    expect(built.PRECOMPILED).toBe(true);
    expect(atImport.PRECOMPILED).toBe(false);
    expect([...built.validateReader.keys()]).toEqual([...atImport.validateReader.keys()]);
    expect([...built.validateReader.keys()]).toEqual([
      'serial-line',
      'simulator',
      'r2000',
      'thingmagic',
      'usb-hid',
      'impinj-r700',
      'zebra-fx',
    ]);
  });

  it('accept the full configuration and fill the same defaults', () => {
    const { atImport: a, built: b } = both(fullConfig());
    expect(a.top.errors).toEqual([]);
    expect(a.readers.map((r) => typeof r === 'object' && r.ok)).toEqual(Array(a.readers.length).fill(true));
    expect(b).toEqual(a);
    // Defaults the file leaves out are there: the where index's own, a reader's baud rate.
    expect((b.top.data as { outbox: { sync: string } }).outbox.sync).toBe('batch');
    expect(b.readers[2]).toMatchObject({ data: { driver: 'r2000', baudRate: 115200, roundTimeoutMs: 3000 } });
  });

  it('say the same of every mistake made one key at a time', () => {
    const config = fullConfig();
    const all = paths(config);
    let cases = 0;
    let refused = 0;
    for (const path of all)
      for (const wrong of mistakes(config, path)) {
        const { atImport: a, built: b } = both(wrong);
        expect(b, `at ${path.join('.')}`).toEqual(a);
        cases++;
        if (!a.top.ok || a.readers.some((r) => typeof r !== 'object' || !r.ok)) refused++;
      }
    expect(all.length).toBeGreaterThan(150);
    expect(cases).toBe(all.length * 11);
    // Most of the mistakes are refused; the rest are values the schema takes (1e12 bytes, say).
    expect(refused).toBeGreaterThan(cases / 2);
  });

  it('fill the embedded broker limits alike, and refuse the same', () => {
    for (const given of [
      {},
      { maxConnections: 5 },
      { maxConnections: 0 },
      { publishRate: 'fast' },
      { other: 1 },
    ])
      expect(verdict(built.validateBrokerLimits, given as Json)).toEqual(
        verdict(atImport.validateBrokerLimits, given as Json),
      );
    expect(verdict(built.validateBrokerLimits, {}).data).toMatchObject({
      maxConnections: 100,
      publishRate: 5000,
    });
  });
});
