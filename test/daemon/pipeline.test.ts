/**
 * The pipeline from raw reads to events in the outbox, with the real decoder, smoother, event
 * writer and recorder (the outbox in memory): antenna maps, RSSI floors, no-reads, and the
 * transitions of a pass at a two-zone dock door.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { topics } from '../../daemon/contract/topics.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import type { NumberedEvent } from '../../daemon/inventory/observers.js';
import { type ScanCommand, ScanCommands } from '../../daemon/inventory/scan-commands.js';
import { silentLogger } from '../../daemon/log.js';
import { Pipeline } from '../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../daemon/read-points.js';
import { Recorder } from '../../daemon/recorder.js';
import { Smoother } from '../../daemon/smoothing/smoother.js';
import { type ReadOutcome, ReadTaps } from '../../daemon/taps/read-taps.js';
import type { RawRead } from '../../drivers/driver.js';
import { MemoryOutbox } from '../support/memory-outbox.js';
import { ownErrors } from '../support/schemas.js';

const config = parseConfig(
  `gateway: { id: gw, site: s }
readPoints:
  - { id: dock-3, suppressionS: 2, direction: { inbound: receiving, outbound: shipping } }
  - { id: staging, suppressionS: 2, departures: true, bizStep: storing }
  - { id: packing, bizStep: packing }
readers:
  - id: rfid
    driver: serial-line
    path: /dev/null
    readPoint: staging
    rssiFloorDbm: -75
    antennaMap:
      - { antenna: 1, readPoint: dock-3, zone: outside }
      - { antenna: 2, readPoint: dock-3, zone: inside, rssiFloorDbm: -65 }
  - id: gun
    driver: serial-line
    path: /dev/null
    readPoint: packing
    noRead: [NR]
    multiReadSeparator: ";"
`,
  't.yaml',
);

function setup() {
  const outbox = new MemoryOutbox();
  const recorder = new Recorder(outbox, { batchMax: 64, retryMs: 10 }, silentLogger());
  const points = readPointRuntimes(config, topics('readpoint/v1', 's', 'gw'));
  const smoother = new Smoother({ maxTracked: 1000 }, new Map([...points].map(([id, p]) => [id, p.rules])));
  const events = new EventWriter(points, recorder);
  const rejects: { code: string; readPoint: string }[] = [];
  const scanCommands = new ScanCommands();
  const taps = new ReadTaps();
  const pipeline = (readerId: string) =>
    new Pipeline({
      gatewayId: 'gw',
      reader: config.readers.find((r) => r.id === readerId)!,
      smoother,
      events,
      publishReject: (r) => rejects.push({ code: r.code, readPoint: r.readPoint ?? '' }),
      log: silentLogger(),
      scanCommands,
      taps,
    });
  /** The events in the outbox, in sequence order, each checked against the event schema. */
  const stored = () =>
    [...outbox.entries.values()].map((e) => {
      const event = JSON.parse(e.payload as string);
      expect(ownErrors(event)).toEqual([]);
      return event;
    });
  return {
    smoother,
    events,
    rfid: pipeline('rfid'),
    gun: pipeline('gun'),
    rejects,
    stored,
    outbox,
    scanCommands,
    taps,
  };
}

const T0 = Date.UTC(2026, 10, 29, 6, 0, 0);
const tag = (serial: number) =>
  encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial });
const rfidRead = (serial: number, ms: number, antenna: number, rssi: number): RawRead => ({
  readerId: 'rfid',
  kind: 'epc',
  data: tag(serial),
  at: T0 + ms,
  mono: ms,
  antenna,
  rssi,
});

