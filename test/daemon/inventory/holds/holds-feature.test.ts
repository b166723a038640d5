/**
 * Holds through their start function, with the real pipeline, event writer, recorder, the
 * inventory store on disk (LevelDB), the control socket, and a relay on a socat PTY. Upstream
 * messages are handed in through the Inbound seam by the test (the uplink's side is tested with
 * the daemon in test/e2e/inventory-holds.test.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../../config/load.js';
import type { Config } from '../../../../config/schema.js';
import { topics } from '../../../../daemon/contract/topics.js';
import { askDaemon } from '../../../../daemon/inventory/control-client.js';
import { ControlServer, controlSocketPath } from '../../../../daemon/inventory/control-server.js';
import type { InventoryFeature } from '../../../../daemon/inventory/features.js';
import {
  HoldAlertListeners,
  type HoldAlertNotice,
} from '../../../../daemon/inventory/holds/hold-alert-listeners.js';
import { startHolds } from '../../../../daemon/inventory/holds/holds-feature.js';
import type { Inbound, InboundMessage } from '../../../../daemon/inventory/inbound.js';
import { InventoryStore } from '../../../../daemon/inventory/inventory-store.js';
import { ScanCommands } from '../../../../daemon/inventory/scan-commands.js';
import { silentLogger } from '../../../../daemon/log.js';
import { Pipeline } from '../../../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../../../daemon/read-points.js';
import { Recorder } from '../../../../daemon/recorder.js';
import { Smoother } from '../../../../daemon/smoothing/smoother.js';
import { MemoryOutbox } from '../../../support/memory-outbox.js';
import { openPtyDevice, type PtyDevice } from '../../../support/pty-device.js';
import { holdAlertErrors, holdUpdateErrors, ownErrors } from '../../../support/schemas.js';

const GTIN = '09506000134352';
const TOPICS = topics('readpoint/v1', 'dc', 'gw');
const [SITE_HOLDS, GATEWAY_HOLDS] = TOPICS.inputs.holds as [string, string];

/** The Inbound seam as the uplink fills it: subscriptions by filter, messages handed in order. */
class HandedInbound implements Inbound {
  readonly handlers = new Map<string, (m: InboundMessage) => void>();
  subscribe(filter: string, _o: { maxBytes: number }, onMessage: (m: InboundMessage) => void) {
    this.handlers.set(filter, onMessage);
    return () => this.handlers.delete(filter);
  }
  reply(): boolean {
    return false;
  }
  hand(topic: string, body: unknown): void {
    expect(holdUpdateErrors(body)).toEqual([]);
    this.handlers.get(topic)!({ topic, payload: Buffer.from(JSON.stringify(body)), retain: true });
  }
}

let dir: string;
let relay: PtyDevice;
let relayPort: SerialPort;
let relayBytes: Buffer;
let control: ControlServer;
let store: InventoryStore;
let feature: InventoryFeature | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-holds-'));
  relay = await openPtyDevice(dir, 'relay');
  relayBytes = Buffer.alloc(0);
  relayPort = new SerialPort({ path: relay.devicePath, baudRate: 9600 });
  relayPort.on('data', (b: Buffer) => {
    relayBytes = Buffer.concat([relayBytes, b]);
  });
  await new Promise((r) => relayPort.once('open', r));
});
afterEach(async () => {
  await feature?.stop();
  feature = undefined;
  await control?.close();
  await store?.close();
  await new Promise<void>((r) => relayPort.close(() => r()));
  await relay.close();
  await rm(dir, { recursive: true, force: true });
});

function configFor(extra = '', holds = ''): Config {
  return parseConfig(
    `gateway: { id: gw, site: dc }
dataDir: ${dir}
holds: { alertIntervalS: 60${holds} }
readPoints:
  - id: dock-1
    holdSignal: { path: ${relay.readerPath}, bytes: A00101A2, offBytes: A00100A1, offAfterMs: 0 }
  - id: staging
${extra}readers:
  - { id: gun, driver: serial-line, path: /dev/null, readPoint: dock-1 }
  - { id: gun2, driver: serial-line, path: /dev/null, readPoint: staging }
`,
    'holds.yaml',
  );
}

