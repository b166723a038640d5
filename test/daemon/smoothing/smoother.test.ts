/**
 * Every smoothing rule, driven by a test clock: reads and ticks carry exact monotonic times, and
 * the wall clock is the monotonic one plus a fixed offset.
 */
import { describe, expect, it } from 'vitest';
import { decodeRead } from '../../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../../daemon/identity/epc-encode.js';
import type { UnitRead, Zone } from '../../../daemon/smoothing/pass.js';
import { BYTES_PER_PASS } from '../../../daemon/smoothing/pass-table.js';
import { type ReadPointRules, Smoother } from '../../../daemon/smoothing/smoother.js';
import type { Transition } from '../../../daemon/smoothing/transition.js';

const WALL = 1_800_000_000_000;
const FORMAT = { data: 'aim' as const, plainSerial: [] };
/** Tag `n` (urn:epc:id:sgtin:0614141.812345.<n>) as read: its identity and its raw bytes. */
const unit = (n: number): Pick<UnitRead, 'identity' | 'raw'> => {
  const data = encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: n });
  const decoded = decodeRead({ kind: 'epc', data }, FORMAT);
  if (!decoded.ok) throw new Error(decoded.reject.message);
  return { identity: decoded.identity, raw: { data, kind: 'epc', format: FORMAT } };
};

/** A test clock and a smoother with one read point per entry of `rules`. */
function setup(rules: Record<string, Partial<ReadPointRules>>, maxTracked = 1000) {
  const all = new Map<string, ReadPointRules>();
  for (const [id, r] of Object.entries(rules)) {
    all.set(id, { departureMs: 1000, departures: false, twoZone: false, ...r });
  }
  const smoother = new Smoother({ maxTracked }, all);
  let now = 0;
  const log: string[] = [];
  const show = (t: Transition) =>
    `${t.time - WALL} ${t.kind} ${t.readPointId} ${t.pass.uri.split('.').at(-1)}` +
    (t.direction ? ` ${t.direction} ${t.confidence}` : '');
  return {
    smoother,
    log,
    /** A read of unit `n` at time `at` (ms). */
    read(n: number, at: number, more: Partial<UnitRead> = {}): Transition[] {
      now = at;
      const out = smoother.observe({
        ...unit(n),
        readerId: 'r1',
        readPointId: Object.keys(rules)[0]!,
        at: WALL + at,
        mono: at,
        ...more,
      });
      log.push(...out.map(show));
      return out;
    },
    tick(at: number): Transition[] {
      now = at;
      const out = smoother.tick(at, WALL + at);
      log.push(...out.map(show));
      return out;
    },
    get now() {
      return now;
    },
  };
}

