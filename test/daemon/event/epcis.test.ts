import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEvent, eventId, type Sighting, timeZoneOffset } from '../../../daemon/event/epcis.js';
import { decodeText } from '../../../daemon/identity/decode.js';
import type { UnitIdentity } from '../../../daemon/identity/identity.js';
import { gs1Errors, ndjsonGs1Errors, ownErrors, repoRoot } from '../../support/schemas.js';

const barcodeUnit: UnitIdentity = {
  source: 'gs1-element-string',
  scheme: 'sgtin',
  uri: 'https://id.gs1.org/01/09506000134352/21/SN0042',
  digitalLink: 'https://id.gs1.org/01/09506000134352/10/LOT7/21/SN0042?17=271231',
  aim: ']d2',
  gtin: '09506000134352',
  serial: 'SN0042',
  lot: 'LOT7',
  expiry: '2027-12-31',
  ais: [
    { ai: '01', value: '09506000134352' },
    { ai: '21', value: 'SN0042' },
    { ai: '10', value: 'LOT7' },
    { ai: '17', value: '271231' },
  ],
};

const tagUnit: UnitIdentity = {
  source: 'epc',
  scheme: 'sgtin',
  uri: 'urn:epc:id:sgtin:0614141.812345.6789',
  gtin: '80614141123458',
  serial: '6789',
  digitalLink: 'https://id.gs1.org/01/80614141123458/21/6789',
  epc: {
    hex: '3074257bf7194e4000001a85',
    scheme: 'sgtin-96',
    tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789',
    filter: 3,
  },
};

const rawTagUnit: UnitIdentity = {
  source: 'epc',
  scheme: 'raw',
  uri: 'urn:epc:raw:96.xE2801160600002084A7C2E7F',
  epc: { hex: 'E2801160600002084A7C2E7F', scheme: 'raw', nonGs1: true },
};

const at = Date.UTC(2026, 10, 22, 9, 30, 0, 125);
const sighting = (identity: UnitIdentity, extra: Partial<Sighting> = {}): Sighting => ({
  identity,
  readerId: 'scanner-1',
  readPointId: 'conveyor-1',
  firstSeen: at,
  lastSeen: at + 40,
  readCount: 3,
  ...extra,
});
const where = {
  gatewayId: 'gw-1',
  readPointUri: 'urn:readpoint:site-1:gw-1:conveyor-1',
  bizLocation: 'urn:epc:id:sgln:4012345.00001.0',
  bizStep: 'shipping',
  disposition: 'in_transit',
};