async function start(config = configFor()) {
  store = new InventoryStore(dir);
  await store.open();
  control = new ControlServer(silentLogger());
  const outbox = new MemoryOutbox();
  const recorder = new Recorder(outbox, { batchMax: 64, retryMs: 10 }, silentLogger());
  const points = readPointRuntimes(config, TOPICS);
  const smoother = new Smoother({ maxTracked: 1000 }, new Map([...points].map(([id, p]) => [id, p.rules])));
  const events = new EventWriter(points, recorder);
  const scanCommands = new ScanCommands();
  const inbound = new HandedInbound();
  // A console's listener, and one that throws: the alerts and the other listener go on.
  const holdAlerts = new HoldAlertListeners();
  const notices: HoldAlertNotice[] = [];
  holdAlerts.add(() => {
    throw new Error('a broken screen');
  });
  holdAlerts.add((n) => notices.push(n));
  feature = await startHolds({
    config,
    topics: TOPICS,
    store,
    inbound,
    control,
    recorder,
    events,
    smoother,
    scanCommands,
    holdAlerts,
    log: silentLogger(),
  });
  await control.listen(controlSocketPath(dir));
  const pipeline = (id: string) =>
    new Pipeline({
      gatewayId: 'gw',
      reader: config.readers.find((r) => r.id === id)!,
      smoother,
      events,
      publishReject: () => {},
      log: silentLogger(),
      scanCommands,
    });
  const readers = { gun: pipeline('gun'), gun2: pipeline('gun2') };
  let ms = 0;
  const T0 = Date.now();
  const scan = async (reader: 'gun' | 'gun2', serial: string, lot: string) => {
    ms += 20_000; // each scan a new pass: the passes before it end
    await events.write(smoother.tick(ms, T0 + ms));
    await readers[reader].read({
      readerId: reader,
      kind: 'barcode',
      data: Buffer.from(`]d201${GTIN}21${serial}\x1d10${lot}`, 'latin1'),
      at: T0 + ms,
      mono: ms,
    });
  };
  const stored = () =>
    [...outbox.entries.values()].map((e) => ({ topic: e.topic, body: JSON.parse(e.payload as string) }));
  const alerts = () => stored().filter((m) => m.topic.includes('/alerts/'));
  const health = () => feature!.health!();
  /** Waits until `n` upstream updates have come to an outcome (applied, ignored or rejected). */
  const settled = (n: number) =>
    vi.waitFor(
      () => {
        const u = health().updates as { applied: number; ignored: number; rejected: number };
        expect(u.applied + u.ignored + u.rejected).toBe(n);
      },
      { timeout: 10_000 },
    );
  return { inbound, scan, stored, alerts, notices, holdAlerts, health, settled };
}

async function stop() {
  await feature?.stop();
  feature = undefined;
  await control.close();
  await store.close();
}

