/**
 * The consumer's logic behind `readpoint tail --dedup` (daemon/consumer/*, daemon/cli/tail-dedup.ts):
 * duplicates by eventID in a bounded window, gaps by sequence number per gateway, late fills,
 * overflow notices explaining gaps before or after they show.
 */
import { describe, expect, it } from 'vitest';
import { overflowFilterFor, tailOptions } from '../../daemon/cli/tail.js';
import { DedupLines } from '../../daemon/cli/tail-dedup.js';
import { Dedup, type Report } from '../../daemon/consumer/dedup.js';
import { RangeSet, split } from '../../daemon/consumer/ranges.js';

/** Feeds `[seq, id]` events of one gateway and returns every report, in order, compactly. */
function feed(dedup: Dedup, events: [number, string][], gateway = 's/g'): string[] {
  return events.flatMap(([seq, id]) => dedup.event(gateway, seq, id).map(short));
}

function short(r: Report): string {
  switch (r.kind) {
    case 'gap':
      return `gap ${r.from}-${r.to} ${r.explained ? 'explained' : 'unexplained'}`;
    case 'event':
      return `event ${r.seq}${r.behind ? ' behind' : ''}`;
    default:
      return `${r.kind} ${r.seq}`;
  }
}

describe('RangeSet', () => {
  it('merges overlapping and adjacent ranges, splits on delete, answers membership', () => {
    const s = new RangeSet();
    s.add(10, 12);
    s.add(1, 3);
    s.add(4, 5); // adjacent to 1-3
    s.add(20, 20);
    s.add(11, 15); // overlaps 10-12
    expect(s.list()).toEqual([
      [1, 5],
      [10, 15],
      [20, 20],
    ]);
    expect(s.size).toBe(5 + 6 + 1);
    expect(s.delete(12)).toBe(true);
    expect(s.delete(12)).toBe(false);
    expect(s.delete(20)).toBe(true);
    expect(s.delete(1)).toBe(true);
    expect(s.list()).toEqual([
      [2, 5],
      [10, 11],
      [13, 15],
    ]);
    expect([1, 2, 9, 11, 12, 13, 16].map((n) => s.has(n))).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    s.add(6, 9); // bridges 2-5 and 10-11
    expect(s.list()).toEqual([
      [2, 11],
      [13, 15],
    ]);
    expect(s.within(0, 14)).toEqual([
      [2, 11],
      [13, 14],
    ]);
    expect(split(s, 10, 16)).toEqual([
      { range: [10, 11], inside: true },
      { range: [12, 12], inside: false },
      { range: [13, 15], inside: true },
      { range: [16, 16], inside: false },
    ]);
    expect(s.dropLowest()).toBe(10);
    expect(s.count).toBe(1);
  });
});

