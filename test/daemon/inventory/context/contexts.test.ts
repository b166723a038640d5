/**
 * The transaction-context feature through its start function: real LevelDB (the inventory store),
 * the real control socket, the real pipeline with its scan commands and event writer; upstream
 * messages handed as the inbound seam hands them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../config/load.js';
import { topics } from '../../../../daemon/contract/topics.js';
import { startContexts } from '../../../../daemon/inventory/context/start.js';
import { askDaemon, ControlRefused } from '../../../../daemon/inventory/control-client.js';
import { ControlServer, controlSocketPath } from '../../../../daemon/inventory/control-server.js';
import type { InventoryFeature } from '../../../../daemon/inventory/features.js';
import type { Inbound, InboundMessage } from '../../../../daemon/inventory/inbound.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import { ScanCommands } from '../../../../daemon/inventory/scan-commands.js';
import { silentLogger } from '../../../../daemon/log.js';
import { Pipeline } from '../../../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../../../daemon/read-points.js';
import { Recorder } from '../../../../daemon/recorder.js';
import { Smoother } from '../../../../daemon/smoothing/smoother.js';
import { MemoryOutbox } from '../../../support/memory-outbox.js';
import { contextChangeErrors, gs1Errors, ownErrors } from '../../../support/schemas.js';

const config = parseConfig(
  `gateway: { id: gw, site: s }
readPoints:
  - id: door-1
    bizStep: shipping
    context: { scanners: [ctx], clearCode: CLEAR, orderParty: "4012345000009" }
  - id: line
readers:
  - { id: ctx, driver: serial-line, path: /dev/null, readPoint: door-1 }
  - { id: gun, driver: serial-line, path: /dev/null, readPoint: door-1 }
  - { id: belt, driver: serial-line, path: /dev/null, readPoint: line }
`,
  't.yaml',
);
const TOPICS = topics('readpoint/v1', 's', 'gw');
const GSIN = 'https://id.gs1.org/402/40123450000000016';
const T0 = Date.now();

/** The inbound seam as the uplink drives it: messages handed in order to the subscriber. */
class HandedInbound implements Inbound {
  filters: string[] = [];
  private handlers: ((m: InboundMessage) => void)[] = [];
  subscribe(filter: string, _o: unknown, onMessage: (m: InboundMessage) => void) {
    this.filters.push(filter);
    this.handlers.push(onMessage);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== onMessage);
    };
  }
  reply(): boolean {
    return false;
  }
  hand(topic: string, payload: unknown, retain = true): void {
    const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    for (const h of this.handlers) h({ topic, payload: bytes, retain });
  }
}

let dir: string;
let running: { feature: InventoryFeature; store: InventoryStore; control: ControlServer }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-context-'));
});
afterEach(async () => {
  for (const r of running) {
    await r.feature.stop();
    await r.control.close();
    await r.store.close();
  }
  running = [];
  await rm(dir, { recursive: true, force: true });
});

/** A gateway's worth of the data path around the feature, on the data dir `dir`. */
async function gateway(outbox = new MemoryOutbox()) {
  const store = new InventoryStore(dir);
  await store.open();
  const recorder = new Recorder(outbox, { batchMax: 64, retryMs: 10 }, silentLogger());
  const points = readPointRuntimes(config, TOPICS);
  const smoother = new Smoother({ maxTracked: 1000 }, new Map([...points].map(([id, p]) => [id, p.rules])));
  const events = new EventWriter(points, recorder);
  const scanCommands = new ScanCommands();
  const inbound = new HandedInbound();
  const control = new ControlServer(silentLogger());
  await control.listen(controlSocketPath(dir));
  const feature = await startContexts({
    config,
    topics: TOPICS,
    store,
    inbound,
    control,
    recorder,
    events,
    smoother,
    scanCommands,
    log: silentLogger(),
  });
  if (!feature) throw new Error('the feature did not start');
  running.push({ feature, store, control });
  const pipelines = new Map(
    config.readers.map((reader) => [
      reader.id,
      new Pipeline({
        gatewayId: 'gw',
        reader,
        smoother,
        events,
        publishReject: () => {},
        log: silentLogger(),
        scanCommands,
      }),
    ]),
  );
  let ms = 0;
  const scan = (readerId: string, text: string) =>
    pipelines.get(readerId)!.read({
      readerId,
      kind: 'barcode',
      data: Buffer.from(text, 'latin1'),
      at: T0 + ++ms,
      mono: ms,
    });
  /** What the outbox holds, in sequence order: events and context changes, each schema-checked. */
  const stored = () =>
    [...outbox.entries.values()].map((e) => {
      const message = JSON.parse(e.payload as string);
      if (e.topic.includes('/context-changes/')) expect(contextChangeErrors(message)).toEqual([]);
      else {
        expect(ownErrors(message)).toEqual([]);
        expect(gs1Errors(message)).toEqual([]);
      }
      return { topic: e.topic, seq: e.seq, message };
    });
  return { feature, inbound, scan, stored, outbox, store };
}

