/**
 * Event build per event, alone: the object-then-JSON.stringify way (`buildEvent`) against the
 * direct writer (`EventBytes`) over the same sightings (arrivals of tags and barcodes, as the
 * gateway bench reads them), and the direct writer with a transaction context active at the read
 * point (a shipment and its destination), alternating, 7 rounds each. Prints the median CPU ns per
 * event; not a test (nothing here is asserted).
 * `node dist/test/bench/event-build.js [events]`
 */
import type { BusinessContext } from '../../daemon/event/business-context.js';
import { buildEvent, type ReadPointContext, type Sighting } from '../../daemon/event/epcis.js';
import { EventBytes } from '../../daemon/event/event-bytes.js';
import { decodeRead, decodeText } from '../../daemon/identity/decode.js';
import type { UnitIdentity } from '../../daemon/identity/identity.js';

const n = Number(process.argv[2] ?? 200_000);
const where: ReadPointContext = {
  gatewayId: 'bench',
  readPointUri: 'urn:readpoint:bench:bench:line-1',
  bizStep: 'shipping',
};
const unit = (r: ReturnType<typeof decodeText>): UnitIdentity => {
  if (!r.ok) throw new Error(r.reject.message);
  return r.identity;
};
const units = [
  unit(decodeText(']d2010950600013435221SN0042\x1d1727123110LOT7')),
  unit(decodeRead({ kind: 'epc', data: Buffer.from('3074257BF7194E4000001A85', 'hex') })),
];
const start = Date.now();
const sightings: Sighting[] = Array.from({ length: 1000 }, (_, i) => ({
  identity: units[i % 2]!,
  readerId: 'sim',
  readPointId: 'line-1',
  firstSeen: start + i,
  lastSeen: start + i,
  readCount: 1,
  antenna: undefined,
  rssi: undefined,
  transition: 'arrival',
  time: start + i,
  direction: undefined,
  confidence: undefined,
  bizStep: undefined,
  context: undefined,
}));
const shipment: BusinessContext = {
  bizTransactionList: [{ type: 'desadv', bizTransaction: 'https://id.gs1.org/402/40123450000000016' }],
  destinationList: [{ type: 'location', destination: 'urn:epc:id:sgln:4012345.00011.0' }],
};
const inContext = sightings.map((s) => ({ ...s, context: shipment }));

const bytes = new EventBytes(where);
const ways: [string, (s: Sighting, seq: number) => string][] = [
  ['JSON.stringify(buildEvent)', (s, seq) => JSON.stringify(buildEvent(s, where, seq))],
  ['EventBytes.event', (s, seq) => bytes.event(s, seq)],
  ['EventBytes.event, context active', (s, seq) => bytes.event(inContext[seq % 1000] ?? s, seq)],
];
/** CPU ns per event of `way` over `n` events (CPU time: steadier than wall time on a shared box). */
function measure(way: (s: Sighting, seq: number) => string): number {
  let bytesOut = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    // As the outbox does: the text is read whole (flattened) into bytes.
    bytesOut += Buffer.byteLength(way(sightings[i % 1000]!, i));
  }
  const used = process.cpuUsage(before);
  if (bytesOut === 0) throw new Error('nothing built');
  return ((used.user + used.system) * 1000) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = new Map<string, number[]>(ways.map(([name]) => [name, []]));
for (let round = 0; round < 7; round++) for (const [name, way] of ways) runs.get(name)!.push(measure(way));
for (const [name, ns] of runs)
  process.stdout.write(
    `${JSON.stringify({ way: name, cpuNsPerEvent: Math.round(median(ns)), rounds: ns.map(Math.round) })}\n`,
  );