describe('Dedup', () => {
  it('drops a redelivered eventID as a duplicate and delivers everything else once', () => {
    const d = new Dedup({ window: 100 });
    expect(
      feed(d, [
        [1, 'a'],
        [2, 'b'],
        [2, 'b'],
        [1, 'a'],
        [3, 'c'],
        [3, 'c'],
      ]),
    ).toEqual(['event 1', 'event 2', 'duplicate 2', 'duplicate 1', 'event 3', 'duplicate 3']);
    expect(d.summary()).toMatchObject({ events: 3, duplicates: 3, gaps: 0, missing: 0, unexplained: 0 });
  });

  it('takes the first number seen as the start of the stream, per gateway', () => {
    const d = new Dedup({ window: 100 });
    expect(d.event('s/g1', 1000, 'x').map(short)).toEqual(['event 1000']);
    expect(d.event('s/g2', 7, 'y').map(short)).toEqual(['event 7']);
    expect(d.event('s/g1', 1001, 'z').map(short)).toEqual(['event 1001']);
    expect(d.event('s/g2', 8, 'w').map(short)).toEqual(['event 8']);
    expect(d.summary()).toMatchObject({ events: 4, gaps: 0, gateways: 2 });
  });

  it('reports a gap before the event that reveals it, and a late fill as late, not as a duplicate', () => {
    const d = new Dedup({ window: 100 });
    expect(
      feed(d, [
        [1, 'e1'],
        [2, 'e2'],
        [6, 'e6'],
        [4, 'e4'],
        [7, 'e7'],
        [3, 'e3'],
        [4, 'e4'], // the late one again: now a duplicate by ID
        [5, 'e5'],
      ]),
    ).toEqual([
      'event 1',
      'event 2',
      'gap 3-5 unexplained',
      'event 6',
      'late 4',
      'event 7',
      'late 3',
      'duplicate 4',
      'late 5',
    ]);
    expect(d.summary()).toMatchObject({
      events: 7,
      late: 3,
      duplicates: 1,
      gaps: 1,
      missing: 3,
      explained: 0,
      unexplained: 0,
    });
  });

  it('explains a gap by an overflow notice seen before it, splitting what the notice does not cover', () => {
    const d = new Dedup({ window: 100 });
    d.event('s/g', 1, 'e1');
    const notice = d.overflow('s/g', [
      [3, 4],
      [7, 7],
    ]);
    expect(notice).toEqual({ kind: 'overflow', gateway: 's/g', fresh: 3, explains: [] });
    expect(feed(d, [[9, 'e9']])).toEqual([
      'gap 2-2 unexplained',
      'gap 3-4 explained',
      'gap 5-6 unexplained',
      'gap 7-7 explained',
      'gap 8-8 unexplained',
      'event 9',
    ]);
    // A gap is counted per line reported.
    expect(d.summary()).toMatchObject({ gaps: 5, missing: 7, explained: 3, unexplained: 4, dropped: 3 });
  });

  it('lets a notice that arrives after the gap explain it, once, however often the notice repeats', () => {
    const d = new Dedup({ window: 100 });
    expect(
      feed(d, [
        [1, 'e1'],
        [6, 'e6'],
        [3, 'e3'],
      ]),
    ).toEqual(['event 1', 'gap 2-5 unexplained', 'event 6', 'late 3']);
    // 3 arrived: a notice naming it (it was published, then dropped) explains only what is missing.
    expect(d.overflow('s/g', [[2, 4]])).toEqual({
      kind: 'overflow',
      gateway: 's/g',
      fresh: 3,
      explains: [
        [2, 2],
        [4, 4],
      ],
    });
    // At least once: the same ranges merged into a later notice with new ones.
    expect(
      d.overflow('s/g', [
        [2, 4],
        [5, 5],
        [20, 21],
      ]),
    ).toEqual({ kind: 'overflow', gateway: 's/g', fresh: 3, explains: [[5, 5]] });
    expect(feed(d, [[22, 'e22']])).toEqual(['gap 7-19 unexplained', 'gap 20-21 explained', 'event 22']);
    expect(d.summary()).toMatchObject({
      overflowNotices: 2,
      dropped: 6,
      gaps: 3,
      missing: 4 + 15,
      late: 1,
      explained: 3 + 2,
      unexplained: 13,
    });
  });

  it('keeps notices of each gateway apart', () => {
    const d = new Dedup({ window: 100 });
    d.overflow('s/g1', [[2, 3]]);
    feed(d, [[1, 'a1']], 's/g2');
    expect(feed(d, [[4, 'a4']], 's/g2')).toEqual(['gap 2-3 unexplained', 'event 4']);
    feed(d, [[1, 'b1']], 's/g1');
    expect(feed(d, [[4, 'b4']], 's/g1')).toEqual(['gap 2-3 explained', 'event 4']);
  });

  it('remembers at most `window` IDs, least recently seen forgotten first, and never drops what it forgot', () => {
    const d = new Dedup({ window: 2 });
    expect(
      feed(d, [
        [1, 'a'],
        [2, 'b'],
        [1, 'a'], // refreshes a: b is now the least recently seen
        [3, 'c'], // evicts b
        [1, 'a'],
        [2, 'b'], // forgotten: delivered again, marked behind
        [3, 'c'], // evicted by b
      ]),
    ).toEqual([
      'event 1',
      'event 2',
      'duplicate 1',
      'event 3',
      'duplicate 1',
      'event 2 behind',
      'event 3 behind',
    ]);
    expect(d.summary()).toMatchObject({ events: 5, duplicates: 2, behind: 2 });
  });

  it('bounds the gaps it tracks per gateway, counting what it forgot', () => {
    const d = new Dedup({ window: 100, maxRanges: 2 });
    expect(
      feed(d, [
        [1, 'e1'],
        [3, 'e3'],
        [5, 'e5'],
        [8, 'e8'],
        [2, 'e2'], // its gap was forgotten: not late, behind
        [4, 'e4'],
      ]),
    ).toEqual([
      'event 1',
      'gap 2-2 unexplained',
      'event 3',
      'gap 4-4 unexplained',
      'event 5',
      'gap 6-7 unexplained',
      'event 8',
      'event 2 behind',
      'late 4',
    ]);
    expect(d.summary()).toMatchObject({ gaps: 3, missing: 4, forgotten: 1, unexplained: 2, late: 1 });
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => new Dedup({ window: 0 })).toThrow(TypeError);
    expect(() => new Dedup({ window: 1.5 })).toThrow(/positive integer/);
  });
});

