/**
 * The Impinj R700 parser on vendor-shaped messages and on garbage.
 *
 * Where the shapes come from: the Impinj IoT device interface (R700 firmware 7.x/8.x) publishes
 * one event object per MQTT message: `timestamp`, `hostname`, `eventType: "tagInventory"` and a
 * `tagInventoryEvent` whose fields are those enabled in `eventConfig.tagInventory` of the
 * reader's preset (epc, epcHex, tid, tidHex, pc, antennaPort, antennaName, peakRssiCdbm,
 * frequency, transmitPowerCdbm, lastSeenTime, phaseAngle); `epc`, `tid` and `pc` are base64,
 * RSSI is centi-dBm, times are ISO 8601 UTC with sub-millisecond digits. The same objects arrive
 * as JSON lines over the reader's HTTP stream. Field list checked against the interface's
 * documented eventConfig and reelyActive/barnowl-impinj's simulated tagInventory event; the
 * values below are our own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseImpinjMessage } from '../../../drivers/mqtt-reader/impinj.js';

const SGTIN = '3034257BF7194E4000001A85';
const SGTIN_2 = '3034257BF7194E4000001A86';
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** A tagInventory event with every field the R700 can be told to report. */
const fullEvent = {
  timestamp: '2025-03-04T10:15:30.456789Z',
  hostname: 'impinj-14-a2-7f',
  eventType: 'tagInventory',
  tagInventoryEvent: {
    epc: Buffer.from(SGTIN, 'hex').toString('base64'),
    epcHex: SGTIN,
    tid: '4oARcCAAFM2bWgjs',
    tidHex: 'E2801170200014CD9B5A08EC',
    pc: 'MAA=', // 0x3000: a 96-bit EPC, six words
    antennaPort: 3,
    antennaName: 'Dock door left',
    peakRssiCdbm: -5234,
    frequency: 866900,
    transmitPowerCdbm: 3000,
    lastSeenTime: '2025-03-04T10:15:30.123456Z',
    phaseAngle: 69.5,
  },
};

describe('parseImpinjMessage', () => {
  it('reads a full tagInventory event: EPC bytes, antenna, dBm, PC and the last-seen time', () => {
    expect(parseImpinjMessage(json(fullEvent))).toEqual({
      reads: [
        {
          epc: Buffer.from(SGTIN, 'hex'),
          antenna: 3,
          rssi: -52.34,
          pc: 0x3000,
          time: Date.UTC(2025, 2, 4, 10, 15, 30, 123),
        },
      ],
      rejects: [],
      ignored: 0,
    });
  });

  it('takes the base64 epc when epcHex is disabled, and the event time when lastSeenTime is', () => {
    const event = {
      timestamp: '2025-03-04T10:15:31.000Z',
      eventType: 'tagInventory',
      tagInventoryEvent: { epc: Buffer.from(SGTIN_2, 'hex').toString('base64'), antennaPort: 1 },
    };
    expect(parseImpinjMessage(json(event)).reads).toEqual([
      { epc: Buffer.from(SGTIN_2, 'hex'), antenna: 1, time: Date.UTC(2025, 2, 4, 10, 15, 31) },
    ]);
  });

  it('keeps order across JSON lines (the HTTP stream shape) and arrays of events', () => {
    const a = { eventType: 'tagInventory', tagInventoryEvent: { epcHex: SGTIN, antennaPort: 1 } };
    const b = { eventType: 'tagInventory', tagInventoryEvent: { epcHex: SGTIN_2, antennaPort: 2 } };
    const lines = Buffer.from(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n\n`);
    const expected = [
      { epc: Buffer.from(SGTIN, 'hex'), antenna: 1 },
      { epc: Buffer.from(SGTIN_2, 'hex'), antenna: 2 },
    ];
    expect(parseImpinjMessage(lines).reads).toEqual(expected);
    expect(parseImpinjMessage(json([a, b])).reads).toEqual(expected);
  });

  it('ignores events that are not tag reads', () => {
    const status = {
      timestamp: '2025-03-04T10:15:30Z',
      eventType: 'inventoryStatus',
      inventoryStatusEvent: { status: 'running' },
    };
    expect(parseImpinjMessage(json(status))).toEqual({ reads: [], rejects: [], ignored: 1 });
  });

  it('rejects each bad event with a code and its own JSON, and keeps the good ones', () => {
    const noEpc = { eventType: 'tagInventory', tagInventoryEvent: { antennaPort: 1 } };
    const badHex = { eventType: 'tagInventory', tagInventoryEvent: { epcHex: '30Z4' } };
    const oddHex = { eventType: 'tagInventory', tagInventoryEvent: { epcHex: '303' } };
    const good = { eventType: 'tagInventory', tagInventoryEvent: { epcHex: SGTIN, peakRssiCdbm: -6100 } };
    const result = parseImpinjMessage(json([noEpc, badHex, good, oddHex, 7]));
    expect(result.reads).toEqual([{ epc: Buffer.from(SGTIN, 'hex'), rssi: -61 }]);
    expect(result.rejects.map((r) => [r.code, r.data.toString()])).toEqual([
      ['no-epc', JSON.stringify(noEpc)],
      ['bad-epc', JSON.stringify(badHex)],
      ['bad-epc', JSON.stringify(oddHex)],
      ['unknown-shape', '7'],
    ]);
  });

  it('drops fields of the wrong type instead of guessing', () => {
    const event = {
      timestamp: 'yesterday',
      tagInventoryEvent: { epcHex: SGTIN, antennaPort: 0, peakRssiCdbm: '-5000', pc: 'not base64!' },
    };
    expect(parseImpinjMessage(json(event)).reads).toEqual([{ epc: Buffer.from(SGTIN, 'hex') }]);
  });

  it('rejects what is not JSON with the head of the message', () => {
    const garbage = Buffer.concat([Buffer.from([0xff, 0x00, 0x7b]), Buffer.alloc(5000, 0x41)]);
    const result = parseImpinjMessage(garbage);
    expect(result.reads).toEqual([]);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]!.code).toBe('not-json');
    expect(result.rejects[0]!.data).toEqual(garbage.subarray(0, 4096));
    expect(parseImpinjMessage(Buffer.from('')).rejects.map((r) => r.code)).toEqual(['not-json']);
    expect(parseImpinjMessage(Buffer.from('{"a":1}\nnope')).rejects.map((r) => r.code)).toEqual(['not-json']);
    expect(parseImpinjMessage(Buffer.from('null')).rejects.map((r) => r.code)).toEqual(['unknown-shape']);
  });

  it('survives JSON nested too deeply to print', () => {
    const deep = Buffer.from(`{"tagInventoryEvent":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const result = parseImpinjMessage(deep);
    expect(result.reads).toEqual([]);
    expect(result.rejects.map((r) => [r.code, r.data.length > 0])).toEqual([['unknown-shape', true]]);
  });

  it('never throws on any bytes or any JSON, and every read carries 1-62 EPC bytes', () => {
    const check = (payload: Buffer) => {
      const result = parseImpinjMessage(payload);
      for (const read of result.reads) expect(read.epc.length).toBeGreaterThanOrEqual(1);
      for (const read of result.reads) expect(read.epc.length).toBeLessThanOrEqual(62);
      for (const reject of result.rejects) expect(reject.data.length).toBeLessThanOrEqual(4096);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(Buffer.from(bytes))));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        check(json(value));
        check(json({ eventType: 'tagInventory', tagInventoryEvent: value }));
        check(json({ tagInventoryEvent: { epcHex: value, antennaPort: value, peakRssiCdbm: value } }));
      }),
    );
  });
});