describe('Smoother: arrival and departure', () => {
  it('reports one arrival per pass; reads within the departure time fold into it', () => {
    const c = setup({ door: {} });
    c.read(1, 0);
    c.read(1, 500);
    c.read(1, 1500); // 1000 after the last read: still the same pass
    c.read(2, 1500);
    c.tick(2400); // unit 2 was read 900 ago, unit 1 900 ago: nothing departs
    c.read(1, 2501); // 1001 after its last read: a new pass
    expect(c.log).toEqual(['0 arrival door 1', '1500 arrival door 2', '2501 arrival door 1']);
    expect(c.smoother.stats()).toEqual({
      tracked: 2,
      maxTracked: 1000,
      bytes: 2 * BYTES_PER_PASS,
      passes: 3,
      suppressed: 2,
      evicted: 0,
      fixtures: 0,
    });
  });

  it('reports departures when the read point asks, at the time the unit was last read', () => {
    const c = setup({ door: { departures: true } });
    c.read(1, 0);
    c.read(1, 800);
    c.read(2, 900);
    expect(c.tick(1800)).toEqual([]); // 1000 after unit 1's last read: not yet gone
    c.tick(1801);
    c.tick(1901);
    expect(c.log).toEqual([
      '0 arrival door 1',
      '900 arrival door 2',
      '800 departure door 1',
      '900 departure door 2',
    ]);
    expect(c.smoother.stats().tracked).toBe(0);
  });

  it('ends a departed pass on its next read when no tick came in between', () => {
    const c = setup({ door: { departures: true } });
    c.read(1, 0);
    const out = c.read(1, 5000);
    expect(out.map((t) => t.kind)).toEqual(['departure', 'arrival']);
    expect(c.log).toEqual(['0 arrival door 1', '0 departure door 1', '5000 arrival door 1']);
  });

  it("gives later transitions the identity decoded again from the pass's first read", () => {
    const c = setup({ door: { departures: true } });
    const [arrival] = c.read(42, 0);
    const [departure] = c.tick(5000);
    expect(arrival!.identity).toBe(
      unit(42).identity.uri === arrival!.pass.uri ? arrival!.identity : undefined,
    );
    expect(departure!.identity).toBeUndefined();
    expect(departure!.pass.identity()).toEqual(unit(42).identity);
  });

  it("gives an arrival the pass the table holds: the same fields as the pass's departure, read once", () => {
    const c = setup({ door: { departures: true } });
    for (const [n, more] of [
      [7, { antenna: 2, rssi: -58.5 }],
      [8, {}],
      [9, { antenna: 4, rssi: Number.NaN }],
    ] as const) {
      const [arrival] = c.read(n, 100 * n, more);
      const [departure] = c.tick(100 * n + 5000);
      const fields = (t: Transition) => {
        const { uri, readerId, antenna, rssi, firstAt, lastAt, readCount } = t.pass;
        return { uri, readerId, antenna, rssi, firstAt, lastAt, readCount };
      };
      expect(departure!.kind).toBe('departure');
      expect(fields(arrival!)).toEqual(fields(departure!));
      expect(fields(arrival!)).toEqual({
        uri: `urn:epc:id:sgtin:0614141.812345.${n}`,
        readerId: 'r1',
        antenna: 'antenna' in more ? more.antenna : undefined,
        rssi: n === 7 ? -58.5 : undefined,
        firstAt: WALL + 100 * n,
        lastAt: WALL + 100 * n,
        readCount: 1,
      });
      expect(arrival!.pass.identity()).toEqual(departure!.pass.identity());
      expect(arrival!.pass.identity()).toEqual(unit(n).identity);
    }
  });

  it("keeps each transition's pass as it was, though the table reuses the ended pass's place", () => {
    const c = setup({ door: { departures: true } });
    c.read(1, 0, { antenna: 3, rssi: -61 });
    c.read(1, 400, { antenna: 3, rssi: -65 });
    const [gone, again] = c.read(1, 5000, { antenna: 1, rssi: -40, readerId: 'r2' });
    expect(gone!.pass).toMatchObject({
      readCount: 2,
      rssi: -61,
      antenna: 3,
      readerId: 'r1',
      lastAt: WALL + 400,
    });
    expect(again!.pass).toMatchObject({
      readCount: 1,
      rssi: -40,
      antenna: 1,
      readerId: 'r2',
      firstAt: WALL + 5000,
    });
    expect(gone!.pass.identity()).toEqual(unit(1).identity);
  });

  it('starts a new pass when monotonic time goes backwards (a new clock source)', () => {
    const c = setup({ door: {} });
    c.read(1, 1000);
    c.read(1, 10);
    expect(c.log).toEqual(['1000 arrival door 1', '10 arrival door 1']);
  });

  it('keeps the strongest read: its RSSI, antenna and reader, and counts every read', () => {
    const c = setup({ door: { departures: true } });
    c.read(1, 0, { antenna: 1, rssi: -70 });
    c.read(1, 100, { antenna: 2, rssi: -52, readerId: 'r2' });
    c.read(1, 200, { antenna: 1, rssi: -60 });
    const [gone] = c.tick(2000);
    expect(gone).toMatchObject({ kind: 'departure', time: WALL + 200 });
    expect(gone!.pass).toMatchObject({ readCount: 3, rssi: -52, antenna: 2, readerId: 'r2', firstAt: WALL });
  });
});

