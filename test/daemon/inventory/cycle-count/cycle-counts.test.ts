/**
 * Cycle counts through their start function, on real parts: the smoother's open passes, events
 * written through the event writer (which the counts observe), the inventory store and the
 * outbox in LevelDB on disk. What a count records is read back from the outbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../config/load.js';
import { topics } from '../../../../daemon/contract/topics.js';
import { decodeRead } from '../../../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../../../daemon/identity/epc-encode.js';
import type { CycleCounts } from '../../../../daemon/inventory/cycle-count/cycle-counts.js';
import { type InventoryFeature, startInventory } from '../../../../daemon/inventory/features.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import { ScanCommands } from '../../../../daemon/inventory/scan-commands.js';
import { silentLogger } from '../../../../daemon/log.js';
import { LevelOutbox } from '../../../../daemon/outbox/level-outbox.js';
import { EventWriter, readPointRuntimes } from '../../../../daemon/read-points.js';
import { Recorder } from '../../../../daemon/recorder.js';
import { Smoother } from '../../../../daemon/smoothing/smoother.js';
import { countErrors, gs1Errors } from '../../../support/schemas.js';

const FORMAT = { data: 'aim' as const, plainSerial: [] };
const tag = (n: number) => `urn:epc:id:sgtin:0614141.812345.${n}`;
const T = topics('readpoint/v1', 's-1', 'gw-1');

const configText = (counts: string) => `gateway: { id: gw-1, site: s-1 }
readPoints:
  - { id: shelf, suppressionS: 5 }
  - { id: pack, suppressionS: 1 }
readers:
  - { id: rfid, driver: serial-line, path: /dev/null, readPoint: shelf }
jobs:
  cycleCount:
${counts}`;

const YEARLY = '0 0 1 1 *';
const COUNTS = `    - { readPoint: shelf, schedule: "${YEARLY}" }
    - { readPoint: pack, schedule: "${YEARLY}", windowS: 60 }
`;

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A gateway's data path and inventory on `dir`, with the cycle counts of `counts` started. */
async function gateway(dir: string, counts = COUNTS, outboxMax = 10000) {
  const config = parseConfig(configText(counts), 'f.yaml', {});
  const outbox = new LevelOutbox(
    join(dir, 'outbox'),
    { maxEvents: outboxMax, maxBytes: 1 << 26, overflow: 'drop-newest', batchMax: 64 },
    silentLogger(),
  );
  await outbox.open();
  const store = new InventoryStore(dir);
  await store.open();
  const recorder = new Recorder(outbox, { batchMax: 64, retryMs: 10 }, silentLogger());
  const points = readPointRuntimes(config, T);
  const smoother = new Smoother({ maxTracked: 1000 }, new Map([...points].map(([id, p]) => [id, p.rules])));
  const events = new EventWriter(points, recorder);
  const refuse = () => {
    throw new Error('not used by cycle counts');
  };
  const features = await startInventory({
    config,
    topics: T,
    store,
    inbound: { subscribe: refuse, reply: refuse },
    control: { register: refuse },
    recorder,
    events,
    smoother,
    scanCommands: new ScanCommands(),
    log: silentLogger(),
  });
  let mono = 0;
  const taken: Awaited<ReturnType<typeof outbox.take>> = [];
  const g = {
    features,
    counts: features.find((f) => f.name === 'cycleCounts') as (CycleCounts & InventoryFeature) | undefined,
    smoother,
    /** Reads tag `n` at `readPointId` now, `afterMs` after the previous read; writes its events. */
    async read(n: number, readPointId: string, afterMs = 1) {
      mono += afterMs;
      const data = encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: n });
      const decoded = decodeRead({ kind: 'epc', data }, FORMAT);
      if (!decoded.ok) throw new Error(decoded.reject.message);
      const out = smoother.observe({
        identity: decoded.identity,
        raw: { data, kind: 'epc', format: FORMAT },
        readerId: 'rfid',
        readPointId,
        at: Date.now(),
        mono,
      });
      await events.write(out);
    },
    /** Lets `ms` pass on the smoother's clock and writes what its tick ends. */
    async pass(ms: number) {
      mono += ms;
      await events.write(smoother.tick(mono, Date.now()));
    },
    /** The cycle counts recorded on `readPointId`'s counts topic, in sequence order. */
    async recorded(readPointId: string) {
      // take() hands each entry out once (a delivery cursor): keep what it gave.
      taken.push(...(await outbox.take(100000)));
      return taken
        .filter((e) => e.topic === T.counts(readPointId))
        .map((e) => JSON.parse(String(e.payload)) as Record<string, unknown>);
    },
    async stop() {
      for (const f of features.reverse()) await f.stop();
      await recorder.stop();
      await store.close();
      await outbox.close();
    },
  };
  return g;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rp-count-'));
  dirs.push(dir);
  return dir;
}