const unit = (serial: string) => `]d2010950600013435221${serial}`;
const txOf = (m: { message: Record<string, unknown> }) => m.message.bizTransactionList;

describe('transaction contexts', () => {
  it('does not start without a read point that keeps a context', async () => {
    const plain = parseConfig(
      'gateway: { id: gw, site: s }\nreadPoints: [{ id: line }]\nreaders: [{ id: belt, driver: serial-line, path: /dev/null, readPoint: line }]\n',
      't.yaml',
    );
    const inbound = new HandedInbound();
    const scanCommands = new ScanCommands();
    const feature = await startContexts({
      config: plain,
      inbound,
      scanCommands,
    } as unknown as Parameters<typeof startContexts>[0]);
    expect(feature).toBeUndefined();
    expect(inbound.filters).toEqual([]);
    expect(scanCommands.empty).toBe(true);
  });

  it('a scanned shipment goes on every event at the door until the clear code, and each change is recorded first', async () => {
    const g = await gateway();
    expect(g.inbound.filters).toEqual(['readpoint/v1/s/gw/context/+']);
    await g.scan('gun', unit('A0'));
    await g.scan('ctx', ']C140240123450000000016');
    for (let i = 1; i <= 3; i++) await g.scan('gun', unit(`A${i}`));
    await g.scan('belt', unit('B1')); // another read point: no context
    await g.scan('ctx', 'CLEAR');
    await g.scan('gun', unit('A4'));
    const all = g.stored();
    expect(all.map((m) => m.topic.split('/').slice(-2).join('/'))).toEqual([
      'events/door-1',
      'context-changes/door-1',
      'events/door-1',
      'events/door-1',
      'events/door-1',
      'events/line',
      'context-changes/door-1',
      'events/door-1',
    ]);
    const shipment = [{ type: 'desadv', bizTransaction: GSIN }];
    expect(all.map(txOf)).toEqual([
      undefined,
      undefined,
      shipment,
      shipment,
      shipment,
      undefined,
      undefined,
      undefined,
    ]);
    const [set, cleared] = all.filter((m) => m.topic.includes('context-changes'));
    expect(set!.message).toMatchObject({
      gateway: 'gw',
      site: 's',
      readPoint: 'door-1',
      sequence: set!.seq,
      change: 'set',
      by: 'scan',
      context: { bizTransactionList: shipment, by: 'scan', reader: 'ctx' },
    });
    expect(set!.message.previous).toBeUndefined();
    expect(cleared!.message).toMatchObject({
      change: 'cleared',
      by: 'scan',
      previous: { bizTransactionList: shipment },
    });
    expect(cleared!.message.context).toBeUndefined();
    // The context scanner's transaction barcodes made no event; its units would.
    expect(all.filter((m) => m.message['rp:reader'] === 'ctx')).toEqual([]);
    expect(g.feature.health!()).toMatchObject({ active: 0, changes: 2, refused: 0, readPoints: {} });
  });

  it('takes upstream contexts by version, refuses bad ones, and keeps the context through a restart', async () => {
    const g = await gateway();
    const topic = TOPICS.context('door-1');
    const order = { type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:PO-1' };
    g.inbound.hand(topic, {
      version: 5,
      bizTransactionList: [order],
      sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:4012345.00000' }],
      destinationList: [{ type: 'location', destination: 'urn:epc:id:sgln:4012345.00011.0' }],
    });
    g.inbound.hand(topic, { version: 4, bizTransactionList: [{ type: 'po', bizTransaction: 'urn:x:old' }] });
    g.inbound.hand(topic, {
      version: 6,
      bizTransactionList: [{ type: 'purchase', bizTransaction: 'urn:x:y' }],
    });
    g.inbound.hand(topic, 'not json');
    g.inbound.hand(topic, { version: 7, bizTransactionList: [{ type: 'po', bizTransaction: 'no uri' }] });
    g.inbound.hand(TOPICS.context('line'), { version: 1, bizTransactionList: [order] });
    await g.scan('gun', unit('C1'));
    const first = g.stored();
    expect(first.map((m) => m.message.change ?? m.message['rp:unit'].serial)).toEqual(['set', 'C1']);
    expect(first[1]!.message).toMatchObject({
      bizTransactionList: [order],
      sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:4012345.00000' }],
      destinationList: [{ type: 'location', destination: 'urn:epc:id:sgln:4012345.00011.0' }],
    });
    expect(g.feature.health!()).toMatchObject({
      active: 1,
      refused: 4,
      readPoints: { 'door-1': { by: 'upstream', transactions: 1 } },
    });

    // Restart: a new gateway on the same data dir; the retained message comes again, same version.
    await running[0]!.feature.stop();
    await running[0]!.control.close();
    await running[0]!.store.close();
    running = [];
    const again = await gateway();
    again.inbound.hand(topic, { version: 5, bizTransactionList: [order] });
    await again.scan('gun', unit('C2'));
    const after = again.stored();
    expect(after.map((m) => m.message['rp:unit']?.serial ?? m.message.change)).toEqual(['C2']);
    expect(after[0]!.message.bizTransactionList).toEqual([order]);
    // A newer clear ends it.
    again.inbound.hand(topic, { version: 8, clear: true });
    await again.scan('gun', unit('C3'));
    expect(again.stored().map((m) => [m.message.change ?? m.message['rp:unit'].serial, txOf(m)])).toEqual([
      ['C2', [order]],
      ['cleared', undefined],
      ['C3', undefined],
    ]);
    expect(again.stored()[1]!.message).toMatchObject({
      by: 'upstream',
      previous: { version: 5, by: 'upstream' },
    });
  });

  it('answers context.set, show and clear on the control socket, with clear errors for bad arguments', async () => {
    const g = await gateway();
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const inv = { type: 'inv', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:INV-9' };
    const set = await askDaemon(dir, 'context.set', {
      readPoint: 'door-1',
      bizTransactionList: [inv],
      expires,
    });
    expect(set).toMatchObject({ 'door-1': { bizTransactionList: [inv], by: 'cli', expires } });
    expect(await askDaemon(dir, 'context.show', {})).toEqual(set);
    expect(await askDaemon(dir, 'context.show', { readPoint: 'door-1' })).toEqual(set);
    await expect(
      askDaemon(dir, 'context.set', { readPoint: 'line', bizTransactionList: [inv] }),
    ).rejects.toThrow(/readPoint must name a read point with a context section \(door-1\)/);
    await expect(askDaemon(dir, 'context.set', { readPoint: 'door-1' })).rejects.toThrow(/names nothing/);
    await expect(
      askDaemon(dir, 'context.set', {
        readPoint: 'door-1',
        bizTransactionList: [inv],
        expires: '2001-01-01T00:00:00Z',
      }),
    ).rejects.toThrow(ControlRefused);
    await expect(
      askDaemon(dir, 'context.set', { readPoint: 'door-1', bizTransactionList: Array(17).fill(inv) }),
    ).rejects.toThrow(/17 entries; at most 16/);
    await g.scan('gun', unit('D1'));
    expect(await askDaemon(dir, 'context.clear', { readPoint: 'door-1' })).toEqual({ cleared: true });
    expect(await askDaemon(dir, 'context.clear', { readPoint: 'door-1' })).toEqual({ cleared: false });
    expect(await askDaemon(dir, 'context.show', {})).toEqual({});
    await g.scan('gun', unit('D2'));
    expect(
      g.stored().map((m) => [m.message.change ?? m.message['rp:unit'].serial, m.message.by, txOf(m)]),
    ).toEqual([
      ['set', 'cli', undefined],
      ['D1', undefined, [inv]],
      ['cleared', 'cli', undefined],
      ['D2', undefined, undefined],
    ]);
  });

  it('ends a context at its expiry with an expired change, also one that expired while the gateway was down', async () => {
    const g = await gateway();
    const inv = { type: 'inv', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:INV-1' };
    await askDaemon(dir, 'context.set', {
      readPoint: 'door-1',
      bizTransactionList: [inv],
      expires: new Date(Date.now() + 300).toISOString(),
    });
    await waitFor(() => g.stored().some((m) => m.message.change === 'expired'));
    await g.scan('gun', unit('E1'));
    const all = g.stored();
    expect(all.map((m) => [m.message.change ?? m.message['rp:unit'].serial, m.message.by])).toEqual([
      ['set', 'cli'],
      ['expired', 'expiry'],
      ['E1', undefined],
    ]);
    expect(all[2]!.message.bizTransactionList).toBeUndefined();

    // Set again, stop, let it expire while stopped, start: it ends at once.
    await askDaemon(dir, 'context.set', {
      readPoint: 'door-1',
      bizTransactionList: [inv],
      expires: new Date(Date.now() + 300).toISOString(),
    });
    await running[0]!.feature.stop();
    await running[0]!.control.close();
    await running[0]!.store.close();
    running = [];
    const stopAt = Date.now();
    await waitFor(() => Date.now() > stopAt + 400);
    const again = await gateway();
    await again.scan('gun', unit('E2'));
    expect(again.stored().map((m) => [m.message.change ?? m.message['rp:unit'].serial, txOf(m)])).toEqual([
      ['expired', undefined],
      ['E2', undefined],
    ]);
  });
});

/** Waits for `condition`, checking on each turn of the event loop's timers. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}
