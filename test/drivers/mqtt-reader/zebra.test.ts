/**
 * The Zebra FX parser on vendor-shaped messages and on garbage.
 *
 * Where the shapes come from: the Zebra IoT Connector (FX7500, FX9600, ATR7000) data interface
 * sends one tag data event per MQTT message, `{"type": <operating mode, e.g. "SIMPLE">,
 * "timestamp": ISO 8601 with a "+0000" offset, "data": {"MAC", "antenna", "eventNum",
 * "format": "epc", "idHex", "peakRssi" (dBm), "reads"}}`; with "Tag Data Batching"
 * (reportingInterval, maxPayloadSizePerReport, in Zebra's IoT Connector docs) one message carries
 * an array of such events. Field names and the "+0000" offset checked against
 * reelyActive/barnowl-zebra's simulated event and decoder, which also notes events streamed back to
 * back with no separator; RSSI in dBm per Zebra's tag metadata docs. The values are our own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseZebraMessage } from '../../../drivers/mqtt-reader/zebra.js';

const EPCS = ['3034257BF7194E4000001A85', '3034257BF7194E4000001A86', '3034257BF7194E4000001A87'];
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const tagDataEvent = (i: number, extra: Record<string, unknown> = {}) => ({
  type: 'SIMPLE',
  timestamp: `2025-03-04T10:15:3${i}.250+0000`,
  data: {
    MAC: '84:24:8D:00:11:22',
    antenna: i + 1,
    eventNum: 100 + i,
    format: 'epc',
    idHex: EPCS[i],
    peakRssi: -50 - i,
    reads: 2,
    ...extra,
  },
});
const expectedRead = (i: number) => ({
  epc: Buffer.from(EPCS[i]!, 'hex'),
  antenna: i + 1,
  rssi: -50 - i,
  time: Date.UTC(2025, 2, 4, 10, 15, 30 + i, 250),
});

describe('parseZebraMessage', () => {
  it('reads one tag data event: EPC bytes, antenna, dBm and the reader time', () => {
    expect(parseZebraMessage(json(tagDataEvent(0)))).toEqual({
      reads: [expectedRead(0)],
      rejects: [],
      ignored: 0,
    });
  });

  it('reads a batched message in order', () => {
    const batch = [tagDataEvent(0), tagDataEvent(1), tagDataEvent(2)];
    expect(parseZebraMessage(json(batch)).reads).toEqual([0, 1, 2].map(expectedRead));
  });

  it('reads events run together with no separator, and JSON lines', () => {
    const events = [0, 1, 2].map((i) => JSON.stringify(tagDataEvent(i)));
    expect(parseZebraMessage(Buffer.from(events.join(''))).reads).toEqual([0, 1, 2].map(expectedRead));
    expect(parseZebraMessage(Buffer.from(events.join('\r\n'))).reads).toEqual([0, 1, 2].map(expectedRead));
  });

  it('takes an event with only idHex; antenna, RSSI and time stay absent', () => {
    const bare = { data: { idHex: EPCS[1]!.toLowerCase() } };
    expect(parseZebraMessage(json(bare)).reads).toEqual([{ epc: Buffer.from(EPCS[1]!, 'hex') }]);
  });

  it('rejects TIDs reported as ids, and events without a usable idHex, keeping the rest', () => {
    const tid = tagDataEvent(0, { format: 'tid', idHex: 'E2801170200014CD9B5A08EC' });
    const none = tagDataEvent(1, { idHex: undefined });
    const bad = tagDataEvent(2, { idHex: 'E2-80' });
    const result = parseZebraMessage(json([tid, none, tagDataEvent(1), bad, { type: 'HEARTBEAT' }]));
    expect(result.reads).toEqual([expectedRead(1)]);
    expect(result.rejects.map((r) => [r.code, r.data.toString()])).toEqual([
      ['not-epc', JSON.stringify(tid)],
      ['no-epc', JSON.stringify(none)],
      ['bad-epc', JSON.stringify(bad)],
      ['unknown-shape', JSON.stringify({ type: 'HEARTBEAT' })],
    ]);
  });

  it('rejects what is not JSON with the head of the message', () => {
    for (const text of ['', 'garbage', '{"data":', '{"data":{}}x', '}{', '{"a":1} 2 {"b":3}']) {
      const result = parseZebraMessage(Buffer.from(text));
      expect(result).toEqual({
        reads: [],
        rejects: [{ code: 'not-json', message: 'the message is not JSON', data: Buffer.from(text) }],
        ignored: 0,
      });
    }
  });

  it('never throws on any bytes or any JSON, and every read carries 1-62 EPC bytes', () => {
    const check = (payload: Buffer) => {
      const result = parseZebraMessage(payload);
      for (const read of result.reads) expect(read.epc.length).toBeGreaterThanOrEqual(1);
      for (const read of result.reads) expect(read.epc.length).toBeLessThanOrEqual(62);
      for (const reject of result.rejects) expect(reject.data.length).toBeLessThanOrEqual(4096);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(Buffer.from(bytes))));
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, text) => {
        check(json(value));
        check(json([{ data: value }, { data: { idHex: value, antenna: value, peakRssi: value } }]));
        check(Buffer.from(`{"data":{"idHex":"${EPCS[0]}"}}${text}`));
      }),
    );
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parseZebraMessage(Buffer.from(`[${deep}]`)).rejects.map((r) => r.code)).toEqual(['unknown-shape']);
  });
});
