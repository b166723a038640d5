/**
 * Payloads for the `readpoint tail` tests, built as the daemon builds them: an arrival of a GS1
 * DataMatrix label with lot and expiry, a passage of an SGTIN tag through a dock door with its
 * direction, an arrival of a tag whose EPC is not GS1, a reject and a health report.
 */
import type { HealthPayload, RejectPayload } from '../../daemon/contract/topics.js';
import { buildEvent, type Sighting } from '../../daemon/event/epcis.js';
import { decodeText } from '../../daemon/identity/decode.js';

export const T = Date.parse('2026-11-29T09:02:03.123Z'); // 10:02:03.123 in Berlin (UTC+1 in November)

function identity(input: string, nonGs1 = false) {
  const r = decodeText(input, nonGs1 ? { nonGs1Epc: 'event' } : {});
  if (!r.ok) throw new Error(r.reject.message);
  return r.identity;
}

/** The payload the daemon publishes for `sighting` at read point `readPoint`. */
export function payload(readPoint: string, sighting: Omit<Sighting, 'readPointId'>, seq = 1): Buffer {
  const e = buildEvent(
    { ...sighting, readPointId: readPoint },
    { gatewayId: 'gw-1', readPointUri: `urn:readpoint:site-1:gw-1:${readPoint}` },
    seq,
  );
  return Buffer.from(JSON.stringify(e));
}

/**
 * The event gateway `gateway` of site `site` publishes with sequence number `seq`, for the label
 * of serial `seq` at read point dock-1: a distinct eventID per gateway and number.
 */
export function labelEvent(seq: number, site = 'site-1', gateway = 'gw-1'): string {
  const e = buildEvent(
    {
      identity: identity(`]d2010950600013435221SN${String(seq).padStart(6, '0')}`),
      readerId: 'scanner-1',
      readPointId: 'dock-1',
      firstSeen: T + seq,
      lastSeen: T + seq,
      readCount: 1,
    },
    { gatewayId: gateway, readPointUri: `urn:readpoint:${site}:${gateway}:dock-1` },
    seq,
  );
  return JSON.stringify(e);
}

/** A GS1 DataMatrix label with lot and expiry, and an SGTIN-96 tag. */
export const LABEL = identity(']d2010950600013435221SN0042\\x1d17271231\\x1d10LOT7');
export const TAG = identity('3074257BF7194E4000001A85');

export const ARRIVAL = payload('conveyor-1', {
  identity: LABEL,
  readerId: 'scanner-1',
  firstSeen: T,
  lastSeen: T,
  readCount: 1,
});
export const PASSAGE = payload('dock-1', {
  identity: TAG,
  readerId: 'rfid-1',
  firstSeen: T - 2000,
  lastSeen: T + 1000,
  time: T + 1000,
  readCount: 4,
  antenna: 2,
  rssi: -55,
  transition: 'passage',
  direction: 'inbound',
  confidence: 0.92,
});
export const EPC_ONLY = payload('dock-1', {
  identity: identity('E2801160600002054C1A1F8B', true),
  readerId: 'rfid-2',
  firstSeen: T + 61_000,
  lastSeen: T + 61_000,
  readCount: 1,
  antenna: 1,
  rssi: -71.5,
});

export const REJECT: RejectPayload = {
  gateway: 'gw-1',
  reader: 'scanner-1',
  readPoint: 'conveyor-1',
  time: '2026-11-29T09:05:00.000Z',
  code: 'check-digit',
  message: 'AI (01) GTIN 09506000100037 has a wrong check digit',
  rawHex: Buffer.from(']d20109506000100037').toString('hex'),
  rawLength: 19,
};

const reader = (id: string, state: string, reads: number, lastError?: string) => ({
  id,
  driver: 'serial-line',
  state,
  reads,
  rejects: 0,
  reconnects: 0,
  ...(lastError ? { lastError } : {}),
});

export const HEALTH = {
  gateway: 'gw-1',
  site: 'site-1',
  time: '2026-11-29T09:06:00.000Z',
  uptimeS: 3725,
  readers: [reader('scanner-1', 'connected', 1234), reader('rfid-1', 'disconnected', 56, 'device closed')],
  events: { published: 345, suppressedReads: 0, rejected: 2 },
  outbox: { depth: 12, bytes: 9000, oldestUndeliveredAgeS: 30, dropped: 0, lastSeq: 345 },
  uplink: { state: 'connected', connects: 1, inflight: 0 },
} as unknown as HealthPayload;
