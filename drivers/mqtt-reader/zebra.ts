/**
 * Zebra FX (FX7500, FX9600, ATR7000), IoT Connector data interface: one MQTT message -> tag
 * reads. Pure and total: any bytes give reads or rejects; nothing throws.
 *
 * A tag data event is a JSON object; with batching on (reportingInterval,
 * maxPayloadSizePerReport) one message carries an array of them, and some transports run events
 * together with no separator, which is taken too:
 *   {"type": "SIMPLE", "timestamp": "2025-03-04T10:15:30.123+0000",
 *    "data": {"MAC": "..", "antenna": 2, "eventNum": 17, "format": "epc", "idHex": "..",
 *             "peakRssi": -58, "reads": 3}}
 * `peakRssi` is already dBm. `format` says what `idHex` is: only `epc` ids are reads (a reader
 * set to report TIDs gives rejects that say so).
 */

import { DEFAULT_MAX_EVENTS_PER_MESSAGE } from '../../config/readers/mqtt-reader-kind.js';
import type { ParsedMessage, PayloadReject, TagReport } from './driver.js';
import {
  hexBytes,
  isFiniteNumber,
  isObject,
  isoTime,
  isPort,
  jsonBytes,
  parseEvents,
} from './json-fields.js';

export function parseZebraMessage(
  payload: Buffer,
  maxEvents: number = DEFAULT_MAX_EVENTS_PER_MESSAGE,
): ParsedMessage {
  return parseEvents(payload, jsonValues, tagEvent, maxEvents);
}

function tagEvent(value: unknown): TagReport | PayloadReject {
  const fail = (code: string, message: string): PayloadReject => ({ code, message, data: jsonBytes(value) });
  if (!isObject(value)) return fail('unknown-shape', 'not a Zebra tag data event object');
  const data = value.data;
  if (!isObject(data)) return fail('unknown-shape', 'a tag data event needs a "data" object');
  if (typeof data.format === 'string' && data.format.toLowerCase() !== 'epc')
    return fail(
      'not-epc',
      `idHex holds a ${data.format} id, not an EPC (set the reader's tag id format to epc)`,
    );
  if (data.idHex === undefined) return fail('no-epc', 'the tag data event has no idHex');
  const epc = hexBytes(data.idHex);
  if (!epc) return fail('bad-epc', 'idHex is not 1-62 bytes of hex');
  const time = isoTime(value.timestamp);
  return {
    epc,
    ...(isPort(data.antenna) ? { antenna: data.antenna } : {}),
    ...(isFiniteNumber(data.peakRssi) ? { rssi: data.peakRssi } : {}),
    ...(time !== undefined ? { time } : {}),
  };
}

/**
 * The message as JSON values: one value, or values one after another (JSON lines, or objects run
 * together). Every one must parse, else the message is not JSON.
 */
function jsonValues(text: string): unknown[] | undefined {
  try {
    return [JSON.parse(text)];
  } catch {
    // fall through: several values one after another
  }
  const values: unknown[] = [];
  for (const piece of topLevelValues(text)) {
    try {
      values.push(JSON.parse(piece));
    } catch {
      return undefined;
    }
  }
  return values.length > 1 ? values : undefined;
}

/** Splits text at the end of each top-level object or array (strings and escapes respected). */
function* topLevelValues(text: string): Generator<string> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    if (c === 0x7b || c === 0x5b) {
      if (depth++ === 0) start = i;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) yield text.slice(start, i + 1);
      if (depth < 0) return yield text; // unbalanced: let JSON.parse refuse it
    } else if (depth === 0 && c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
      return yield text; // a bare value between objects: not JSON values run together
    }
  }
  if (depth !== 0) yield text;
}