describe('Pipeline', () => {
  it('splits a multi-read trigger into its codes, in order, and reports the multi-read', async () => {
    const s = setup();
    const code = (serial: string) => `]d2010950600013435221${serial}\x1d10LOT1`;
    await s.gun.read({
      readerId: 'gun',
      kind: 'barcode',
      data: Buffer.from(`${code('A1')};${code('A2')};;${code('A1')};]d2BROKEN`, 'latin1'),
      at: T0,
      mono: 0,
    });
    expect(s.gun.counters).toMatchObject({ reads: 1, multiReads: 1, events: 2, suppressed: 1, rejected: 1 });
    expect(s.rejects.map((r) => r.code)).toEqual(['multi-read', 'unknown-ai']);
    expect(Object.fromEntries(s.gun.rejectCodes)).toEqual({ 'unknown-ai': 1 }); // a multi-read is no reject
    expect(s.stored().map((e) => e['rp:unit'].serial)).toEqual(['A1', 'A2']);
  });

  it('gives a barcode a scan command takes to it alone (no event, no reject), and others on', async () => {
    const s = setup();
    const taken: ScanCommand[] = [];
    const stop = s.scanCommands.add((scan) => {
      if (scan.data.toString('latin1') !== 'CLOSE') return false;
      taken.push(scan);
      return true;
    });
    const scan = (text: string, ms: number) =>
      s.gun.read({
        readerId: 'gun',
        kind: 'barcode',
        data: Buffer.from(text, 'latin1'),
        at: T0 + ms,
        mono: ms,
      });
    await scan('CLOSE', 0);
    await scan(']d2010950600013435221A1\x1d10LOT1', 1);
    stop();
    await scan('CLOSE', 2);
    expect(taken.map((t) => [t.readerId, t.readPointId, t.data.toString(), t.at])).toEqual([
      ['gun', 'packing', 'CLOSE', T0],
    ]);
    expect(s.gun.counters).toMatchObject({ reads: 3, commands: 1, events: 1, rejected: 1 });
    expect(s.stored().map((e) => e['rp:unit'].serial)).toEqual(['A1']);
  });

  it('shows read taps every raw read first, then each decoded code with its read point, unit or reject', async () => {
    const s = setup();
    const raws: string[] = [];
    const seen: [string, ReadOutcome][] = [];
    const stop = s.taps.add({
      raw: (r) => raws.push(r.data.toString('latin1')),
      seen: (r, o) => seen.push([r.data.toString('latin1'), o]),
    });
    const code = (serial: string) => `]d2010950600013435221${serial}\x1d10LOT1`;
    await s.gun.read({
      readerId: 'gun',
      kind: 'barcode',
      data: Buffer.from(`${code('A1')};]d2BROKEN`),
      at: T0,
      mono: 0,
    });
    await s.gun.read({ readerId: 'gun', kind: 'barcode', data: Buffer.from('NR'), at: T0 + 1, mono: 1 });
    await s.rfid.read(rfidRead(7, 2, 2, -70)); // below antenna 2's floor of -65
    stop();
    await s.gun.read({
      readerId: 'gun',
      kind: 'barcode',
      data: Buffer.from(code('A2')),
      at: T0 + 3,
      mono: 3,
    });
    expect(raws).toEqual([`${code('A1')};]d2BROKEN`, 'NR', tag(7).toString('latin1')]);
    expect(seen).toEqual([
      [
        code('A1'),
        {
          readPointId: 'packing',
          zone: undefined,
          unit: 'https://id.gs1.org/01/09506000134352/21/A1',
          belowFloor: false,
        },
      ],
      [']d2BROKEN', { readPointId: 'packing', zone: undefined, reject: 'unknown-ai', belowFloor: false }],
      [
        tag(7).toString('latin1'),
        {
          readPointId: 'dock-3',
          zone: 'inside',
          unit: 'urn:epc:id:sgtin:0614141.812345.7',
          belowFloor: true,
        },
      ],
    ]);
  });

  it('tells event observers each event as it is numbered, with its eventID and topic', async () => {
    const s = setup();
    const seen: NumberedEvent[] = [];
    s.events.observe({ eventNumbered: (e) => seen.push(e) });
    s.events.observe({
      eventNumbered: () => {
        throw new Error('a broken observer');
      },
    });
    await s.gun.read({
      readerId: 'gun',
      kind: 'barcode',
      data: Buffer.from(']d2010950600013435221A1\x1d10LOT1;]d2010950600013435221A2\x1d10LOT1', 'latin1'),
      at: T0,
      mono: 0,
    });
    const stored = s.stored();
    expect(seen.map((e) => [e.seq, e.eventId, e.topic, e.sighting.identity.serial])).toEqual(
      stored.map((e) => [
        e['rp:sequence'],
        e.eventID,
        'readpoint/v1/s/gw/events/packing',
        e['rp:unit'].serial,
      ]),
    );
    expect(seen).toHaveLength(2);
  });

  it('sends each antenna to its read point and zone, and drops reads below its floor', async () => {
    const s = setup();
    await s.rfid.read(rfidRead(1, 0, 1, -60)); // dock-3 outside
    await s.rfid.read(rfidRead(1, 100, 2, -70)); // dock-3 inside, but below its -65 floor
    await s.rfid.read(rfidRead(1, 200, 2, -50)); // dock-3 inside
    await s.rfid.read(rfidRead(2, 300, 5, -74)); // unmapped: staging
    await s.rfid.read(rfidRead(3, 300, 5, -80)); // below the reader's floor
    expect(s.rfid.counters).toMatchObject({ reads: 5, belowFloor: 2, events: 1, suppressed: 2 });
    // Passages and departures come from the tick, 2 s after each unit's last read.
    await s.events.write(s.smoother.tick(2301, T0 + 2301));
    const events = s.stored();
    expect(events.map((e) => [e['rp:readPoint'], e['rp:transition'], e.epcList[0], e.bizStep])).toEqual([
      ['staging', 'arrival', 'urn:epc:id:sgtin:0614141.812345.2', 'storing'],
      ['dock-3', 'passage', 'urn:epc:id:sgtin:0614141.812345.1', 'receiving'],
      ['staging', 'departure', 'urn:epc:id:sgtin:0614141.812345.2', 'storing'],
    ]);
    expect(events[1]).toMatchObject({
      'rp:direction': 'inbound',
      'rp:directionConfidence': 1,
      'rp:readCount': 2,
      'rp:antenna': 2,
      'rp:rssi': -50,
      'rp:firstSeen': new Date(T0).toISOString(),
      eventTime: new Date(T0 + 200).toISOString(),
    });
    expect([...s.outbox.entries.values()].map((e) => e.topic)).toEqual([
      'readpoint/v1/s/gw/events/staging',
      'readpoint/v1/s/gw/events/dock-3',
      'readpoint/v1/s/gw/events/staging',
    ]);
  });

  it('reports a no-read as a no-read, not as a bad read, and decodes the next trigger', async () => {
    const s = setup();
    const at = T0;
    await s.gun.read({ readerId: 'gun', kind: 'barcode', data: Buffer.from('NR'), at, mono: 0 });
    await s.gun.read({
      readerId: 'gun',
      kind: 'barcode',
      data: Buffer.from(']d2010950600013435221SN1\x1d10LOT1', 'latin1'),
      at: at + 5,
      mono: 5,
    });
    await s.gun.read({ readerId: 'gun', kind: 'barcode', data: Buffer.from('NRX'), at: at + 9, mono: 9 });
    expect(s.gun.counters).toMatchObject({ reads: 3, noReads: 1, rejected: 1, events: 1 });
    expect(Object.fromEntries(s.gun.rejectCodes)).toEqual({ 'no-aim-id': 1 });
    expect(s.rejects).toEqual([
      { code: 'no-read', readPoint: 'packing' },
      { code: 'no-aim-id', readPoint: 'packing' },
    ]);
    expect(s.stored().map((e) => [e['rp:transition'], e.bizStep])).toEqual([['arrival', 'packing']]);
  });

  it("writes each read's own transitions only, reads handed over in one turn as a driver's window is", async () => {
    const s = setup();
    // Antenna 3 is not in the map: the reader's read point, staging, which reports departures.
    const reads = [
      rfidRead(1, 0, 3, -60),
      rfidRead(2, 10, 3, -60),
      rfidRead(1, 20, 3, -60), // folded into its pass: no event
      rfidRead(1, 5000, 3, -55), // its pass has departed: a departure, then a new arrival
      rfidRead(3, 5001, 3, -60),
    ];
    await Promise.all(reads.map((r) => s.rfid.read(r)));
    expect(s.rfid.counters).toMatchObject({ reads: 5, events: 5, suppressed: 1 });
    expect(
      s.stored().map((e) => [e['rp:sequence'], e['rp:transition'], e.epcList[0], e['rp:readCount']]),
    ).toEqual([
      [1, 'arrival', 'urn:epc:id:sgtin:0614141.812345.1', 1],
      [2, 'arrival', 'urn:epc:id:sgtin:0614141.812345.2', 1],
      [3, 'departure', 'urn:epc:id:sgtin:0614141.812345.1', 2],
      [4, 'arrival', 'urn:epc:id:sgtin:0614141.812345.1', 1],
      [5, 'arrival', 'urn:epc:id:sgtin:0614141.812345.3', 1],
    ]);
  });

  it('turns a read that fails inside into a rejected promise, never a throw, and takes the next', async () => {
    const s = setup();
    const gun = config.readers.find((r) => r.id === 'gun')!;
    const lost = new Pipeline({
      gatewayId: 'gw',
      reader: { ...gun, readPoint: 'nowhere' },
      smoother: s.smoother,
      events: s.events,
      publishReject: () => {},
      log: silentLogger(),
    });
    const label = (serial: string): RawRead => ({
      readerId: 'gun',
      kind: 'barcode',
      data: Buffer.from(`]d2010950600013435221${serial}\x1d10LOT1`, 'latin1'),
      at: T0,
      mono: 0,
    });
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = lost.read(label('X1'));
    }).not.toThrow();
    await expect(promise).rejects.toThrow('read point nowhere has no smoothing rules');
    // A read folded into an open pass resolves as well as one that makes an event.
    await s.gun.read(label('X2'));
    await s.gun.read({ ...label('X2'), mono: 10 });
    expect(s.gun.counters).toMatchObject({ reads: 2, events: 1, suppressed: 1 });
    expect(s.stored().map((e) => e['rp:unit'].serial)).toEqual(['X2']);
  });
});
