/** What the console keeps of the reads and events: bounded, counted, in order. */
import { describe, expect, it } from 'vitest';
import { alertsOf } from '../../../daemon/console/health-history.js';
import { PassSampler } from '../../../daemon/console/pass-sampler.js';
import { ReadSampler, RSSI_BINS } from '../../../daemon/console/read-sampler.js';
import type { HealthPayload } from '../../../daemon/contract/topics.js';
import type { Sighting } from '../../../daemon/event/epcis.js';
import type { RawRead } from '../../../drivers/driver.js';

const T0 = Date.UTC(2026, 11, 7, 8, 0, 0);
const tag = (at: number, antenna: number, rssi: number): RawRead => ({
  readerId: 'door-3',
  kind: 'epc',
  data: Buffer.from('3074257bf7194e4000001a85', 'hex'),
  at,
  mono: at,
  antenna,
  rssi,
});

describe('the read sampler', () => {
  it('counts reads and RSSI per antenna per minute, over the last minutes only', () => {
    const s = new ReadSampler({ minutes: 3, streamPerSecond: 1000, streamSize: 10 });
    const seen = { readPointId: 'dock-3', zone: 'inside', belowFloor: false };
    s.seen(tag(T0, 1, -55), seen); // bin (-55+100)/2 = 22
    s.seen(tag(T0 + 1000, 1, -55.5), seen); // bin 22
    s.seen(tag(T0 + 2000, 1, -120), seen); // clamped to bin 0
    s.seen(tag(T0 + 60_000, 1, -10), seen); // next minute, clamped to the top bin
    s.seen(tag(T0 + 60_000, 2, -70), { readPointId: 'dock-3', zone: 'outside', belowFloor: true }); // bin 15
    const views = s.antennaViews(T0 + 61_000);
    expect(views.map((v) => [v.reader, v.antenna, v.readsPerMinute])).toEqual([
      ['door-3', 1, [0, 3, 1]],
      ['door-3', 2, [0, 0, 1]],
    ]);
    const bins = views[0]!.histogram;
    expect(bins).toHaveLength(RSSI_BINS);
    expect([bins[0], bins[22], bins[RSSI_BINS - 1]]).toEqual([1, 2, 1]);
    expect(bins.reduce((a, b) => a + b, 0)).toBe(4);
    expect(views[1]!.histogram[15]).toBe(1);
    // Three minutes on, the first minute is gone and its slot reused.
    s.seen(tag(T0 + 180_000, 1, -55), seen);
    const later = s.antennaViews(T0 + 180_000)[0]!;
    expect(later.readsPerMinute).toEqual([1, 0, 1]);
    expect(later.histogram[22]).toBe(1);
  });

  it('keeps a sample of each second for the stream, counts the rest, and remembers the newest', () => {
    const s = new ReadSampler({ minutes: 1, streamPerSecond: 2, streamSize: 3 });
    const ok = (unit: string) => ({ readPointId: 'dock-3', unit, belowFloor: false });
    for (let i = 0; i < 5; i++) s.seen(tag(T0 + i, 1, -50), ok(`u${i}`)); // one second: 2 kept, 3 not
    s.seen(
      { ...tag(T0 + 1000, 1, -50), kind: 'barcode', data: Buffer.from(']d2010950\x1d21AB') },
      {
        readPointId: 'dock-3',
        reject: 'check-digit',
        belowFloor: false,
      },
    );
    s.seen(tag(T0 + 1001, 1, -50), ok('u6'));
    expect(s.notShown).toBe(3);
    const all = s.readsAfter(0);
    // The ring holds the newest 3 of the 4 kept.
    expect(all.map((r) => r.n)).toEqual([2, 3, 4]);
    expect(all[0]!.unit).toBe('u1');
    expect(all[0]!.text).toBe('3074257BF7194E4000001A85');
    expect(all[1]).toMatchObject({ text: ']d2010950\\x1d21AB', reject: 'check-digit', readPoint: 'dock-3' });
    expect(s.readsAfter(3).map((r) => r.n)).toEqual([4]);
    expect(s.readsAfter(4)).toEqual([]);
    expect(s.lastRead('door-3')?.unit).toBe('u6');
  });
});

