/**
 * Impinj R700, IoT device interface: one MQTT message -> tag reads. Pure and total: any bytes give
 * reads, rejects, or events of other types ignored; nothing throws.
 *
 * The reader publishes each event as a JSON object (the HTTP stream carries the same objects as
 * JSON lines, which are taken too, as is an array of them):
 *   {"timestamp": "...Z", "hostname": "impinj-..", "eventType": "tagInventory",
 *    "tagInventoryEvent": {"epcHex": "..", "epc": "<base64>", "pc": "<base64>", "antennaPort": 1,
 *                          "peakRssiCdbm": -5234, "lastSeenTime": "...Z", ...}}
 * Which fields appear is the reader's eventConfig.tagInventory; only the EPC is required here.
 * Other event types (inventoryStatus, antennaConnected, ...) are not reads and are ignored.
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

export function parseImpinjMessage(
  payload: Buffer,
  maxEvents: number = DEFAULT_MAX_EVENTS_PER_MESSAGE,
): ParsedMessage {
  return parseEvents(payload, jsonValues, tagEvent, maxEvents);
}

function tagEvent(value: unknown): TagReport | PayloadReject | 'ignored' {
  const fail = (code: string, message: string): PayloadReject => ({ code, message, data: jsonBytes(value) });
  if (!isObject(value)) return fail('unknown-shape', 'not an Impinj event object');
  const tag = value.tagInventoryEvent;
  if (tag === undefined) {
    if (typeof value.eventType === 'string' && value.eventType !== 'tagInventory') return 'ignored';
    return fail('unknown-shape', 'an object without tagInventoryEvent');
  }
  if (!isObject(tag)) return fail('unknown-shape', 'tagInventoryEvent is not an object');
  let epc: Buffer | undefined;
  if (tag.epcHex !== undefined) {
    epc = hexBytes(tag.epcHex);
    if (!epc) return fail('bad-epc', 'epcHex is not 1-62 bytes of hex');
  } else if (tag.epc !== undefined) {
    epc = base64Bytes(tag.epc, 62);
    if (!epc) return fail('bad-epc', 'epc is not 1-62 bytes of base64');
  } else {
    return fail(
      'no-epc',
      'the tag event has neither epcHex nor epc (enable one in eventConfig.tagInventory)',
    );
  }
  const pcBytes = base64Bytes(tag.pc, 2);
  const time = isoTime(tag.lastSeenTime) ?? isoTime(value.timestamp);
  return {
    epc,
    ...(isPort(tag.antennaPort) ? { antenna: tag.antennaPort } : {}),
    ...(isFiniteNumber(tag.peakRssiCdbm) ? { rssi: tag.peakRssiCdbm / 100 } : {}),
    ...(pcBytes?.length === 2 ? { pc: pcBytes.readUInt16BE(0) } : {}),
    ...(time !== undefined ? { time } : {}),
  };
}

/** The message as one JSON value, or as JSON lines (every non-blank line must parse). */
function jsonValues(text: string): unknown[] | undefined {
  try {
    return [JSON.parse(text)];
  } catch {
    if (!text.includes('\n')) return undefined;
  }
  const values: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      return undefined;
    }
  }
  return values.length > 0 ? values : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Bytes(value: unknown, max: number): Buffer | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 4 * Math.ceil(max / 3)) return undefined;
  if (!BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length >= 1 && bytes.length <= max ? bytes : undefined;
}
