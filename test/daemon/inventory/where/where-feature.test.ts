import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../config/load.js';
import { topics } from '../../../../daemon/contract/topics.js';
import { decodeText } from '../../../../daemon/identity/decode.js';
import type { ControlHandler } from '../../../../daemon/inventory/control.js';
import type { InventoryDeps, InventoryFeature } from '../../../../daemon/inventory/features.js';
import type { InboundMessage } from '../../../../daemon/inventory/inbound.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import type { EventObserver } from '../../../../daemon/inventory/observers.js';
import { startWhere } from '../../../../daemon/inventory/where/where-feature.js';
import { silentLogger } from '../../../../daemon/log.js';
import type { EventWriter } from '../../../../daemon/read-points.js';
import { MINIMAL_YAML } from '../../../config/helpers.js';
import { whereAnswerErrors, whereQuestionErrors } from '../../../support/schemas.js';

const SCAN = ']d2010950600013435221SN0042\\x1d10LOT7';
const UNIT = 'https://id.gs1.org/01/09506000134352/21/SN0042';
// Ten years: the fixed event times of these tests are never too old to keep.
const WHERE = 'where:\n  maxAgeDays: 3650\n';

interface Reply {
  topic: string;
  payload: unknown;
  correlationData?: Buffer;
}

let dir: string;
let store: InventoryStore;
let feature: InventoryFeature | undefined;
let observers: EventObserver[];
let commands: Map<string, ControlHandler>;
let subscriptions: { filter: string; maxBytes: number; onMessage: (m: InboundMessage) => void }[];
let replies: Reply[];
let replyWaiters: (() => void)[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'where-feature-'));
  store = new InventoryStore(dir);
  await store.open();
  observers = [];
  commands = new Map();
  subscriptions = [];
  replies = [];
  replyWaiters = [];
});