describe('holds', () => {
  it('stays off without a holds section: no subscription, no command, no observer', async () => {
    const config = parseConfig(
      `gateway: { id: gw, site: dc }
readPoints: [{ id: dock-1 }]
readers: [{ id: gun, driver: serial-line, path: /dev/null, readPoint: dock-1 }]
`,
      'off.yaml',
    );
    const inbound = new HandedInbound();
    const registered: string[] = [];
    const observed: unknown[] = [];
    const started = await startHolds({
      config,
      topics: TOPICS,
      store: undefined as never, // never opened: the feature must not touch it
      inbound,
      control: { register: (name) => registered.push(name) },
      recorder: undefined as never,
      events: { observe: (o: unknown) => observed.push(o) } as never,
      smoother: undefined as never,
      scanCommands: new ScanCommands(),
      log: silentLogger(),
    });
    expect(started).toBeUndefined();
    expect([inbound.handlers.size, registered, observed]).toEqual([0, [], []]);
  });

  it('turns a recall by GTIN + lot into a local signal and an alert after the event, once per interval', async () => {
    const s = await start();
    s.inbound.hand(SITE_HOLDS, {
      version: 3,
      entries: [{ gtin: GTIN, lot: 'L42', reason: 'recall', reference: 'R-2026-118' }],
    });
    await vi.waitFor(() => expect(s.health().versions).toEqual({ site: 3 }), { timeout: 10_000 });
    await s.scan('gun', 'A1', 'L41');
    await s.scan('gun', 'A2', 'L42');
    await vi.waitFor(() => expect(relayBytes.toString('hex')).toBe('a00101a2a00100a1'), { timeout: 10_000 });
    await vi.waitFor(() => expect(s.alerts()).toHaveLength(1), { timeout: 10_000 });
    const all = s.stored();
    expect(all.map((m) => m.topic)).toEqual([
      'readpoint/v1/dc/gw/events/dock-1',
      'readpoint/v1/dc/gw/events/dock-1',
      'readpoint/v1/dc/gw/alerts/dock-1',
    ]);
    const event = all[1]!.body;
    expect(ownErrors(event)).toEqual([]);
    const alert = all[2]!.body;
    expect(holdAlertErrors(alert)).toEqual([]);
    expect(alert).toEqual({
      type: 'hold',
      gateway: 'gw',
      site: 'dc',
      readPoint: 'dock-1',
      reader: 'gun',
      time: event.eventTime,
      unit: `https://id.gs1.org/01/${GTIN}/21/A2`,
      gtin: GTIN,
      serial: 'A2',
      lot: 'L42',
      eventID: event.eventID,
      eventSequence: event['rp:sequence'],
      transition: 'arrival',
      hold: {
        list: 'site',
        version: 3,
        kind: 'lot',
        gtin: GTIN,
        lot: 'L42',
        reason: 'recall',
        reference: 'R-2026-118',
      },
      sequence: 3,
    });
    // The listeners are told the alert in short, once it is recorded; the throwing one is counted.
    const told = {
      unit: alert.unit,
      readPoint: 'dock-1',
      reader: 'gun',
      time: event.eventTime,
      list: 'site',
      kind: 'lot',
      reason: 'recall',
      reference: 'R-2026-118',
      sequence: 3,
      eventSequence: event['rp:sequence'],
      repeated: 0,
    };
    await vi.waitFor(() => expect(s.notices).toEqual([told]), { timeout: 10_000 });
    expect(s.holdAlerts.failures).toBe(1);
    // The same unit again within the interval: its event, no second alert; then elsewhere, a unit of the lot.
    await s.scan('gun', 'A2', 'L42');
    await s.scan('gun2', 'A3', 'L42');
    await vi.waitFor(() => expect(s.alerts()).toHaveLength(2), { timeout: 10_000 });
    expect(s.alerts()[1]!.body).toMatchObject({ readPoint: 'staging', serial: 'A3' });
    await vi.waitFor(() => expect(s.notices).toHaveLength(2), { timeout: 10_000 });
    expect(s.notices[1]).toEqual({
      ...told,
      unit: s.alerts()[1]!.body.unit,
      readPoint: 'staging',
      reader: 'gun2',
      time: s.alerts()[1]!.body.time,
      sequence: s.alerts()[1]!.body.sequence,
      eventSequence: s.alerts()[1]!.body.eventSequence,
    });
    expect(s.holdAlerts.failures).toBe(2);
    expect(s.stored().filter((m) => m.topic.includes('/events/'))).toHaveLength(4);
    expect(s.health()).toMatchObject({
      entries: { lot: 1, total: 1 },
      hits: 3,
      alerts: 2,
      alertsHeldBack: 1,
      signals: 1,
      signalFailures: 0,
      updates: { applied: 1, ignored: 0, rejected: 0 },
    });
  });

  it('never lets an older version replace a newer list, and takes increments on their base only', async () => {
    const s = await start();
    s.inbound.hand(GATEWAY_HOLDS, { version: 5, entries: [{ gtin: GTIN, lot: 'L1' }] });
    s.inbound.hand(GATEWAY_HOLDS, { version: 4, entries: [{ gtin: GTIN, lot: 'L2' }] });
    s.inbound.hand(GATEWAY_HOLDS, { version: 7, base: 6, add: [{ gtin: GTIN, lot: 'L3' }] });
    s.inbound.hand(GATEWAY_HOLDS, {
      version: 6,
      base: 5,
      add: [{ gtin: GTIN, lot: 'L4' }],
      remove: [{ gtin: GTIN, lot: 'L1' }],
    });
    s.inbound.handlers.get(GATEWAY_HOLDS)!({
      topic: GATEWAY_HOLDS,
      payload: Buffer.from('{"version": 8, "entries": [{"gtin": "1"}]}'),
      retain: true,
    });
    await s.settled(5);
    expect(s.health()).toMatchObject({
      versions: { gateway: 6 },
      updates: { applied: 2, ignored: 2, rejected: 1 },
    });
    for (const [serial, lot] of [
      ['1', 'L1'],
      ['2', 'L2'],
      ['3', 'L3'],
      ['4', 'L4'],
    ])
      await s.scan('gun2', serial!, lot!);
    await vi.waitFor(() => expect(s.alerts()).toHaveLength(1), { timeout: 10_000 });
    expect(s.alerts()[0]!.body).toMatchObject({ lot: 'L4', hold: { list: 'gateway', version: 6 } });

    // After a restart the lists are there, and the old version is still ignored.
    await stop();
    const again = await start();
    expect(again.health()).toMatchObject({ versions: { gateway: 6 }, entries: { lot: 1, total: 1 } });
    again.inbound.hand(GATEWAY_HOLDS, { version: 5, entries: [{ gtin: GTIN, lot: 'L1' }] });
    await vi.waitFor(() => expect(again.health().updates).toMatchObject({ ignored: 1 }), { timeout: 10_000 });
    await again.scan('gun2', '9', 'L4');
    await vi.waitFor(() => expect(again.alerts()).toHaveLength(1), { timeout: 10_000 });
  });

  it('refuses an update, an add or an import the index has no room for within holds.indexMb, whole', async () => {
    // 1 MiB: a table of 65,536 slots; a full list of 32,768 entries, 49,152 in all before it doubles.
    const s = await start(configFor('', ', indexMb: 1'));
    expect(s.health()).toMatchObject({ entries: { total: 0 }, indexLimitBytes: 1024 * 1024 });
    const lots = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ gtin: GTIN, lot: `L${from + i}`, reason: 'recall' }));
    s.inbound.hand(SITE_HOLDS, { version: 1, entries: lots(0, 32_000) });
    s.inbound.hand(SITE_HOLDS, { version: 2, base: 1, add: lots(32_000, 17_153) });
    await s.settled(2);
    expect(s.health()).toMatchObject({
      entries: { lot: 32_000, total: 32_000 },
      indexBytes: 1024 * 1024,
      versions: { site: 1 },
      updates: { applied: 1, ignored: 0, rejected: 1 },
    });
    await s.scan('gun', 'A', 'L31999');
    await s.scan('gun', 'B', 'L32000'); // in the refused increment
    await vi.waitFor(() => expect(s.alerts()).toHaveLength(1), { timeout: 10_000 });
    expect(s.alerts()[0]!.body).toMatchObject({ serial: 'A', hold: { list: 'site', version: 1 } });

    // An import asks first: 17,152 more fit, 17,153 do not.
    expect(await askDaemon(dir, 'holds.room', { slots: 17_152, ranges: 0 })).toEqual({
      bytes: 1024 * 1024,
      limitBytes: 1024 * 1024,
    });
    await expect(askDaemon(dir, 'holds.room', { slots: 17_153, ranges: 0 })).rejects.toThrow(
      'the hold index would take 2 MiB, more than holds.indexMb (1 MiB): nothing was changed',
    );
    await expect(askDaemon(dir, 'holds.room', { slots: -1, ranges: 0 })).rejects.toThrow(
      'slots must be a whole number from 0 to',
    );
    // Local adds over the control socket: those that fit are taken, the next refused with why.
    for (let i = 0; i < 3; i++)
      expect(await askDaemon(dir, 'holds.add', { entries: lots(40_000 + i * 5_000, 5_000) })).toEqual({
        version: i + 1,
        added: 5_000,
      });
    await expect(askDaemon(dir, 'holds.add', { entries: lots(60_000, 5_000) })).rejects.toThrow(
      'the hold index would take 2 MiB, more than holds.indexMb (1 MiB)',
    );
    // An import weighs its entries against the local list: those it has take no room.
    expect(
      await askDaemon(dir, 'holds.weigh', {
        entries: [...lots(40_000, 3), ...lots(90_000, 2), { gtin: GTIN, serials: { from: '1', to: '9' } }],
      }),
    ).toEqual({ slots: 3, ranges: 1 });
    await expect(askDaemon(dir, 'holds.weigh', { entries: [] })).rejects.toThrow(
      'entries must be a non-empty array',
    );
    expect(s.health()).toMatchObject({ entries: { total: 47_000 }, versions: { site: 1, local: 3 } });
    // Refused changes keep the index within its limit: nothing to warn of.
    expect(feature!.warnings!()).toEqual([]);
  });

  it('adds, lists in pages and removes local holds over the control socket', async () => {
    const s = await start();
    const entries = Array.from({ length: 5 }, (_, i) => ({
      unit: `https://id.gs1.org/01/${GTIN}/21/U${i}`,
      reason: 'damaged',
    }));
    expect(await askDaemon(dir, 'holds.add', { entries })).toEqual({ version: 1, added: 5 });
    const first = (await askDaemon(dir, 'holds.list', { list: 'local', limit: 3 })) as {
      holds: { unit: string }[];
      next: string;
      versions: unknown;
    };
    expect(first.versions).toEqual({ local: 1 });
    expect(first.holds.map((h) => h.unit)).toEqual(entries.slice(0, 3).map((e) => e.unit));
    const second = (await askDaemon(dir, 'holds.list', { list: 'local', limit: 3, after: first.next })) as {
      holds: { unit: string; list: string; kind: string }[];
      next?: string;
    };
    expect(second.holds.map((h) => [h.list, h.kind, h.unit])).toEqual(
      entries.slice(3).map((e) => ['local', 'unit', e.unit]),
    );
    expect(second.next).toBeUndefined();
    expect(await askDaemon(dir, 'holds.remove', { entries: [entries[0], { unit: 'urn:x:none' }] })).toEqual({
      version: 2,
      removed: 1,
    });
    await s.scan('gun', 'U0', 'L1');
    await s.scan('gun', 'U1', 'L1');
    await vi.waitFor(() => expect(s.alerts()).toHaveLength(1), { timeout: 10_000 });
    expect(s.alerts()[0]!.body).toMatchObject({
      serial: 'U1',
      hold: { list: 'local', version: 2, reason: 'damaged' },
    });
    await expect(askDaemon(dir, 'holds.add', { entries: [{ gtin: GTIN, lot: '' }] })).rejects.toThrow(
      'entries[0]: lot must be printable text of 1-20 characters',
    );
    await expect(askDaemon(dir, 'holds.list', { list: 'everything' })).rejects.toThrow('list must be one of');
  });

  it('runs a configured command as the signal, with what was seen in its environment', async () => {
    const out = join(dir, 'signal.txt');
    const script =
      "require('fs').writeFileSync(process.argv[1], process.env.READPOINT_READ_POINT + ' ' + process.env.READPOINT_UNIT)";
    const s = await start(
      configFor(`    holdSignal: { command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(script)}, ${JSON.stringify(out)}] }
`),
    );
    await askDaemon(dir, 'holds.add', {
      entries: [{ epcPattern: 'urn:epc:idpat:sgtin:9506000.013435.[100-200]' }],
    });
    await s.scan('gun2', '150', 'L1');
    await vi.waitFor(() => expect(s.health()).toMatchObject({ signals: 1 }), { timeout: 10_000 });
    expect(await readFile(out, 'utf8')).toBe(`staging https://id.gs1.org/01/${GTIN}/21/150`);
    expect(s.alerts()[0]?.body.hold).toMatchObject({ kind: 'range', serials: { from: '100', to: '200' } });
  });
});