describe('DedupLines (the output of tail --dedup)', () => {
  const event = (seq: number, id: string) =>
    Buffer.from(
      JSON.stringify({
        eventID: id,
        eventTime: '2026-01-02T03:04:05.000Z',
        epcList: [`urn:epc:id:sgtin:0614141.812345.${seq}`],
        'rp:gateway': 'g',
        'rp:readPoint': 'dock-1',
        'rp:sequence': seq,
      }),
    );
  const notice = (ranges: [number, number][], total: number) =>
    Buffer.from(
      JSON.stringify({
        gateway: 'g',
        site: 's',
        policy: 'drop-oldest',
        dropped: ranges.reduce((n, [a, b]) => n + b - a + 1, 0),
        firstSeq: ranges[0]![0],
        lastSeq: ranges.at(-1)![1],
        firstAt: '2026-01-02T03:00:00.000Z',
        lastAt: '2026-01-02T03:00:01.000Z',
        ranges,
        totalDropped: total,
        time: '2026-01-02T03:00:02.000Z',
      }),
    );
  const T = 'readpoint/v1/s/g/events/dock-1';
  const O = 'readpoint/v1/s/g/overflow';

  it('writes one human-readable line per verdict and a summary', () => {
    const lines = new DedupLines({ window: 10, json: false });
    const problems: string[] = [];
    const out = (topic: string, payload: Buffer) => lines.message(topic, payload, (l) => problems.push(l));
    expect([
      ...out(T, event(1, 'u1')),
      ...out(T, event(1, 'u1')),
      ...out(T, event(4, 'u4')),
      ...out(O, notice([[2, 2]], 1)),
      ...out(T, event(3, 'u3')),
      ...out('readpoint/v1/s/g/events/dock-1', Buffer.from('not json')),
      ...out(T, Buffer.from('{"eventID":"x"}')),
    ]).toEqual([
      'event     s/g #1 dock-1 urn:epc:id:sgtin:0614141.812345.1 2026-01-02T03:04:05.000Z',
      'duplicate s/g #1 u1 (dropped)',
      'gap       s/g #2-#3 (2 missing) UNEXPLAINED',
      'event     s/g #4 dock-1 urn:epc:id:sgtin:0614141.812345.4 2026-01-02T03:04:05.000Z',
      'overflow  s/g #2 (1 dropped, drop-oldest, 1 in total) explains #2',
      'late      s/g #3 dock-1 urn:epc:id:sgtin:0614141.812345.3 2026-01-02T03:04:05.000Z (fills a gap)',
    ]);
    expect(problems).toEqual([
      `readpoint tail: ignored a message on ${T}: not JSON`,
      `readpoint tail: ignored a message on ${T}: not an event (no eventID, rp:gateway or rp:sequence)`,
    ]);
    expect(lines.summaryLine()).toBe(
      'summary   7 messages: 3 events (1 late, 0 behind), 1 duplicate dropped, 1 gap (2 missing: 1 arrived late, 1 explained by overflow, 0 UNEXPLAINED), 1 overflow notice (1 dropped), 2 not understood',
    );
  });

  it('writes JSON lines with a kind, the event itself for delivered ones', () => {
    const lines = new DedupLines({ window: 10, json: true });
    const out = (topic: string, payload: Buffer) => lines.message(topic, payload, () => {});
    const got = [...out(T, event(5, 'u5')), ...out(T, event(7, 'u7')), ...out(T, event(7, 'u7'))].map((l) =>
      JSON.parse(l),
    );
    expect(got.map((l) => l.kind)).toEqual(['event', 'gap', 'event', 'duplicate']);
    expect(got[0]).toEqual({
      kind: 'event',
      gateway: 's/g',
      seq: 5,
      eventID: 'u5',
      topic: T,
      event: JSON.parse(event(5, 'u5').toString()),
    });
    expect(got[1]).toEqual({ kind: 'gap', gateway: 's/g', from: 6, to: 6, missing: 1, explained: false });
    expect(got[3]).toEqual({ kind: 'duplicate', gateway: 's/g', seq: 7, eventID: 'u7', topic: T });
    const o = JSON.parse(out(O, notice([[6, 6]], 9))[0]!);
    expect(o).toMatchObject({ kind: 'overflow', gateway: 's/g', explains: [[6, 6]] });
    expect(o.notice.totalDropped).toBe(9);
    expect(JSON.parse(lines.summaryLine())).toEqual({
      kind: 'summary',
      messages: 4,
      invalid: 0,
      events: 2,
      duplicates: 1,
      late: 0,
      behind: 0,
      gaps: 1,
      missing: 1,
      explained: 1,
      unexplained: 0,
      overflowNotices: 1,
      dropped: 1,
      forgotten: 0,
      gateways: 1,
    });
  });

  it('reads a notice without ranges by its first and last sequence numbers', () => {
    const lines = new DedupLines({ window: 10, json: false });
    const out = (topic: string, payload: Buffer) => lines.message(topic, payload, () => {});
    out(T, event(1, 'u1'));
    const old = {
      gateway: 'g',
      site: 's',
      policy: 'drop-newest',
      dropped: 2,
      firstSeq: 2,
      lastSeq: 3,
      totalDropped: 2,
    };
    expect(out(O, Buffer.from(JSON.stringify(old)))).toEqual([
      'overflow  s/g #2-#3 (2 dropped, drop-newest, 2 in total)',
    ]);
    expect(out(T, event(4, 'u4'))[0]).toBe('gap       s/g #2-#3 (2 missing) explained by overflow');
  });
});

