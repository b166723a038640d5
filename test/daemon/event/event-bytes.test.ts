import { describe, expect, it } from 'vitest';
import type { BusinessContext } from '../../../daemon/event/business-context.js';
import { buildEvent, type ReadPointContext, type Sighting } from '../../../daemon/event/epcis.js';
import { EventBytes } from '../../../daemon/event/event-bytes.js';
import { ZoneOffsets } from '../../../daemon/event/event-time.js';
import type { UnitIdentity } from '../../../daemon/identity/identity.js';
import { gs1Errors, ownErrors } from '../../support/schemas.js';
import { DECODED, NOW, place, random, sighting } from './corpus.js';

const reference = (s: Sighting, where: ReadPointContext, seq: number) =>
  JSON.stringify(buildEvent(s, where, seq));

describe('the event written directly', () => {
  it('is byte for byte what JSON.stringify(buildEvent(...)) gives, over a generated corpus', () => {
    const r = random(16);
    let compared = 0;
    for (let p = 0; p < 40; p++) {
      const where = place(r);
      const bytes = new EventBytes(where);
      for (let i = 0; i < 150; i++) {
        const s = sighting(r);
        const seq = r.pick([1, 42, 2 ** 31, Number.MAX_SAFE_INTEGER]);
        expect(bytes.event(s, seq)).toBe(reference(s, where, seq));
        compared++;
      }
    }
    expect(compared).toBe(6000);
  });

  it('matches for every transition, direction, bizStep and optional field, and stays a valid event', () => {
    const where: ReadPointContext = {
      gatewayId: 'gw-1',
      readPointUri: 'urn:readpoint:site-1:gw-1:dock-1',
      bizLocation: 'urn:epc:id:sgln:4012345.00001.0',
      bizStep: 'shipping',
      disposition: 'in_transit',
    };
    const bytes = new EventBytes(where);
    const base = {
      readerId: 'rfid-2',
      readPointId: 'dock-1',
      firstSeen: NOW,
      lastSeen: NOW + 40,
      readCount: 3,
    };
    const cases: Sighting[] = [];
    for (const identity of DECODED)
      for (const transition of [undefined, 'arrival', 'departure', 'presence', 'passage'] as const)
        for (const extra of [
          {},
          { antenna: 2, rssi: -52.5 },
          { antenna: 1 },
          { rssi: -60 },
          { direction: 'inbound' as const, confidence: 0.83, bizStep: 'receiving' },
          { direction: 'outbound' as const, confidence: 1, bizStep: 'shipping' },
          { direction: 'unknown' as const, confidence: 0 },
          { bizStep: '' },
        ])
          cases.push({ ...base, identity, transition, time: NOW + 40, ...extra });
    for (const [i, s] of cases.entries()) {
      const line = bytes.event(s, i + 1);
      expect(line).toBe(reference(s, where, i + 1));
      expect(ownErrors(JSON.parse(line))).toEqual([]);
    }
    expect(cases.length).toBe(DECODED.length * 5 * 8);
  });

  it('escapes what JSON escapes, in every field a read or a configuration can fill', () => {
    const nasty = [
      '"',
      '\\',
      '\u0000\u0001\u001f',
      '\n\r\t\b\f',
      'é€\ud83d\udce6',
      '\ud800',
      'x\udfffy',
      '\u2028\u2029',
      '</script>',
    ];
    for (const s of nasty) {
      const where: ReadPointContext = {
        gatewayId: `gw${s}`,
        readPointUri: `urn:${s}`,
        bizLocation: s,
        bizStep: s,
        disposition: s,
      };
      const identity: UnitIdentity = {
        source: 'plain-serial',
        scheme: 'plain',
        uri: `urn:plain:${s}`,
        serial: s,
        lot: s,
        ais: [
          { ai: '21', value: s },
          { ai: s, value: '1' },
          { ai: '10', value: `L${s}` },
        ],
        epc: { hex: `ab${s}`, scheme: 'raw', tagUri: s, nonGs1: true },
      };
      const sight: Sighting = {
        identity,
        readerId: s,
        readPointId: s,
        firstSeen: NOW,
        lastSeen: NOW,
        readCount: 1,
        transition: 'passage',
        time: NOW,
        direction: 'unknown',
        confidence: 0,
        bizStep: s,
      };
      const line = new EventBytes(where).event(sight, 7);
      expect(line).toBe(reference(sight, where, 7));
      // Lone surrogates travel escaped (`\\ud800`), so the text comes back whole.
      expect(JSON.parse(line)['rp:unit'].serial).toBe(s);
    }
  });

  it('follows a change of reader and read point id between events of one read point', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    const bytes = new EventBytes(where);
    const identity = DECODED[0]!;
    for (const [readerId, readPointId] of [
      ['a', 'x'],
      ['b', 'x'],
      ['b', 'y'],
      ['a', 'x'],
      ['', ''],
    ]) {
      const s: Sighting = {
        identity,
        readerId: readerId!,
        readPointId: readPointId!,
        firstSeen: NOW,
        lastSeen: NOW,
        readCount: 1,
      };
      expect(bytes.event(s, 1)).toBe(reference(s, where, 1));
    }
  });

  it('throws as buildEvent does for a time a Date cannot hold, and writes numbers JSON cannot as null', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    const bytes = new EventBytes(where);
    const s = (extra: Partial<Sighting>): Sighting => ({
      identity: DECODED.find((u) => u.scheme === 'sgtin' && u.epc)!,
      readerId: 'r',
      readPointId: 'p',
      firstSeen: NOW,
      lastSeen: NOW,
      readCount: 1,
      ...extra,
    });
    for (const bad of [Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY]) {
      for (const extra of [{ firstSeen: bad }, { lastSeen: bad }, { time: bad }]) {
        expect(() => reference(s(extra), where, 1)).toThrow(RangeError);
        expect(() => bytes.event(s(extra), 1)).toThrow(RangeError);
      }
    }
    for (const extra of [
      { rssi: Number.NaN },
      { antenna: Number.POSITIVE_INFINITY },
      { confidence: Number.NaN },
      { readCount: -0 },
    ]) {
      expect(bytes.event(s(extra), Number.NaN)).toBe(reference(s(extra), where, Number.NaN));
    }
    // Times before 1970, after 9999, and with a fraction of a millisecond, as a Date takes them.
    for (const t of [
      -1,
      -86_400_001,
      -62_198_755_200_000,
      253_402_300_800_000,
      8.64e15,
      1.5,
      NOW + 0.75,
      -0.5,
    ]) {
      const one = s({ firstSeen: t, lastSeen: t, time: t });
      expect(bytes.event(one, 1)).toBe(reference(one, where, 1));
    }
  });

  it('writes the zone offset it is given, per read point, as timeZoneOffset would', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    const kolkata = new EventBytes(where, new ZoneOffsets(() => 330));
    const stJohns = new EventBytes(where, new ZoneOffsets(() => -150));
    const s: Sighting = {
      identity: DECODED[0]!,
      readerId: 'r',
      readPointId: 'p',
      firstSeen: NOW,
      lastSeen: NOW,
      readCount: 1,
    };
    expect(JSON.parse(kolkata.event(s, 1)).eventTimeZoneOffset).toBe('+05:30');
    expect(JSON.parse(stJohns.event(s, 1)).eventTimeZoneOffset).toBe('-02:30');
  });

  it('writes a transaction context as buildEvent does, and the event stays valid for both schemas', () => {
    const shipment: BusinessContext = {
      bizTransactionList: [
        { type: 'desadv', bizTransaction: 'https://id.gs1.org/402/40123450000000016' },
        { type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:PO-77%2F1' },
        { bizTransaction: 'urn:example:tx:untyped' },
      ],
      sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:4012345.00000' }],
      destinationList: [
        { type: 'location', destination: 'urn:epc:id:sgln:4012345.00011.0' },
        { type: 'urn:example:party', destination: 'urn:example:party:7' },
      ],
    };
    const contexts: BusinessContext[] = [
      shipment,
      { bizTransactionList: [{ type: 'inv', bizTransaction: 'urn:epcglobal:cbv:bt:4012345000009:INV1' }] },
      { sourceList: [{ type: 'possessing_party', source: 'urn:epc:id:pgln:4012345.00000' }] },
      { destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:4012345.00001' }] },
      { bizTransactionList: [], sourceList: [], destinationList: [] },
    ];
    const r = random(18);
    let compared = 0;
    for (let p = 0; p < 10; p++) {
      const where = place(r);
      const bytes = new EventBytes(where);
      for (let i = 0; i < 60; i++) {
        const s = { ...sighting(r), context: contexts[i % contexts.length]! };
        const line = bytes.event(s, i + 1);
        expect(line).toBe(reference(s, where, i + 1));
        compared++;
      }
    }
    expect(compared).toBe(600);

    const where: ReadPointContext = {
      gatewayId: 'gw-1',
      readPointUri: 'urn:readpoint:site-1:gw-1:dock-1',
      bizLocation: 'urn:epc:id:sgln:4012345.00001.0',
      bizStep: 'shipping',
    };
    const bytes = new EventBytes(where);
    for (const [i, identity] of DECODED.entries()) {
      const s: Sighting = {
        identity,
        readerId: 'door-1',
        readPointId: 'dock-1',
        firstSeen: NOW,
        lastSeen: NOW,
        readCount: 1,
        context: shipment,
      };
      const event = JSON.parse(bytes.event(s, i + 1));
      expect(event.bizTransactionList).toEqual(shipment.bizTransactionList);
      expect(event.sourceList).toEqual(shipment.sourceList);
      expect(event.destinationList).toEqual(shipment.destinationList);
      // The lists stand after bizLocation and before readpoint's own fields.
      const keys = Object.keys(event);
      expect(keys.slice(keys.indexOf('bizLocation'), keys.indexOf('rp:gateway') + 1)).toEqual([
        'bizLocation',
        'bizTransactionList',
        'sourceList',
        'destinationList',
        'rp:gateway',
      ]);
      expect(ownErrors(event)).toEqual([]);
      expect(gs1Errors(event)).toEqual([]);
    }
    // Empty lists are left out, as no context at all.
    const none = { ...s0(), context: { bizTransactionList: [] } };
    expect(bytes.event(none, 1)).toBe(new EventBytes(where).event(s0(), 1));
  });

  it('escapes a context whose identifiers hold what JSON escapes', () => {
    const where: ReadPointContext = { gatewayId: 'gw-1', readPointUri: 'urn:rp' };
    for (const nasty of ['"', '\\', '\u0000', '\ud800', '\u2028', 'é']) {
      const s: Sighting = {
        ...s0(),
        context: {
          bizTransactionList: [{ type: nasty, bizTransaction: `urn:x:${nasty}` }],
          sourceList: [{ type: nasty, source: nasty }],
          destinationList: [{ type: nasty, destination: nasty }],
        },
      };
      const line = new EventBytes(where).event(s, 3);
      expect(line).toBe(reference(s, where, 3));
      expect(JSON.parse(line).bizTransactionList[0].bizTransaction).toBe(`urn:x:${nasty}`);
    }
  });
});

function s0(): Sighting {
  return {
    identity: DECODED[0]!,
    readerId: 'r',
    readPointId: 'p',
    firstSeen: NOW,
    lastSeen: NOW,
    readCount: 1,
  };
}