describe('the pass sampler', () => {
  it('counts events per read point by kind and direction and gives the new ones in order', () => {
    const p = new PassSampler(2);
    const event = (seq: number, transition: Sighting['transition'], direction?: Sighting['direction']) =>
      p.eventNumbered({
        seq,
        eventId: `urn:uuid:${seq}`,
        topic: 't',
        sighting: {
          identity: { uri: `urn:epc:id:sgtin:0614141.812345.${seq}` } as Sighting['identity'],
          readerId: 'door-3',
          readPointId: 'dock-3',
          firstSeen: T0 + seq,
          lastSeen: T0 + seq,
          readCount: seq,
          transition,
          ...(direction ? { direction, confidence: 0.875 } : {}),
        },
      });
    event(1, 'arrival');
    event(2, 'passage', 'inbound');
    event(3, 'passage', 'inbound');
    event(4, 'departure');
    expect(p.countsByReadPoint()).toEqual({ 'dock-3': { arrival: 1, 'passage inbound': 2, departure: 1 } });
    expect(p.after(0).map((t) => [t.seq, t.kind, t.direction, t.confidence])).toEqual([
      [3, 'passage', 'inbound', 0.875],
      [4, 'departure', undefined, undefined],
    ]);
    expect(p.after(3).map((t) => t.seq)).toEqual([4]);
  });

  it('counts every event but keeps at most perSecond of each second for the page', () => {
    const p = new PassSampler(10, 2);
    for (let seq = 1; seq <= 5; seq++)
      p.eventNumbered({
        seq,
        eventId: `urn:uuid:${seq}`,
        topic: 't',
        sighting: {
          identity: { uri: `u${seq}` } as Sighting['identity'],
          readerId: 'door-3',
          readPointId: 'dock-3',
          firstSeen: T0 + (seq === 5 ? 1000 : seq),
          lastSeen: T0,
          readCount: 1,
        },
      });
    expect(p.countsByReadPoint()).toEqual({ 'dock-3': { arrival: 5 } });
    expect(p.after(0).map((t) => t.seq)).toEqual([1, 2, 5]);
    expect(p.notShown).toBe(2);
  });
});

describe('the alerts', () => {
  it('name what needs an eye: a reader down, drops, a full disk, the uplink, warnings', () => {
    const health = {
      readers: [
        { id: 'door-3', state: 'disconnected', lastError: 'ENOENT /dev/ttyUSB0' },
        { id: 'conveyor', state: 'connected' },
      ],
      outbox: {
        writeError: 'ENOSPC',
        readingStopped: false,
        unannouncedDrops: 4,
        policy: 'drop-oldest',
        runwayS: 600,
      },
      uplink: { state: 'reconnecting' },
      warnings: ['broker.allowAnonymous beyond loopback'],
      inventory: {
        holds: { alerts: 2, alertFailures: 1 },
      },
      memory: { budgetBytes: 128 * 1048576, ownBytes: 210 * 1048576, limitBytes: 256 * 1048576 },
    } as unknown as HealthPayload;
    expect(alertsOf(health)).toEqual([
      'reader door-3 is disconnected: ENOENT /dev/ttyUSB0',
      'the outbox cannot be written: ENOSPC',
      '4 event(s) dropped by the outbox (drop-oldest)',
      'the outbox is full in 10 min at this rate',
      'uplink reconnecting',
      '2 hold alert(s) since start: units on a hold list were seen (the newest listed below)',
      '1 hold alert(s) could not be recorded',
      'the daemon uses 210 MiB of its 256 MiB memory limit: the kernel kills it at the limit',
      'broker.allowAnonymous beyond loopback',
    ]);
    // Below 80 % of the limit: nothing to say.
    const calm = {
      ...health,
      readers: [],
      outbox: { readingStopped: false, unannouncedDrops: 0, runwayS: null },
      uplink: { state: 'connected' },
      warnings: [],
      inventory: {
        holds: { alerts: 0, alertFailures: 0 },
      },
      memory: { budgetBytes: 128 * 1048576, ownBytes: 204 * 1048576, limitBytes: 256 * 1048576 },
    } as unknown as HealthPayload;
    expect(alertsOf(calm)).toEqual([]);
  });
});

describe('a busy door', () => {
  it('gives at most the newest `max` reads and events a message', () => {
    const s = new ReadSampler({ minutes: 1, streamPerSecond: 100, streamSize: 50 });
    for (let i = 0; i < 30; i++)
      s.seen(tag(T0 + i, 1, -50), { readPointId: 'dock-3', unit: `u${i}`, belowFloor: false });
    expect(s.readsAfter(0, 5).map((r) => r.n)).toEqual([26, 27, 28, 29, 30]);
    expect(s.readsAfter(28, 5).map((r) => r.n)).toEqual([29, 30]);
    const p = new PassSampler(50);
    for (let seq = 1; seq <= 30; seq++)
      p.eventNumbered({
        seq,
        eventId: `urn:uuid:${seq}`,
        topic: 't',
        sighting: {
          identity: { uri: `u${seq}` } as Sighting['identity'],
          readerId: 'door-3',
          readPointId: 'dock-3',
          firstSeen: T0,
          lastSeen: T0,
          readCount: 1,
        },
      });
    expect(p.after(0, 3).map((t) => t.seq)).toEqual([28, 29, 30]);
    expect(p.after(29, 3).map((t) => t.seq)).toEqual([30]);
  });
});