describe('tail options', () => {
  it('derives the overflow filter from the events filter', () => {
    expect(overflowFilterFor('readpoint/v1/+/+/events/+')).toBe('readpoint/v1/+/+/overflow');
    expect(overflowFilterFor('x/site-1/gw-2/events/dock-1')).toBe('x/site-1/gw-2/overflow');
    expect(overflowFilterFor('#')).toBeUndefined();
  });

  it('keeps the plain options, and says what is wrong with the dedup ones', () => {
    const filters = ['readpoint/v1/+/+/events/+'];
    const base = { url: 'mqtt://h', topic: filters[0] };
    expect(tailOptions({ ...base, count: 3, withTopic: true })).toEqual({ filters, count: 3, topic: true });
    // Without --dedup, --json means the payloads as they came; with it, verdict objects.
    expect(tailOptions({ ...base, json: true })).toEqual({ filters, json: true });
    expect(tailOptions({ ...base, overflowTopic: 'a/+/+/overflow' })).toBe(
      '--dedup-window and --overflow-topic go with --dedup',
    );
    expect(tailOptions({ ...base, dedup: true })).toEqual({
      filters,
      dedup: { window: 100_000, json: false, overflowFilter: 'readpoint/v1/+/+/overflow' },
    });
    expect(tailOptions({ url: 'mqtt://h', site: 'site-1', gateway: 'gw-1', dedup: true })).toEqual({
      filters: ['readpoint/v1/site-1/gw-1/events/+'],
      dedup: { window: 100_000, json: false, overflowFilter: 'readpoint/v1/site-1/gw-1/overflow' },
    });
    expect(tailOptions({ ...base, dedup: true, dedupWindow: '0' })).toBe(
      '--dedup-window must be a positive integer, got 0',
    );
    expect(tailOptions({ url: 'mqtt://h', topic: '#', dedup: true })).toBe(
      'cannot derive the overflow topic from #: give --overflow-topic',
    );
    expect(
      tailOptions({ url: 'mqtt://h', topic: '#', dedup: true, overflowTopic: 'a/+/+/overflow', json: true }),
    ).toEqual({
      filters: ['#'],
      dedup: { window: 100_000, json: true, overflowFilter: 'a/+/+/overflow' },
    });
  });
});