afterEach(async () => {
  await feature?.stop();
  feature = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function deps(whereYaml: string): InventoryDeps {
  const config = parseConfig(`${MINIMAL_YAML}${whereYaml}`, 'f.yaml', {});
  return {
    config,
    topics: topics('readpoint/v1', 's-1', 'gw-1'),
    store,
    inbound: {
      subscribe(filter, options, onMessage) {
        const s = { filter, maxBytes: options.maxBytes, onMessage };
        subscriptions.push(s);
        return () => subscriptions.splice(subscriptions.indexOf(s), 1);
      },
      reply(topic, payload, correlationData) {
        replies.push({
          topic,
          payload: JSON.parse(payload),
          ...(correlationData ? { correlationData } : {}),
        });
        for (const w of replyWaiters.splice(0)) w();
        return true;
      },
    },
    control: {
      register(name, handler) {
        commands.set(name, handler);
      },
    },
    recorder: undefined as never,
    events: { observe: (o: EventObserver) => observers.push(o) } as unknown as EventWriter,
    smoother: undefined as never,
    scanCommands: undefined as never,
    log: silentLogger(),
  };
}

const replied = (n: number) =>
  new Promise<void>((resolve) => {
    const check = () => (replies.length >= n ? resolve() : replyWaiters.push(check));
    check();
  });

function see(scan: string, readPointId: string, seq: number, time: number): string {
  const r = decodeText(scan);
  if (!r.ok) throw new Error(r.reject.message);
  const eventId = `urn:uuid:6f1e0d2c-0000-5000-8000-${String(seq).padStart(12, '0')}`;
  for (const o of observers)
    o.eventNumbered({
      sighting: {
        identity: r.identity,
        readerId: 'scanner-1',
        readPointId,
        firstSeen: time,
        lastSeen: time,
        readCount: 2,
      },
      seq,
      eventId,
      topic: `readpoint/v1/s-1/gw-1/events/${readPointId}`,
    });
  return eventId;
}

const ask = (payload: string, extra: Partial<InboundMessage> = {}) => {
  expect(subscriptions).toHaveLength(1);
  subscriptions[0]!.onMessage({
    topic: 'readpoint/v1/s-1/gw-1/query/where',
    payload: Buffer.from(payload),
    retain: false,
    ...extra,
  });
};

describe('where-is feature', () => {
  it('is off when the config has no where section: no observer, no command, no subscription', async () => {
    feature = await startWhere(deps(''));
    expect(feature).toBeUndefined();
    expect([observers.length, commands.size, subscriptions.length]).toEqual([0, 0, 0]);
  });

  it('answers the CLI command with the last event of each unit, never seen, and bad input', async () => {
    feature = await startWhere(deps(WHERE));
    expect(subscriptions.map((s) => s.filter)).toEqual(['readpoint/v1/s-1/gw-1/query/where']);
    see(SCAN, 'dock-1', 7, Date.UTC(2026, 11, 7, 8, 0, 0, 0));
    const id = see(SCAN, 'dock-2', 9, Date.UTC(2026, 11, 7, 8, 0, 1, 500));
    const results = await commands.get('where.find')!({
      units: [UNIT, SCAN, 'https://id.gs1.org/01/09506000134352/21/NEVER', ']d201095060001343'],
    });
    const seen = {
      found: true,
      unit: UNIT,
      readPoint: 'dock-2',
      reader: 'scanner-1',
      time: '2026-12-07T08:00:01.500Z',
      transition: 'arrival',
      eventID: id,
      sequence: 9,
    };
    expect(results).toEqual([
      { query: UNIT, ...seen },
      { query: SCAN, ...seen },
      {
        query: 'https://id.gs1.org/01/09506000134352/21/NEVER',
        found: false,
        unit: 'https://id.gs1.org/01/09506000134352/21/NEVER',
      },
      {
        query: ']d201095060001343',
        found: false,
        error: { code: expect.any(String), message: expect.any(String) },
      },
    ]);
    await expect(commands.get('where.find')!({ units: 'x' })).rejects.toThrow(/where.find takes/);
    expect(feature?.health?.()).toMatchObject({ sightings: 0, pending: 1, queries: 1, evictions: 0 });
  });

  it('answers a 3.1.1 question on its replyTo and an MQTT 5 one on its response topic with its correlation data', async () => {
    feature = await startWhere(deps(WHERE));
    const id = see('3074257BF7194E4000001A85', 'door-1', 3, Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const question = {
      units: ['urn:epc:id:sgtin:0614141.812345.6789'],
      replyTo: 'readpoint/v1/s-1/gw-1/replies/erp/1',
      correlationId: 'q-1',
    };
    expect(whereQuestionErrors(question)).toEqual([]);
    ask(JSON.stringify(question));
    await replied(1);
    ask(JSON.stringify({ units: [']d20180614141123458216789'] }), {
      responseTopic: 'readpoint/v1/s-1/gw-1/replies/erp/2',
      correlationData: Buffer.from([1, 2, 3]),
    });
    await replied(2);
    const result = {
      found: true,
      unit: 'urn:epc:id:sgtin:0614141.812345.6789',
      readPoint: 'door-1',
      reader: 'scanner-1',
      time: '2026-01-02T03:04:05.006Z',
      transition: 'arrival',
      eventID: id,
      sequence: 3,
    };
    expect(replies[0]).toEqual({
      topic: 'readpoint/v1/s-1/gw-1/replies/erp/1',
      payload: {
        gateway: 'gw-1',
        site: 's-1',
        time: expect.any(String),
        correlationId: 'q-1',
        results: [{ query: question.units[0], ...result }],
      },
    });
    expect(replies[1]).toEqual({
      topic: 'readpoint/v1/s-1/gw-1/replies/erp/2',
      correlationData: Buffer.from([1, 2, 3]),
      payload: {
        gateway: 'gw-1',
        site: 's-1',
        time: expect.any(String),
        results: [{ query: ']d20180614141123458216789', ...result }],
      },
    });
    for (const r of replies) expect(whereAnswerErrors(r.payload)).toEqual([]);
  });

  it('refuses bad questions with a clear error where it can answer, and bounds what it takes', async () => {
    feature = await startWhere(deps(`${WHERE}  maxQueryUnits: 2\n`));
    expect(subscriptions[0]!.maxBytes).toBe(256 * 1024);
    const bad: [string, RegExp][] = [
      ['{"units": [], "replyTo": "r/1"}', /units is not a list of at least one unit/],
      ['{"units": ["a", "b", "c"], "replyTo": "r/2"}', /names 3 units, more than the 2/],
      ['{"units": [7], "replyTo": "r/3"}', /units\[0\] is not a string/],
      ['{"units": ["a"], "replyTo": "r/4", "topic": "x"}', /unknown field "topic"/],
      ['[1]', /not a JSON object/],
    ];
    ask(bad[0]![0]);
    ask(bad[1]![0]);
    ask(bad[2]![0]);
    ask(bad[3]![0]);
    // Not JSON, no reply topic: nothing can be answered.
    ask('not json');
    ask(bad[4]![0], { responseTopic: 'r/5' });
    await replied(5);
    expect(replies.map((r) => r.topic)).toEqual(['r/1', 'r/2', 'r/3', 'r/4', 'r/5']);
    replies.forEach((r, i) => {
      expect(whereAnswerErrors(r.payload)).toEqual([]);
      const error = (r.payload as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('bad-question');
      expect(error.message).toMatch(bad[i]![1]);
    });
    expect(feature?.health?.()).toMatchObject({ refusedQueries: 6, queries: 0 });
  });

  it('keeps the index across a stop and a start, and tells a stopped index nothing', async () => {
    feature = await startWhere(deps(WHERE));
    const id = see(SCAN, 'dock-1', 1, Date.now());
    await feature!.stop();
    see(SCAN, 'dock-3', 2, Date.now());
    feature = await startWhere(deps(WHERE));
    const [result] = (await commands.get('where.find')!({ units: [UNIT] })) as {
      eventID: string;
      readPoint: string;
    }[];
    expect(result).toMatchObject({ found: true, readPoint: 'dock-1', eventID: id });
    expect(feature?.health?.()).toMatchObject({ sightings: 1, pending: 0 });
  });
});