describe('Smoother: presence and fixtures', () => {
  it('reports a unit that stays every presence period after its arrival, and not once gone', () => {
    const c = setup({ shelf: { presenceMs: 3000, departures: true } });
    for (let t = 0; t <= 7000; t += 500) {
      c.read(1, t);
      c.tick(t);
    }
    c.tick(8001); // unit 1 last read at 7000: departed
    c.tick(12_000);
    expect(c.log).toEqual([
      '0 arrival shelf 1',
      '3000 presence shelf 1',
      '6000 presence shelf 1',
      '7000 departure shelf 1',
    ]);
  });

  it('treats a unit read without a break for the fixture time as a fixture: silent from then on', () => {
    const c = setup({ door: { presenceMs: 2000, fixtureAfterMs: 5000, departures: true } });
    for (let t = 0; t <= 9000; t += 500) {
      c.read(1, t);
      if (t === 4000) c.read(2, t);
      c.tick(t);
    }
    expect(c.smoother.stats().fixtures).toBe(1);
    c.tick(20_000);
    // Unit 1 is reported until it becomes a fixture at 5000, then never again, not even when it
    // goes; unit 2 (one read) is an ordinary pass.
    expect(c.log).toEqual([
      '0 arrival door 1',
      '2000 presence door 1',
      '4000 arrival door 2', // read before the tick at 4000 reports unit 1 again
      '4000 presence door 1',
      '4000 departure door 2',
    ]);
    expect(c.smoother.stats()).toMatchObject({ tracked: 0, fixtures: 0 });
  });
  it('evicts a fixture that is waiting for its next report silently, and reports the others in order', () => {
    const c = setup(
      { door: { departureMs: 5000, presenceMs: 2000, fixtureAfterMs: 1000, departures: true } },
      100,
    );
    for (const t of [0, 500, 1000]) c.read(1, t); // a fixture from 1000; its report would be due at 2000
    for (let n = 2; n <= 100; n++) c.read(n, 1100);
    expect(c.smoother.stats()).toMatchObject({ tracked: 100, fixtures: 1 });
    c.read(101, 1150); // full: unit 1, the least recently read, is ended (silently) and its place reused
    expect(c.smoother.stats()).toMatchObject({ tracked: 100, fixtures: 0, evicted: 1 });
    c.tick(3150); // every other unit's report is due, each once, in the order of their arrivals
    c.tick(3200);
    const reports = c.log.filter((line) => line.includes('presence'));
    expect(reports).toEqual([
      ...Array.from({ length: 99 }, (_, i) => `3150 presence door ${i + 2}`),
      '3150 presence door 101',
    ]);
    expect(c.log.filter((line) => !line.includes('presence') && !line.includes('arrival'))).toEqual([]);
  });
});

describe('Smoother: direction at a two-zone dock door', () => {
  const pass = (zones: Zone[], step = 100) => {
    const c = setup({ dock: { twoZone: true } });
    zones.forEach((zone, i) => {
      c.read(7, i * step, { zone, antenna: zone === 'inside' ? 1 : 2 });
    });
    c.tick(zones.length * step + 2000);
    return c.log;
  };

  it('reports one passage per pass, at its end: outside then inside is inbound', () => {
    expect(pass(['outside', 'outside', 'inside', 'inside'])).toEqual(['300 passage dock 7 inbound 1']);
  });

  it('inside then outside is outbound', () => {
    expect(pass(['inside', 'outside', 'outside'])).toEqual(['200 passage dock 7 outbound 1']);
  });

  it('lowers the confidence by the share of reads out of order', () => {
    // outside, inside, outside (out of order), inside, inside: 4 of 5 agree.
    expect(pass(['outside', 'inside', 'outside', 'inside', 'inside'])).toEqual([
      '400 passage dock 7 inbound 0.8',
    ]);
    // Back and forth: 2 of 6 reads of the first zone came after the other zone's first read.
    expect(pass(['inside', 'outside', 'inside', 'outside', 'inside', 'outside'])).toEqual([
      '500 passage dock 7 outbound 0.67',
    ]);
  });

  it('seen in one zone only, the direction is unknown with confidence 0', () => {
    expect(pass(['inside', 'inside'])).toEqual(['100 passage dock 7 unknown 0']);
  });

  it('reports no arrival: the passage replaces arrival and departure', () => {
    const c = setup({ dock: { twoZone: true, departures: true } });
    expect(c.read(1, 0, { zone: 'outside' })).toEqual([]);
    expect(c.read(1, 10, { zone: 'inside' })).toEqual([]);
    expect(c.tick(2000).map((t) => t.kind)).toEqual(['passage']);
  });
});

