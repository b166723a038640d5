/** The units present at a read point now: its open passes' URIs, bounded, fixtures and departed passes left out. */
import { describe, expect, it } from 'vitest';
import { decodeRead } from '../../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../../daemon/identity/epc-encode.js';
import type { UnitRead } from '../../../daemon/smoothing/pass.js';
import { type ReadPointRules, Smoother } from '../../../daemon/smoothing/smoother.js';

const FORMAT = { data: 'aim' as const, plainSerial: [] };
const uri = (n: number) => `urn:epc:id:sgtin:0614141.812345.${n}`;

function read(n: number, readPointId: string, mono: number): UnitRead {
  const data = encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: n });
  const decoded = decodeRead({ kind: 'epc', data }, FORMAT);
  if (!decoded.ok) throw new Error(decoded.reject.message);
  return {
    identity: decoded.identity,
    raw: { data, kind: 'epc', format: FORMAT },
    readerId: 'r1',
    readPointId,
    at: 1_800_000_000_000 + mono,
    mono,
  };
}

function smoother(rules: Partial<ReadPointRules> = {}) {
  const base: ReadPointRules = { departureMs: 1000, departures: false, twoZone: false, ...rules };
  return new Smoother(
    { maxTracked: 100 },
    new Map([
      ['shelf', base],
      ['door', base],
    ]),
  );
}

describe('Smoother.openUnits', () => {
  it('lists the units of one read point, least recently read first, and none of another', () => {
    const s = smoother();
    s.observe(read(1, 'shelf', 0));
    s.observe(read(2, 'shelf', 10));
    s.observe(read(3, 'door', 20));
    s.observe(read(1, 'shelf', 30)); // read again: now the most recent
    expect(s.openUnits('shelf', 10)).toEqual({ units: [uri(2), uri(1)], more: false });
    expect(s.openUnits('door', 10)).toEqual({ units: [uri(3)], more: false });
    expect(s.openUnits('nowhere', 10)).toEqual({ units: [], more: false });
  });

  it('gives at most limit units and says there were more', () => {
    const s = smoother();
    for (let n = 1; n <= 5; n++) s.observe(read(n, 'shelf', n));
    expect(s.openUnits('shelf', 3)).toEqual({ units: [uri(1), uri(2), uri(3)], more: true });
    expect(s.openUnits('shelf', 5)).toEqual({ units: [uri(1), uri(2), uri(3), uri(4), uri(5)], more: false });
  });

  it('leaves out departed passes and fixtures', () => {
    const s = smoother({ fixtureAfterMs: 500, departureMs: 1000 });
    s.observe(read(1, 'shelf', 0));
    s.observe(read(2, 'shelf', 0));
    for (let t = 100; t <= 600; t += 100) s.observe(read(1, 'shelf', t)); // 1 becomes a fixture
    s.tick(1500, 1_800_000_001_500); // 2 departed: not read for 1500 ms
    expect(s.stats().fixtures).toBe(1);
    expect(s.openUnits('shelf', 10)).toEqual({ units: [], more: false });
    s.observe(read(3, 'shelf', 1600));
    expect(s.openUnits('shelf', 10)).toEqual({ units: [uri(3)], more: false });
  });
});