const valid = (event: Record<string, unknown> | undefined) => {
  expect(gs1Errors(event)).toEqual([]);
  expect(countErrors(event)).toEqual([]);
};

describe('cycle counts', () => {
  it('is not started without jobs.cycleCount', async () => {
    const g = await gateway(tempDir(), '    []\n');
    closers.push(g.stop);
    expect(g.features).toEqual([]);
  });

  it('counts the units in open passes; the next count says which appeared and which went missing', async () => {
    const g = await gateway(tempDir());
    closers.push(g.stop);
    const counts = g.counts!;
    for (const n of [3, 1, 2]) await g.read(n, 'shelf');
    await counts.count('shelf');
    // 2 leaves: not read for longer than the departure time, while 1 and 3 are read on; 4 arrives.
    await g.pass(3000);
    await g.read(1, 'shelf');
    await g.read(3, 'shelf');
    await g.pass(2500);
    await g.read(4, 'shelf');
    expect(g.smoother.openUnits('shelf', 10).units.sort()).toEqual([tag(1), tag(3), tag(4)]);
    await counts.count('shelf');

    const [first, second, ...more] = await g.recorded('shelf');
    expect(more).toEqual([]);
    expect(first).toMatchObject({
      bizStep: 'cycle_counting',
      readPoint: { id: 'urn:readpoint:s-1:gw-1:shelf' },
      epcList: [tag(1), tag(2), tag(3)],
      'rp:appeared': [tag(1), tag(2), tag(3)],
      'rp:missing': [],
    });
    expect(first?.['rp:count']).not.toHaveProperty('previous');
    expect(second).toMatchObject({
      epcList: [tag(1), tag(3), tag(4)],
      'rp:appeared': [tag(4)],
      'rp:missing': [tag(2)],
      'rp:count': {
        part: 1,
        parts: 1,
        units: 3,
        appeared: 1,
        missing: 1,
        previous: first?.eventTime,
        windowS: 0,
      },
    });
    expect(second?.['rp:sequence']).toBeGreaterThan(first?.['rp:sequence'] as number);
    valid(first);
    valid(second);
    expect(counts.health()).toEqual({
      readPoints: {
        shelf: {
          lastAt: second?.eventTime,
          units: 3,
          appeared: 1,
          missing: 1,
          parts: 1,
          truncated: false,
          failures: 0,
        },
        pack: { units: 0, appeared: 0, missing: 0, parts: 0, truncated: false, failures: 0 },
      },
      forgotten: 0,
    });
  });

  it('compares with the last count kept in the inventory store after a restart', async () => {
    const dir = tempDir();
    const before = await gateway(dir);
    for (const n of [1, 2]) await before.read(n, 'shelf');
    await before.counts!.count('shelf');
    const [first] = await before.recorded('shelf');
    await before.stop();

    const after = await gateway(dir);
    closers.push(after.stop);
    expect(after.counts!.health()).toMatchObject({
      readPoints: { shelf: { lastAt: first?.eventTime, units: 2 } },
    });
    for (const n of [2, 5]) await after.read(n, 'shelf');
    await after.counts!.count('shelf');
    const second = (await after.recorded('shelf')).at(-1);
    expect(second).toMatchObject({
      epcList: [tag(2), tag(5)],
      'rp:appeared': [tag(5)],
      'rp:missing': [tag(1)],
      'rp:count': { previous: first?.eventTime },
    });
    valid(second);
  });

  it('with a window, also counts the units seen there within it whose passes have ended (a scan session)', async () => {
    const g = await gateway(tempDir());
    closers.push(g.stop);
    for (const n of [7, 8]) await g.read(n, 'pack');
    await g.pass(5000); // their passes end (suppressionS 1): the smoother no longer has them
    expect(g.smoother.openUnits('pack', 10).units).toEqual([]);
    await g.read(9, 'pack');
    await g.read(10, 'shelf'); // another read point's unit is not this one's
    await g.counts!.count('pack');
    const [count] = await g.recorded('pack');
    expect(count).toMatchObject({ epcList: [tag(7), tag(8), tag(9)], 'rp:count': { windowS: 60, units: 3 } });
    valid(count);
  });

  it('splits a large count into parts with consecutive sequence numbers, and marks a truncated one', async () => {
    const g = await gateway(
      tempDir(),
      `    - { readPoint: shelf, schedule: "${YEARLY}", unitsPerPart: 2, maxUnits: 4 }\n`,
    );
    closers.push(g.stop);
    for (const n of [1, 2, 3]) await g.read(n, 'shelf');
    await g.counts!.count('shelf');
    for (const n of [4, 5, 6]) await g.read(n, 'shelf');
    await g.counts!.count('shelf');
    const recorded = await g.recorded('shelf');
    expect(recorded.map((e) => e['rp:count'])).toMatchObject([
      { part: 1, parts: 2, units: 3 },
      { part: 2, parts: 2, units: 3 },
      { part: 1, parts: 2, units: 4, appeared: 1, missing: 0, truncated: true },
      { part: 2, parts: 2, units: 4, truncated: true },
    ]);
    const seqs = recorded.map((e) => e['rp:sequence'] as number);
    expect(seqs[1]).toBe(seqs[0]! + 1);
    expect(seqs[3]).toBe(seqs[2]! + 1);
    expect(recorded.slice(0, 2).flatMap((e) => e.epcList as string[])).toEqual([tag(1), tag(2), tag(3)]);
    // Six open, four listed (the least recently read), nothing reported missing.
    expect(recorded.slice(2).flatMap((e) => e.epcList as string[])).toEqual([tag(1), tag(2), tag(3), tag(4)]);
    expect(recorded.slice(2).flatMap((e) => e['rp:missing'] as string[])).toEqual([]);
    for (const e of recorded) valid(e);
  });

  it('runs a count due while one runs only once', async () => {
    const g = await gateway(tempDir());
    closers.push(g.stop);
    await g.read(1, 'shelf');
    await Promise.all([g.counts!.count('shelf'), g.counts!.count('shelf')]);
    expect(await g.recorded('shelf')).toHaveLength(1);
  });

  it('does not keep a count the full outbox refused as the base of the next', async () => {
    const g = await gateway(tempDir(), COUNTS, 1);
    closers.push(g.stop);
    await g.read(1, 'shelf'); // the arrival fills the outbox
    await g.counts!.count('shelf');
    expect(await g.recorded('shelf')).toEqual([]);
    expect(g.counts!.health()).toMatchObject({ readPoints: { shelf: { units: 0, failures: 0 } } });
    expect(g.counts!.health()).not.toHaveProperty('readPoints.shelf.lastAt');
  });

  it('counts on its schedule', async () => {
    const g = await gateway(tempDir(), '    - { readPoint: shelf, schedule: "* * * * * *" }\n');
    closers.push(g.stop);
    await g.read(1, 'shelf');
    await expect
      .poll(async () => (await g.recorded('shelf')).length, { timeout: 10000, interval: 50 })
      .toBeGreaterThan(0);
    const [count] = await g.recorded('shelf');
    expect(count).toMatchObject({ epcList: [tag(1)] });
    valid(count);
  });
});
