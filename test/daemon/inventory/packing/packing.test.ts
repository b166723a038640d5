/**
 * Pack stations through their start function, on real parts: the reader's pipeline (decoder,
 * smoother, event writer, scan commands), the recorder, the LevelDB outbox and the inventory
 * store on disk. Every AggregationEvent is checked against GS1's EPCIS 2.0 schema and ours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../../config/load.js';
import { topics } from '../../../../daemon/contract/topics.js';
import type { InventoryDeps, InventoryFeature } from '../../../../daemon/inventory/features.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import { startPacking } from '../../../../daemon/inventory/packing/packing.js';
import { ScanCommands } from '../../../../daemon/inventory/scan-commands.js';
import { silentLogger } from '../../../../daemon/log.js';
import { LevelOutbox } from '../../../../daemon/outbox/level-outbox.js';
import { Pipeline } from '../../../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../../../daemon/read-points.js';
import { Recorder } from '../../../../daemon/recorder.js';
import { Smoother } from '../../../../daemon/smoothing/smoother.js';
import { aggregationErrors, gs1Errors, ownErrors } from '../../../support/schemas.js';

const yaml = (pack: string) => `gateway: { id: gw, site: s }
readPoints:
  - { id: pack-1, mode: pack, suppressionS: 5, bizLocation: "urn:epc:id:sgln:0614141.00777.0", pack: ${pack} }
  - { id: conveyor }
readers:
  - { id: gun, driver: serial-line, path: /dev/null, readPoint: pack-1, multiReadSeparator: ";" }
  - { id: belt, driver: serial-line, path: /dev/null, readPoint: conveyor }
`;

const SSCC = ['106141411234567897', '106141411234567903', '106141411234567910'];
const caseCode = (i: number) => `]C100${SSCC[i]}`;
const caseUri = (i: number) => `https://id.gs1.org/00/${SSCC[i]}`;
const unitCode = (serial: string) => `]d2010950600013435221${serial}\x1d10LOT1`;
const unitUri = (serial: string) => `https://id.gs1.org/01/09506000134352/21/${serial}`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A gateway's read path and inventory store in `dir`, with the pack stations started. */
async function gateway(pack: string, dir = mkdtempSync(join(tmpdir(), 'rp-pack-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const config = parseConfig(yaml(pack), 't.yaml', {});
  const t = topics('readpoint/v1', 's', 'gw');
  const outbox = new LevelOutbox(
    join(dir, 'outbox'),
    { maxEvents: 10000, maxBytes: 1 << 24, overflow: 'drop-oldest', batchMax: 64 },
    silentLogger(),
  );
  await outbox.open();
  const store = new InventoryStore(dir);
  await store.open();
  const recorder = new Recorder(outbox, { batchMax: 64, retryMs: 10 }, silentLogger());
  const points = readPointRuntimes(config, t);
  const smoother = new Smoother({ maxTracked: 1000 }, new Map([...points].map(([id, p]) => [id, p.rules])));
  const events = new EventWriter(points, recorder);
  const scanCommands = new ScanCommands();
  const unused = () => {
    throw new Error('packing takes nothing from upstream and no control command');
  };
  const deps: InventoryDeps = {
    config,
    topics: t,
    store,
    inbound: { subscribe: unused, reply: unused },
    control: { register: unused },
    recorder,
    events,
    smoother,
    scanCommands,
    log: silentLogger(),
  };
  const feature = (await startPacking(deps)) as InventoryFeature;
  const pipeline = (id: string) =>
    new Pipeline({
      gatewayId: 'gw',
      reader: config.readers.find((r) => r.id === id)!,
      smoother,
      events,
      publishReject: () => undefined,
      log: silentLogger(),
      scanCommands,
    });
  const gun = pipeline('gun');
  const belt = pipeline('belt');
  const scan = (text: string, at: number, by = gun) =>
    by.read({
      readerId: by === gun ? 'gun' : 'belt',
      kind: 'barcode',
      data: Buffer.from(text, 'latin1'),
      at,
      mono: at,
    });
  /** Everything in the outbox, in sequence order, as [topic, parsed payload]. */
  const stored = async () => {
    outbox.rewind();
    return (await outbox.take(10000)).map((e) => [e.topic, JSON.parse(String(e.payload))] as const);
  };
  /** The aggregation events in the outbox, each checked against both schemas. */
  const aggregations = async () =>
    (await stored())
      .filter(([topic]) => topic === 'readpoint/v1/s/gw/aggregations/pack-1')
      .map(([, event]) => {
        expect(gs1Errors(event)).toEqual([]);
        expect(aggregationErrors(event)).toEqual([]);
        return event;
      });
  /** The aggregation events once there are `n` (a code's events are recorded after the scan returns). */
  const aggregated = async (n: number) => {
    await vi.waitFor(async () => expect(await aggregations()).toHaveLength(n), {
      timeout: 15_000,
      interval: 20,
    });
    return aggregations();
  };
  const close = async () => {
    await feature.stop();
    await recorder.stop();
    await store.close();
    await outbox.close();
  };
  return {
    dir,
    feature,
    gun,
    belt,
    scan,
    stored,
    aggregations,
    aggregated,
    close,
    health: () => feature.health!(),
  };
}

/** Scans happen now: a case's timeout runs on the wall clock. */
let T0 = Date.now();
beforeEach(() => {
  T0 = Date.now();
});

describe('a pack station', () => {
  it('packs an SSCC and its units, each once, into one ADD when the close code is scanned', async () => {
    const g = await gateway('{ closeCode: CLOSE }');
    try {
      await g.scan(caseCode(0), T0);
      for (const [i, serial] of ['U1', 'U2', 'U3', 'U2', 'U4', 'U5'].entries())
        await g.scan(unitCode(serial), T0 + 1000 * (i + 1));
      await g.scan(unitCode('U3'), T0 + 60_000); // a new pass (a new ObjectEvent), still one child
      await g.scan(']C0CLOSE', T0 + 61_000);
      const [add] = await g.aggregated(1);
      const all = await g.stored();
      expect(all.map(([topic, e]) => [topic.split('/')[4], e.type, e.epcList?.[0] ?? e.parentID])).toEqual([
        ['events', 'ObjectEvent', caseUri(0)],
        ['events', 'ObjectEvent', unitUri('U1')],
        ['events', 'ObjectEvent', unitUri('U2')],
        ['events', 'ObjectEvent', unitUri('U3')],
        ['events', 'ObjectEvent', unitUri('U4')],
        ['events', 'ObjectEvent', unitUri('U5')],
        ['events', 'ObjectEvent', unitUri('U3')],
        ['aggregations', 'AggregationEvent', caseUri(0)],
      ]);
      for (const [, e] of all.slice(0, -1)) expect(ownErrors(e)).toEqual([]);
      expect(add).toMatchObject({
        action: 'ADD',
        parentID: caseUri(0),
        childEPCs: ['U1', 'U2', 'U3', 'U4', 'U5'].map(unitUri),
        bizStep: 'packing',
        readPoint: { id: 'urn:readpoint:s:gw:pack-1' },
        bizLocation: { id: 'urn:epc:id:sgln:0614141.00777.0' },
        eventTime: new Date(T0 + 61_000).toISOString(),
        'rp:gateway': 'gw',
        'rp:readPoint': 'pack-1',
        'rp:reader': 'gun',
        'rp:sequence': 8,
        'rp:openedAt': new Date(T0).toISOString(),
        'rp:closedBy': 'close-code',
      });
      expect(add.eventID).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5/);
      expect(g.gun.counters).toMatchObject({ reads: 9, commands: 1, events: 7, rejected: 0 });
      expect(g.health()).toMatchObject({
        stations: 1,
        openCases: 0,
        children: 0,
        closed: { closeCode: 1, nextCase: 0, timeout: 0 },
        duplicates: 2,
      });
      expect(g.health().open).toEqual({});
    } finally {
      await g.close();
    }
  });

  it('closes the case on the next SSCC, with the units read before the close even while the outbox is busy', async () => {
    const g = await gateway('{ closeCode: CLOSE }');
    try {
      // Not awaited one by one: the close code comes while the units' events still wait to be written.
      await Promise.all([
        g.scan(caseCode(0), T0),
        g.scan(unitCode('A1'), T0 + 1),
        g.scan(`${unitCode('A2')};${unitCode('A3')}`, T0 + 2),
        g.scan(caseCode(1), T0 + 3),
        g.scan(unitCode('B1'), T0 + 4),
        g.scan('CLOSE', T0 + 5),
      ]);
      const adds = await g.aggregated(2);
      expect(adds.map((e) => [e.parentID, e.childEPCs, e['rp:closedBy'], e.eventTime])).toEqual([
        [caseUri(0), ['A1', 'A2', 'A3'].map(unitUri), 'next-case', new Date(T0 + 3).toISOString()],
        [caseUri(1), [unitUri('B1')], 'close-code', new Date(T0 + 5).toISOString()],
      ]);
      const seqOf = async (uri: string) =>
        (await g.stored()).find(([, e]) => e.epcList?.[0] === uri)?.[1]['rp:sequence'];
      expect(adds[0]['rp:sequence']).toBeGreaterThan(await seqOf(unitUri('A3')));
      expect(adds[0]['rp:sequence']).toBeLessThan(await seqOf(caseUri(1)));
      expect(g.health()).toMatchObject({ closed: { closeCode: 1, nextCase: 1, timeout: 0 } });
    } finally {
      await g.close();
    }
  });

  it('closes a quiet case by itself at its last scan + closeAfterS', async () => {
    const g = await gateway('{ closeCode: CLOSE, closeAfterS: 1 }');
    try {
      const at = Date.now();
      await g.scan(caseCode(2), at);
      await g.scan(unitCode('T1'), at + 10);
      const [add] = await g.aggregated(1);
      expect([add.parentID, add.childEPCs, add['rp:closedBy'], add.eventTime, 'rp:reader' in add]).toEqual([
        caseUri(2),
        [unitUri('T1')],
        'timeout',
        new Date(at + 10 + 1000).toISOString(),
        false,
      ]);
      expect(g.health()).toMatchObject({ openCases: 0, closed: { timeout: 1 } });
    } finally {
      await g.close();
    }
  });

  it('takes a unit out: of the open case silently, of a closed case with a DELETE', async () => {
    const g = await gateway('{ closeCode: CLOSE, removeCode: REMOVE }');
    try {
      await g.scan(caseCode(0), T0);
      for (const [i, s] of ['R1', 'R2', 'R3'].entries()) await g.scan(unitCode(s), T0 + 10 * (i + 1));
      await g.scan('REMOVE', T0 + 100);
      await g.scan(unitCode('R2'), T0 + 110); // still in the open case: just not packed
      await g.scan('CLOSE', T0 + 120);
      await g.scan('REMOVE', T0 + 200);
      await g.scan(unitCode('R3'), T0 + 210); // in the case closed: DELETE
      await g.scan('REMOVE', T0 + 300);
      await g.scan(unitCode('R9'), T0 + 310); // in no case
      await g.scan('REMOVE', T0 + 400);
      await g.scan(unitCode('R3'), T0 + 410); // taken out already
      const [add, del] = await g.aggregated(2);
      expect(add).toMatchObject({ action: 'ADD', childEPCs: [unitUri('R1'), unitUri('R3')] });
      expect(del).toMatchObject({
        action: 'DELETE',
        parentID: caseUri(0),
        childEPCs: [unitUri('R3')],
        bizStep: 'unpacking',
        eventTime: new Date(T0 + 210).toISOString(),
        'rp:reader': 'gun',
      });
      expect(del).not.toHaveProperty('rp:closedBy');
      expect(del.eventID).not.toBe(add.eventID);
      expect(g.health()).toMatchObject({ removed: 1, removedBeforeClose: 1, removeUnknown: 2 });
    } finally {
      await g.close();
    }
  });

  it('moves a unit packed again from the recent case it was in: a DELETE there before the ADD of its new case', async () => {
    const g = await gateway('{ closeCode: CLOSE }');
    try {
      await g.scan(caseCode(0), T0);
      await g.scan(unitCode('M1'), T0 + 10);
      await g.scan(unitCode('M2'), T0 + 20);
      await g.scan('CLOSE', T0 + 30);
      await g.scan(caseCode(1), T0 + 100);
      await g.scan(unitCode('M2'), T0 + 110); // repacked: it left case 0
      await g.scan(unitCode('M3'), T0 + 120);
      await g.scan('CLOSE', T0 + 130);
      const events = await g.aggregated(3);
      expect(events.map((e) => [e.action, e.parentID, e.childEPCs])).toEqual([
        ['ADD', caseUri(0), [unitUri('M1'), unitUri('M2')]],
        ['DELETE', caseUri(0), [unitUri('M2')]],
        ['ADD', caseUri(1), [unitUri('M2'), unitUri('M3')]],
      ]);
      expect(events[1]).toMatchObject({ bizStep: 'unpacking', eventTime: new Date(T0 + 110).toISOString() });
      expect(g.health()).toMatchObject({ removed: 1, duplicates: 0 });
    } finally {
      await g.close();
    }
  });

  it('reports units with no case open and close codes with nothing to close, and bounds a case', async () => {
    const g = await gateway('{ closeCode: CLOSE, maxChildren: 2 }');
    try {
      await g.scan(unitCode('N1'), T0);
      await g.scan('CLOSE', T0 + 1);
      await g.scan(caseCode(0), T0 + 2);
      await g.scan('CLOSE', T0 + 3); // empty: no event
      await g.scan(caseCode(1), T0 + 4);
      for (const [i, s] of ['F1', 'F2', 'F3'].entries()) await g.scan(unitCode(s), T0 + 5 + i);
      await g.scan(unitCode('C1'), T0 + 10, g.belt); // another read point: not this station's
      expect(g.health()).toMatchObject({
        openCases: 1,
        children: 2,
        open: { 'pack-1': { parent: caseUri(1), children: 2, openedAt: new Date(T0 + 4).toISOString() } },
      });
      await g.scan('CLOSE', T0 + 20);
      const adds = await g.aggregated(1);
      expect(adds.map((e) => [e.parentID, e.childEPCs])).toEqual([
        [caseUri(1), [unitUri('F1'), unitUri('F2')]],
      ]);
      expect((await g.stored()).filter(([, e]) => e.epcList?.[0] === unitUri('N1'))).toHaveLength(1);
      expect(g.health()).toMatchObject({
        unitsWithoutCase: 1,
        closeWithoutCase: 1,
        emptyCases: 1,
        refusedFull: 1,
        closed: { closeCode: 1 },
      });
    } finally {
      await g.close();
    }
  });

  it('keeps an open case and the closed ones across a restart', async () => {
    const first = await gateway('{ closeCode: CLOSE, removeCode: REMOVE }');
    await first.scan(caseCode(0), T0);
    await first.scan(unitCode('P1'), T0 + 1);
    await first.scan('CLOSE', T0 + 2);
    await first.scan(caseCode(1), T0 + 3);
    await first.scan(unitCode('P2'), T0 + 4);
    await first.scan(unitCode('P3'), T0 + 5);
    await first.scan('REMOVE', T0 + 6);
    await first.scan(unitCode('P2'), T0 + 7); // out of the open case...
    await first.scan(unitCode('P5'), T0 + 8);
    await first.scan(unitCode('P2'), T0 + 9); // ...and in again, after P5
    await first.close();
    const again = await gateway('{ closeCode: CLOSE, removeCode: REMOVE }', first.dir);
    try {
      expect(again.health()).toMatchObject({ openCases: 1, children: 3 });
      await again.scan(unitCode('P4'), T0 + 10);
      await again.scan('CLOSE', T0 + 11);
      await again.scan('REMOVE', T0 + 12);
      await again.scan(unitCode('P1'), T0 + 13);
      const events = await again.aggregated(3);
      expect(events.map((e) => [e.action, e.parentID, e.childEPCs, e['rp:openedAt'] ?? null])).toEqual([
        ['ADD', caseUri(0), [unitUri('P1')], new Date(T0).toISOString()],
        ['ADD', caseUri(1), ['P3', 'P5', 'P2', 'P4'].map(unitUri), new Date(T0 + 3).toISOString()],
        ['DELETE', caseUri(0), [unitUri('P1')], null],
      ]);
    } finally {
      await again.close();
    }
  });

  it('closes at start a case whose time ran out while stopped, with the ID a live timeout gives', async () => {
    const live = await gateway('{ closeAfterS: 3, closeCode: CLOSE }');
    const stopped = await gateway('{ closeAfterS: 3, closeCode: CLOSE }');
    const at = Date.now();
    for (const g of [live, stopped]) {
      await g.scan(caseCode(0), at);
      await g.scan(unitCode('S1'), at + 1);
    }
    await stopped.close();
    try {
      const [byTimer] = await live.aggregated(1);
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(at + 1 + 3000), {
        timeout: 15_000,
        interval: 20,
      });
      const again = await gateway('{ closeAfterS: 3, closeCode: CLOSE }', stopped.dir);
      try {
        const [atStart] = await again.aggregated(1);
        expect(atStart).toMatchObject({
          'rp:closedBy': 'timeout',
          eventTime: new Date(at + 1 + 3000).toISOString(),
        });
        expect(atStart.eventID).toBe(byTimer.eventID);
        expect(atStart.childEPCs).toEqual(byTimer.childEPCs);
      } finally {
        await again.close();
      }
    } finally {
      await live.close();
    }
  });

  it('starts with what it can read back when a saved case is damaged, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-pack-'));
    const store = new InventoryStore(dir);
    await store.open();
    await store.part('packing').batch([
      { type: 'put', key: 'head!pack-1', value: '{"caseNo": "x"' },
      { type: 'put', key: 'closed!pack-1!000000000003', value: 'not json' },
      {
        type: 'put',
        key: 'closed!pack-1!000000000002',
        value: JSON.stringify({ parent: caseUri(2), children: [unitUri('D1')] }),
      },
    ]);
    await store.close();
    const g = await gateway('{ closeCode: CLOSE, removeCode: REMOVE }', dir);
    try {
      expect(g.health()).toMatchObject({ openCases: 0 });
      await g.scan('REMOVE', T0);
      await g.scan(unitCode('D1'), T0 + 1);
      await g.scan(caseCode(0), T0 + 2);
      await g.scan(unitCode('D2'), T0 + 3);
      await g.scan('CLOSE', T0 + 4);
      const events = await g.aggregated(2);
      expect(events.map((e) => [e.action, e.parentID, e.childEPCs])).toEqual([
        ['DELETE', caseUri(2), [unitUri('D1')]],
        ['ADD', caseUri(0), [unitUri('D2')]],
      ]);
    } finally {
      await g.close();
    }
  });

  it('is not started, and takes no scan, where no read point is in pack mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-pack-'));
    dirs.push(dir);
    const config = parseConfig(
      'gateway: { id: gw, site: s }\nreadPoints: [{ id: conveyor }]\nreaders: [{ id: belt, driver: serial-line, path: /dev/null, readPoint: conveyor }]\n',
      't.yaml',
      {},
    );
    const store = new InventoryStore(dir);
    await store.open();
    try {
      const scanCommands = new ScanCommands();
      const unused = () => {
        throw new Error('not used');
      };
      const feature = await startPacking({
        config,
        topics: topics('readpoint/v1', 's', 'gw'),
        store,
        inbound: { subscribe: unused, reply: unused },
        control: { register: unused },
        recorder: undefined as never,
        events: undefined as never,
        smoother: undefined as never,
        scanCommands,
        log: silentLogger(),
      });
      expect(feature).toBeUndefined();
      expect(scanCommands.empty).toBe(true);
    } finally {
      await store.close();
    }
  });
});