describe('Smoother: bounded memory', () => {
  it('ends the least recently read pass early when full, reporting it as usual', () => {
    const c = setup({ door: { departures: true } }, 100);
    for (let n = 0; n < 100; n++) c.read(n, n);
    c.read(0, 100); // unit 0 is now the most recent
    c.read(100, 101); // full: unit 1 is ended early
    expect(c.log.slice(-2)).toEqual(['101 arrival door 100', '1 departure door 1']);
    expect(c.smoother.stats()).toMatchObject({ tracked: 100, evicted: 1 });
    c.read(1, 102); // a new pass (a duplicate arrival, nothing lost), which ends unit 2 early
    expect(c.log.slice(-2)).toEqual(['102 arrival door 1', '2 departure door 2']);
  });

  it('ends the least recently read passes at the bound, and a unit ended so arrives again in a reused slot', () => {
    const c = setup({ door: { departures: true }, lane: { departures: true } }, 3);
    c.read(1, 0);
    c.read(2, 10);
    c.read(1, 20, { readPointId: 'lane' }); // the same unit at another read point: a pass of its own
    c.read(2, 30); // unit 2 at the door read again: unit 1 there is now the oldest
    c.read(3, 40);
    const ended = c.read(4, 50);
    c.read(1, 60);
    expect(c.log).toEqual([
      '0 arrival door 1',
      '10 arrival door 2',
      '20 arrival lane 1',
      '40 arrival door 3',
      '0 departure door 1',
      '50 arrival door 4',
      '30 departure door 2',
      '60 arrival door 1',
      '40 departure door 3',
    ]);
    // Each pass's URI and first read come back from the table as they went in.
    expect(ended.map((t) => [t.pass.uri, t.pass.identity().uri])).toEqual([
      [unit(4).identity.uri, unit(4).identity.uri],
      [unit(2).identity.uri, unit(2).identity.uri],
    ]);
    const again = c.tick(5000);
    expect(again.map((t) => [t.readPointId, t.pass.uri, t.pass.readCount, t.pass.identity().uri])).toEqual([
      ['door', unit(4).identity.uri, 1, unit(4).identity.uri],
      ['door', unit(1).identity.uri, 1, unit(1).identity.uri],
      ['lane', unit(1).identity.uri, 1, unit(1).identity.uri],
    ]);
    expect(c.smoother.stats()).toMatchObject({ tracked: 0, passes: 6, suppressed: 1, evicted: 3 });
  });

  it('holds 200,000 units within the bound', () => {
    const c = setup({ door: {} }, 1000);
    for (let n = 0; n < 200_000; n++) c.smoother.observe({ ...readOf(n), mono: n, at: WALL + n });
    expect(c.smoother.stats()).toEqual({
      tracked: 1000,
      maxTracked: 1000,
      bytes: 1000 * BYTES_PER_PASS,
      passes: 200_000,
      suppressed: 0,
      evicted: 199_000,
      fixtures: 0,
    });
  });
});

const readOf = (n: number) => ({ ...unit(n), readerId: 'r1', readPointId: 'door' });

describe('Smoother: live reload and the sweep', () => {
  it('ends the passes of a changed read point as departures under the old rules, keeps the others', () => {
    const c = setup({ door: { departures: true }, lane: { departures: true } });
    c.read(1, 0);
    c.read(2, 100);
    c.read(3, 200, { readPointId: 'lane' });
    const ended = c.smoother.reconfigure(
      new Map([
        ['door', { departureMs: 5000, departures: false, twoZone: false }],
        ['lane', { departureMs: 1000, departures: true, twoZone: false }],
      ]),
      ['door'],
    );
    expect(ended.map((t) => [t.kind, t.readPointId, t.pass.uri.split('.').at(-1), t.time - WALL])).toEqual([
      ['departure', 'door', '1', 0],
      ['departure', 'door', '2', 100],
    ]);
    expect(c.smoother.stats().tracked).toBe(1);
    // door starts afresh under its new rules (no departures now); lane kept its open pass.
    c.read(1, 300);
    c.read(3, 400, { readPointId: 'lane' });
    expect(c.tick(10_000).map((t) => [t.kind, t.readPointId])).toEqual([['departure', 'lane']]);
    expect(c.log).toEqual([
      '0 arrival door 1',
      '100 arrival door 2',
      '200 arrival lane 3',
      '300 arrival door 1',
      '400 departure lane 3',
    ]);
  });

  it('ends the passes of a removed read point and forgets it', () => {
    const c = setup({ door: { departures: true }, lane: {} });
    c.read(1, 0);
    const ended = c.smoother.reconfigure(
      new Map([['lane', { departureMs: 1000, departures: false, twoZone: false }]]),
      [],
    );
    expect(ended.map((t) => t.kind)).toEqual(['departure']);
    expect(c.smoother.stats().tracked).toBe(0);
    expect(() => c.read(2, 10)).toThrow('read point door has no smoothing rules');
  });

  it('sweeps passes past their departure window wherever they sit in the order', () => {
    const c = setup({ door: { departures: true } });
    // A read handed over late (read at 100, after another reader's read at 900) sits behind a
    // younger pass in the order, where tick() does not look.
    c.read(1, 900);
    c.read(2, 100);
    expect(c.tick(1500)).toEqual([]);
    const swept = c.smoother.sweep(1500);
    expect(swept.ended).toBe(1);
    expect(swept.transitions.map((t) => [t.kind, t.pass.uri.split('.').at(-1)])).toEqual([
      ['departure', '2'],
    ]);
    expect(c.smoother.stats().tracked).toBe(1);
    expect(c.smoother.sweep(1500)).toEqual({ ended: 0, transitions: [] });
  });
});