describe('the EPCIS event', () => {
  it('is a valid EPCIS 2.0 ObjectEvent and a valid readpoint v1 event, for barcodes and tags', () => {
    for (const unit of [barcodeUnit, tagUnit, rawTagUnit]) {
      const event = JSON.parse(
        JSON.stringify(buildEvent(sighting(unit, { antenna: 2, rssi: -52.5 }), where, 17)),
      );
      expect(gs1Errors(event)).toEqual([]);
      expect(ownErrors(event)).toEqual([]);
    }
  });

  it('carries the unit, the place, the reads and the sequence number', () => {
    const e = buildEvent(sighting(barcodeUnit), where, 42);
    expect(e.epcList).toEqual(['https://id.gs1.org/01/09506000134352/21/SN0042']);
    expect(e.eventTime).toBe('2026-11-22T09:30:00.125Z');
    expect(e.readPoint).toEqual({ id: 'urn:readpoint:site-1:gw-1:conveyor-1' });
    expect(e.bizLocation).toEqual({ id: 'urn:epc:id:sgln:4012345.00001.0' });
    expect(e.bizStep).toBe('shipping');
    expect(e.disposition).toBe('in_transit');
    expect(e['rp:sequence']).toBe(42);
    expect(e['rp:readCount']).toBe(3);
    expect(e['rp:lastSeen']).toBe('2026-11-22T09:30:00.165Z');
    expect(e['rp:unit']).toEqual({
      source: 'gs1-element-string',
      scheme: 'sgtin',
      aim: ']d2',
      gtin: '09506000134352',
      serial: 'SN0042',
      lot: 'LOT7',
      expiry: '2027-12-31',
      digitalLink: 'https://id.gs1.org/01/09506000134352/10/LOT7/21/SN0042?17=271231',
      ais: [
        { ai: '01', value: '09506000134352' },
        { ai: '21', value: 'SN0042' },
        { ai: '10', value: 'LOT7' },
        { ai: '17', value: '271231' },
      ],
    });
    expect(buildEvent(sighting(tagUnit), where, 1)['rp:unit']).toMatchObject({
      scheme: 'sgtin',
      epcHex: '3074257BF7194E4000001A85',
      tagUri: 'urn:epc:tag:sgtin-96:3.0614141.812345.6789',
    });
  });

  it('leaves out what the read point does not configure, and stays valid', () => {
    const e = buildEvent(sighting(tagUnit), { gatewayId: 'gw-1', readPointUri: 'urn:readpoint:s:g:rp' }, 1);
    expect('bizStep' in e || 'disposition' in e || 'bizLocation' in e || 'rp:antenna' in e).toBe(false);
    expect(gs1Errors(JSON.parse(JSON.stringify(e)))).toEqual([]);
  });

  it('has a stable event ID: same pass, same ID; another pass, unit, place or gateway, another ID', () => {
    const a = eventId('gw-1', 'urn:rp:1', 'urn:epc:id:sgtin:0614141.812345.6789', at);
    expect(a).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventId('gw-1', 'urn:rp:1', 'urn:epc:id:sgtin:0614141.812345.6789', at)).toBe(a);
    const others = [
      eventId('gw-2', 'urn:rp:1', 'urn:epc:id:sgtin:0614141.812345.6789', at),
      eventId('gw-1', 'urn:rp:2', 'urn:epc:id:sgtin:0614141.812345.6789', at),
      eventId('gw-1', 'urn:rp:1', 'urn:epc:id:sgtin:0614141.812345.6790', at),
      eventId('gw-1', 'urn:rp:1', 'urn:epc:id:sgtin:0614141.812345.6789', at + 1),
    ];
    expect(new Set([a, ...others]).size).toBe(5);
    expect(buildEvent(sighting(tagUnit), where, 1).eventID).toBe(
      buildEvent(sighting(tagUnit), where, 99).eventID,
    );
  });

  it('reports every transition as a valid event with its own time, ID and fields', () => {
    const kinds = [
      sighting(tagUnit, { antenna: 1, rssi: -60 }),
      sighting(tagUnit, { transition: 'departure', time: at + 40, antenna: 1, rssi: -60 }),
      sighting(tagUnit, { transition: 'presence', time: at + 300_000 }),
      sighting(tagUnit, {
        transition: 'passage',
        time: at + 40,
        direction: 'inbound',
        confidence: 0.83,
        bizStep: 'receiving',
      }),
      sighting(barcodeUnit, { transition: 'passage', time: at + 40, direction: 'unknown', confidence: 0 }),
    ];
    const events = kinds.map((k, i) => JSON.parse(JSON.stringify(buildEvent(k, where, i + 1))));
    for (const e of events) {
      expect(gs1Errors(e)).toEqual([]);
      expect(ownErrors(e)).toEqual([]);
    }
    expect(events.map((e) => [e['rp:transition'], e.eventTime, e.bizStep])).toEqual([
      ['arrival', '2026-11-22T09:30:00.125Z', 'shipping'],
      ['departure', '2026-11-22T09:30:00.165Z', 'shipping'],
      ['presence', '2026-11-22T09:35:00.125Z', 'shipping'],
      ['passage', '2026-11-22T09:30:00.165Z', 'receiving'],
      ['passage', '2026-11-22T09:30:00.165Z', 'shipping'],
    ]);
    expect(events[3]).toMatchObject({ 'rp:direction': 'inbound', 'rp:directionConfidence': 0.83 });
    expect(events[4]).toMatchObject({ 'rp:direction': 'unknown', 'rp:directionConfidence': 0 });
    expect('rp:direction' in events[0]).toBe(false);
    // Each event of a pass has an ID of its own; the arrival keeps the ID of earlier versions.
    expect(new Set(events.slice(0, 4).map((e) => e.eventID)).size).toBe(4);
    expect(events[0].eventID).toBe(eventId('gw-1', where.readPointUri, tagUnit.uri, at));
    // As a consumer receives them: NDJSON, each line checked against GS1's schema.
    const lines = events.map((e) => JSON.stringify(e)).join('\n');
    expect(ndjsonGs1Errors(lines)).toEqual([[], [], [], [], []]);
  });

  it('writes the time zone offset as +hh:mm / -hh:mm, never Z', () => {
    expect(timeZoneOffset(at)).toMatch(/^[+-]\d\d:\d\d$/);
  });

  it("is valid against GS1's EPCIS 2.0 schema, alone and gathered in an EPCISDocument", () => {
    const events = [barcodeUnit, tagUnit, rawTagUnit].map((u, i) =>
      JSON.parse(JSON.stringify(buildEvent(sighting(u), where, i + 1))),
    );
    expect(events.map(gs1Errors)).toEqual([[], [], []]);
    const document = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2026-11-22T09:31:00.000Z',
      epcisBody: { eventList: events },
    };
    expect(gs1Errors(document)).toEqual([]);
  });

  it('names a GTIN + third-party serial (TPX) unit by its Digital Link URI, valid in both schemas', () => {
    for (const read of [
      ']d20109506000134352235TPX/1%2\x1d10LOT7',
      ']Q1https://id.gs1.org/01/09506000134352/235/TPX%2F1%252?17=271231',
    ]) {
      const decoded = decodeText(read);
      if (!decoded.ok) throw new Error(`${read}: ${decoded.reject.message}`);
      const event = JSON.parse(JSON.stringify(buildEvent(sighting(decoded.identity), where, 5)));
      expect(event.epcList).toEqual(['https://id.gs1.org/01/09506000134352/235/TPX%2F1%252']);
      expect(event['rp:unit']).toMatchObject({ scheme: 'tpx', gtin: '09506000134352', serial: 'TPX/1%2' });
      expect(gs1Errors(event)).toEqual([]);
      expect(ownErrors(event)).toEqual([]);
    }
  });

  it('the GS1 schema check finds a broken event (it is not a check that always passes)', () => {
    const event = JSON.parse(JSON.stringify(buildEvent(sighting(tagUnit), where, 1)));
    delete event.eventTime;
    event.action = 'MOVE';
    const errors = gs1Errors(event).join('\n');
    expect(errors).toContain("must have required property 'eventTime'");
    expect(errors).toContain('must be equal to one of the allowed values');
  });
});

describe('docs/topics-and-payloads.md', () => {
  it('shows an example event that is valid against both schemas', () => {
    const page = readFileSync(join(repoRoot, 'docs', 'topics-and-payloads.md'), 'utf8');
    const block = /```json\n(\{\n[\s\S]*?\n\})\n```/.exec(page);
    expect(block).not.toBeNull();
    const event = JSON.parse(block![1]!);
    expect(event.type).toBe('ObjectEvent');
    expect(gs1Errors(event)).toEqual([]);
    expect(ownErrors(event)).toEqual([]);
  });
});
