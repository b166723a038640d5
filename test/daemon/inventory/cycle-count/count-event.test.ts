/** The cycle count event: its bytes, its parts, its IDs, and both schemas (GS1's and the counts topic's). */
import { describe, expect, it } from 'vitest';
import {
  type CountTaken,
  countEvents,
  partsOf,
} from '../../../../daemon/inventory/cycle-count/count-event.js';
import { countErrors, gs1Errors } from '../../../support/schemas.js';

const where = {
  gatewayId: 'gw-1',
  readPointUri: 'urn:readpoint:s-1:gw-1:shelf-3',
  bizLocation: 'urn:epc:id:sgln:0614141.00777.0',
};
const tag = (n: number) => `urn:epc:id:sgtin:0614141.812345.${n}`;
const AT = Date.UTC(2026, 11, 7, 6, 0, 0);

const count = (over: Partial<CountTaken> = {}): CountTaken => ({
  readPointId: 'shelf-3',
  at: AT,
  present: [tag(1), tag(2), tag(3)],
  appeared: [tag(3)],
  missing: [tag(4)],
  previousAt: AT - 3600_000,
  windowS: 0,
  truncated: false,
  ...over,
});

const parse = (builders: ((seq: number) => string)[], firstSeq = 7) =>
  builders.map((build, i) => JSON.parse(build(firstSeq + i)) as Record<string, unknown>);

describe('the cycle count event', () => {
  it('is one ObjectEvent with bizStep cycle_counting, the units, appeared and missing, valid under both schemas', () => {
    const [event] = parse(countEvents(count(), where, 1000));
    expect(event).toEqual({
      '@context': [
        'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
        { rp: 'urn:readpoint:epcis:v1:' },
      ],
      type: 'ObjectEvent',
      eventID: expect.stringMatching(
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      eventTime: '2026-12-07T06:00:00.000Z',
      eventTimeZoneOffset: expect.stringMatching(/^[+-]\d\d:\d\d$/),
      action: 'OBSERVE',
      epcList: [tag(1), tag(2), tag(3)],
      bizStep: 'cycle_counting',
      readPoint: { id: 'urn:readpoint:s-1:gw-1:shelf-3' },
      bizLocation: { id: 'urn:epc:id:sgln:0614141.00777.0' },
      'rp:gateway': 'gw-1',
      'rp:readPoint': 'shelf-3',
      'rp:sequence': 7,
      'rp:count': {
        id: event?.eventID,
        part: 1,
        parts: 1,
        units: 3,
        appeared: 1,
        missing: 1,
        previous: '2026-12-07T05:00:00.000Z',
        windowS: 0,
      },
      'rp:appeared': [tag(3)],
      'rp:missing': [tag(4)],
    });
    expect(gs1Errors(event)).toEqual([]);
    expect(countErrors(event)).toEqual([]);
  });

  it('a first count (no previous) and an empty one are valid too', () => {
    const [first] = parse(
      countEvents(
        count({ previousAt: undefined, appeared: [tag(1), tag(2), tag(3)], missing: [] }),
        where,
        1000,
      ),
    );
    expect(first?.['rp:count']).not.toHaveProperty('previous');
    const [empty] = parse(countEvents(count({ present: [], appeared: [], missing: [tag(1)] }), where, 1000));
    expect(empty?.epcList).toEqual([]);
    for (const e of [first, empty]) {
      expect(gs1Errors(e)).toEqual([]);
      expect(countErrors(e)).toEqual([]);
    }
  });

  it('splits a large count into numbered parts of at most unitsPerPart URIs per list, sharing the count id', () => {
    const present = Array.from({ length: 7 }, (_, i) => tag(100 + i));
    const missing = Array.from({ length: 9 }, (_, i) => tag(200 + i));
    const taken = count({ present, appeared: present.slice(0, 2), missing, truncated: false });
    expect(partsOf(taken, 3)).toBe(3);
    const parts = parse(countEvents(taken, where, 3));
    expect(parts.map((p) => p['rp:sequence'])).toEqual([7, 8, 9]);
    expect(parts.map((p) => (p.epcList as string[]).length)).toEqual([3, 3, 1]);
    expect(parts.map((p) => (p['rp:appeared'] as string[]).length)).toEqual([2, 0, 0]);
    expect(parts.map((p) => (p['rp:missing'] as string[]).length)).toEqual([3, 3, 3]);
    expect(parts.flatMap((p) => p.epcList as string[])).toEqual(present);
    expect(parts.flatMap((p) => p['rp:missing'] as string[])).toEqual(missing);
    const ids = parts.map((p) => p.eventID);
    expect(new Set(ids).size).toBe(3);
    for (const [i, p] of parts.entries()) {
      expect(p['rp:count']).toMatchObject({
        id: ids[0],
        part: i + 1,
        parts: 3,
        units: 7,
        appeared: 2,
        missing: 9,
      });
      expect(gs1Errors(p)).toEqual([]);
      expect(countErrors(p)).toEqual([]);
    }
  });

  it('names its events by gateway, read point, time and part: the same count, the same IDs; another time, others', () => {
    const ids = (c: CountTaken) => parse(countEvents(c, where, 2)).map((p) => p.eventID);
    expect(ids(count())).toEqual(ids(count()));
    expect(ids(count({ at: AT + 1 }))).not.toContain(ids(count())[0]);
    const other = parse(
      countEvents(count(), { ...where, readPointUri: 'urn:readpoint:s-1:gw-1:shelf-4' }, 2),
    );
    expect(other[0]?.eventID).not.toBe(ids(count())[0]);
  });

  it('marks a truncated count', () => {
    const [event] = parse(countEvents(count({ truncated: true, missing: [] }), where, 1000));
    expect(event?.['rp:count']).toMatchObject({ truncated: true, missing: 0 });
    expect(countErrors(event)).toEqual([]);
    expect(
      countErrors({ ...event, 'rp:count': { ...(event?.['rp:count'] as object), truncated: false } }),
    ).not.toEqual([]);
  });
});
