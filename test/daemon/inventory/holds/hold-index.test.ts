/**
 * Hold entries and the hold index: what each kind of entry holds (a barcode and a tag of the same
 * unit alike), ranges, expiry, removal and whole-list replacement, and the index against a plain
 * model over many random entries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRead, decodeText } from '../../../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../../../daemon/identity/epc-encode.js';
import type { UnitIdentity } from '../../../../daemon/identity/identity.js';
import { indexedHold } from '../../../../daemon/inventory/holds/hold-book.js';
import {
  entryName,
  type HoldEntry,
  parseHoldEntry,
  unitKey,
} from '../../../../daemon/inventory/holds/hold-entry.js';
import { type HoldHit, HoldIndex } from '../../../../daemon/inventory/holds/hold-index.js';

const GTIN = '09506000134352';
const NOW = Date.UTC(2026, 11, 7, 8, 0, 0);

function barcode(serial: string, lot?: string): UnitIdentity {
  const r = decodeText(`]d201${GTIN}21${serial}${lot ? `\x1d10${lot}` : ''}`);
  if (!r.ok) throw new Error(r.reject.message);
  return r.identity;
}

function tag(serial: number): UnitIdentity {
  const r = decodeRead({
    kind: 'epc',
    data: encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial }),
  });
  if (!r.ok) throw new Error(r.reject.message);
  return r.identity;
}

function hits(index: HoldIndex, unit: UnitIdentity, at = NOW): HoldHit[] {
  const out: HoldHit[] = [];
  index.lookup(unit, at, (h) => out.push(h));
  return out;
}

describe('hold entries', () => {
  it('names a unit the same way whether it is given as a Digital Link or an EPC URN', () => {
    const t = tag(6789);
    expect(t.uri).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    expect(unitKey(t.uri)).toBe(`u|${t.gtin}|6789`);
    expect(unitKey(`https://id.gs1.org/01/${t.gtin}/21/6789`)).toBe(`u|${t.gtin}|6789`);
    expect(unitKey('urn:epc:id:sscc:0614141.1234567890')).toBe(
      unitKey('https://id.gs1.org/00/106141412345678908'),
    );
    expect(unitKey('urn:example:thing:1')).toBe('x|urn:example:thing:1');
  });

  it('gives each kind its canonical form, an EPC pattern included', () => {
    expect(parseHoldEntry({ gtin: '9506000134352', lot: 'L1', reason: 'recall', reference: 'R-7' })).toEqual({
      kind: 'lot',
      key: `l|${GTIN}|L1`,
      gtin: GTIN,
      lot: 'L1',
      reason: 'recall',
      reference: 'R-7',
    });
    expect(parseHoldEntry({ epcPattern: 'urn:epc:idpat:sgtin:0614141.812345.[100-199]' })).toMatchObject({
      kind: 'range',
      key: 'r|80614141123458',
      serials: { from: '100', to: '199' },
    });
    expect(parseHoldEntry({ epcPattern: 'urn:epc:idpat:sgtin:0614141.812345.*' })).toMatchObject({
      kind: 'gtin',
      key: 'g|80614141123458',
    });
    expect(parseHoldEntry({ epcPattern: 'urn:epc:idpat:sgtin:0614141.*.*' })).toMatchObject({
      kind: 'prefix',
      key: 'p|0614141',
    });
    expect(parseHoldEntry({ gtin: GTIN, expires: '2027-01-01T00:00:00+01:00' }).expires).toBe(
      '2026-12-31T23:00:00.000Z',
    );
  });

  it('reads back from its stored name and text what the index needs, without parsing the rest', () => {
    const stored = [
      { gtin: GTIN, lot: 'L|1', reason: 'says "expires":"never"', expires: '2027-01-01T00:00:00Z' },
      { epcPattern: 'urn:epc:idpat:sgtin:0614141.812345.[100-199]', reference: 'R-9' },
      { unit: 'urn:example:a|b', expires: '2026-12-31T00:00:00Z' },
      { epcPattern: 'urn:epc:idpat:sgtin:0614141.*.*' },
    ].map((e) => parseHoldEntry(e));
    for (const entry of stored) {
      const { key, kind, serials, expires } = entry;
      expect(indexedHold(entryName(entry), JSON.stringify(entry))).toEqual({
        key,
        kind,
        ...(serials ? { serials } : {}),
        ...(expires ? { expires } : {}),
      });
    }
  });

  it('refuses a bad entry with a message naming what is wrong', () => {
    const bad: [unknown, RegExp][] = [
      [{ gtin: '09506000134353', lot: 'L1' }, /check digit/],
      [{ gtin: GTIN, lot: 'L1', serials: { from: '1', to: '2' } }, /lot or serials/],
      [{ gtin: GTIN, serials: { from: '9', to: '2' } }, /from must not be above/],
      [{ unit: 'x', gtin: GTIN }, /exactly one/],
      [{ epcPattern: 'urn:epc:idpat:sgtin:0614141.*.5' }, /serial must be \* too/],
      [{ gtin: GTIN, colour: 'red' }, /unknown field "colour"/],
      [{ gtin: GTIN, expires: 'soon' }, /ISO 8601/],
      [{ gtin: GTIN, reason: 'x'.repeat(201) }, /reason must be printable text of 1-200/],
      ['a string', /JSON object/],
    ];
    for (const [entry, message] of bad) expect(() => parseHoldEntry(entry)).toThrow(message);
  });
});

describe('HoldIndex', () => {
  it('finds each kind of entry, a barcode and a tag of the same GTIN alike', () => {
    const index = new HoldIndex();
    const t = tag(150);
    index.add('site', parseHoldEntry({ gtin: GTIN, lot: 'L1' }));
    index.add('gateway', parseHoldEntry({ unit: `https://id.gs1.org/01/${t.gtin}/21/150` }));
    index.add('local', parseHoldEntry({ epcPattern: 'urn:epc:idpat:sgtin:0614141.812345.[100-199]' }));
    expect(hits(index, barcode('A1', 'L1'))).toEqual([{ list: 'site', kind: 'lot', key: `l|${GTIN}|L1` }]);
    expect(hits(index, barcode('A1', 'L2'))).toEqual([]);
    expect(hits(index, t).map((h) => [h.list, h.kind, h.range])).toEqual([
      ['gateway', 'unit', undefined],
      ['local', 'range', [100, 199]],
    ]);
    expect(hits(index, tag(200))).toEqual([]);
    expect(hits(index, tag(99))).toEqual([]);
    index.add('site', parseHoldEntry({ epcPattern: 'urn:epc:idpat:sgtin:0614141.*.*' }));
    expect(hits(index, tag(5)).map((h) => h.kind)).toEqual(['prefix']);
    expect(index.counts()).toEqual({ unit: 1, lot: 1, range: 1, gtin: 0, prefix: 1 });
  });

  it('lets an entry expire, and takes an entry again as an update of its expiry', () => {
    const index = new HoldIndex();
    index.add('site', parseHoldEntry({ gtin: GTIN, expires: new Date(NOW + 1000).toISOString() }));
    expect(hits(index, barcode('A1'))).toHaveLength(1);
    expect(hits(index, barcode('A1'), NOW + 1000)).toEqual([]);
    index.add('site', parseHoldEntry({ gtin: GTIN }));
    expect(index.size).toBe(1);
    expect(hits(index, barcode('A1'), NOW + 5000)).toHaveLength(1);
  });

  it('removes one entry, or a whole list, and keeps the others', () => {
    const index = new HoldIndex();
    const lot = parseHoldEntry({ gtin: GTIN, lot: 'L1' });
    index.add('site', lot);
    index.add('gateway', lot);
    index.add('site', parseHoldEntry({ gtin: GTIN, serials: { from: '1', to: '5' } }));
    expect(index.remove('site', lot)).toBe(true);
    expect(index.remove('site', lot)).toBe(false);
    expect(hits(index, barcode('3', 'L1')).map((h) => [h.list, h.kind])).toEqual([
      ['gateway', 'lot'],
      ['site', 'range'],
    ]);
    expect(index.clear('site')).toBe(1);
    expect(hits(index, barcode('3', 'L1')).map((h) => h.list)).toEqual(['gateway']);
    expect(index.size).toBe(1);
  });

  it('finds ranges that cross blocks of serials or span most of them, and removes them whole', () => {
    const index = new HoldIndex();
    const wide = parseHoldEntry({ gtin: GTIN, serials: { from: '5', to: String(2 ** 40) } });
    const across = parseHoldEntry({ gtin: GTIN, serials: { from: '65530', to: '65540' } });
    index.add('site', wide);
    index.add('gateway', across);
    for (let i = 0; i < 1000; i++)
      index.add(
        'local',
        parseHoldEntry({ gtin: GTIN, serials: { from: String(i * 100), to: String(i * 100 + 9) } }),
      );
    const lists = (serial: number) =>
      hits(index, barcode(String(serial)))
        .map((h) => `${h.list} ${h.range}`)
        .sort();
    expect(lists(4)).toEqual(['local 0,9']);
    expect(lists(65535)).toEqual(['gateway 65530,65540', 'site 5,1099511627776']);
    expect(lists(65541)).toEqual(['site 5,1099511627776']);
    expect(lists(2 ** 40 + 1)).toEqual([]);
    expect(lists(99_905)).toEqual(['local 99900,99909', 'site 5,1099511627776']);
    expect(index.counts().range).toBe(1002);
    expect(index.remove('gateway', across)).toBe(true);
    expect(lists(65535)).toEqual(['site 5,1099511627776']);
    expect(index.clear('local')).toBe(1000);
    expect(lists(4)).toEqual([]);
    expect(index.size).toBe(1);
  });

  it('answers as a plain model does over many random entries, removals and growth', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            remove: fc.boolean(),
            list: fc.constantFrom('site' as const, 'gateway' as const),
            serial: fc.integer({ min: 0, max: 300 }),
            lot: fc.constantFrom('L1', 'L2', 'L3'),
            kind: fc.constantFrom('unit', 'lot', 'range'),
          }),
          { maxLength: 400 },
        ),
        (ops) => {
          const index = new HoldIndex();
          const model = new Map<string, HoldEntry>();
          for (const op of ops) {
            const entry = parseHoldEntry(
              op.kind === 'unit'
                ? { unit: `https://id.gs1.org/01/${GTIN}/21/${op.serial}` }
                : op.kind === 'lot'
                  ? { gtin: GTIN, lot: op.lot }
                  : { gtin: GTIN, serials: { from: String(op.serial), to: String(op.serial + 10) } },
            );
            const name = `${op.list} ${entry.key} ${entry.serials?.from ?? ''}`;
            if (op.remove) expect(index.remove(op.list, entry)).toBe(model.delete(name));
            else {
              index.add(op.list, entry);
              model.set(name, entry);
            }
          }
          expect(index.size).toBe(model.size);
          for (const serial of [0, 5, 50, 150, 305])
            for (const lot of ['L1', 'L3']) {
              const expected = [...model.entries()].filter(([, e]) =>
                e.kind === 'unit'
                  ? e.key === `u|${GTIN}|${serial}`
                  : e.kind === 'lot'
                    ? e.lot === lot
                    : serial >= Number(e.serials!.from) && serial <= Number(e.serials!.to),
              );
              expect(hits(index, barcode(String(serial), lot))).toHaveLength(expected.length);
            }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds entries among 50,000 after the table has grown many times', () => {
    const index = new HoldIndex();
    const n = 50_000;
    for (let i = 0; i < n; i++)
      index.add('site', parseHoldEntry({ unit: `https://id.gs1.org/01/${GTIN}/21/S${i}` }));
    expect(index.size).toBe(n);
    let found = 0;
    for (let i = 0; i < n; i += 97) found += hits(index, barcode(`S${i}`)).length;
    expect(found).toBe(Math.ceil(n / 97));
    expect(hits(index, barcode(`S${n}`))).toEqual([]);
  });
});
