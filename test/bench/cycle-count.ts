/**
 * A cycle count's cost on the main thread, alone: the units of `units` open passes at one read
 * point listed (Smoother.openUnits), sorted, compared with the previous count (1% of the units
 * changed) and every part's text built, as CycleCounts does before it hands the parts to the
 * recorder; 7 rounds, the median wall and CPU ms, with the comparison made by one walk over both
 * sorted lists (as CycleCounts does) and by two sets, alternating. Then the scan session's cost on the read path:
 * CPU ns per event of RecentUnits.eventNumbered over a million events of `units` units at a
 * counted read point. Prints the figures; not a test (nothing here is asserted).
 * `node dist/test/bench/cycle-count.js [units]`
 */
import type { Sighting } from '../../daemon/event/epcis.js';
import { decodeRead } from '../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { countEvents } from '../../daemon/inventory/cycle-count/count-event.js';
import { RecentUnits } from '../../daemon/inventory/cycle-count/recent-units.js';
import { sortedDiff } from '../../daemon/inventory/cycle-count/sorted-diff.js';
import { Smoother } from '../../daemon/smoothing/smoother.js';

const units = Number(process.argv[2] ?? 100_000);
const FORMAT = { data: 'aim' as const, plainSerial: [] };
const where = { gatewayId: 'bench', readPointUri: 'urn:readpoint:bench:bench:shelf' };

const smoother = new Smoother(
  { maxTracked: units },
  new Map([['shelf', { departureMs: 3_600_000, departures: false, twoZone: false }]]),
);
const identities = [];
for (let serial = 0; serial < units; serial++) {
  const data = encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial });
  const decoded = decodeRead({ kind: 'epc', data }, FORMAT);
  if (!decoded.ok) throw new Error(decoded.reject.message);
  identities.push(decoded.identity);
  smoother.observe({
    identity: decoded.identity,
    raw: { data, kind: 'epc', format: FORMAT },
    readerId: 'r',
    readPointId: 'shelf',
    at: Date.now(),
    mono: serial,
  });
}
// The previous count: the same units but 1% of them, and 1% that are gone now.
const previous = smoother.openUnits('shelf', units).units.sort();
for (let i = 0; i < previous.length; i += 100) previous[i] = `urn:epc:id:sgtin:0614141.812345.x${i}`;
previous.sort();

/** The comparison with the previous count: one walk over both sorted lists, or two sets. */
const ways: [string, (present: string[]) => { appeared: string[]; missing: string[] }][] = [
  ['sorted walk (sortedDiff)', (present) => sortedDiff(present, previous)],
  [
    'sets',
    (present) => {
      const before = new Set(previous);
      const now = new Set(present);
      return {
        appeared: present.filter((u) => !before.has(u)),
        missing: previous.filter((u) => !now.has(u)),
      };
    },
  ],
];

function count(diff: (present: string[]) => { appeared: string[]; missing: string[] }): number {
  const at = Date.now();
  const present = smoother.openUnits('shelf', units).units.sort();
  const { appeared, missing } = diff(present);
  const builders = countEvents(
    {
      readPointId: 'shelf',
      at,
      present,
      appeared,
      missing,
      previousAt: at - 1,
      windowS: 0,
      truncated: false,
    },
    where,
    1000,
  );
  let bytes = 0;
  for (const [i, build] of builders.entries()) bytes += Buffer.byteLength(build(i + 1));
  return bytes;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = ways.map(() => [] as number[]);
const cpu = ways.map(() => [] as number[]);
let bytes = 0;
// The ways alternate, so a neighbour's load falls on both alike.
for (let round = 0; round < 7; round++) {
  for (const [w, [, diff]] of ways.entries()) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    bytes = count(diff);
    const c = process.cpuUsage(c0);
    wall[w]!.push(performance.now() - t0);
    cpu[w]!.push((c.user + c.system) / 1000);
  }
}
for (const [w, [name]] of ways.entries())
  console.log(
    `count of ${units.toLocaleString('en-US')} units (${Math.ceil(units / 1000)} parts, ` +
      `${(bytes / 1024 / 1024).toFixed(1)} MiB), compared by ${name}: median ` +
      `${median(wall[w]!).toFixed(0)} ms wall, ${median(cpu[w]!).toFixed(0)} ms CPU`,
  );

const recent = new RecentUnits(new Map([['shelf', units]]));
const sightings: Sighting[] = identities.map((identity) => ({
  identity,
  readerId: 'r',
  readPointId: 'shelf',
  firstSeen: 0,
  lastSeen: 0,
  readCount: 1,
}));
const EVENTS = 1_000_000;
const rounds: number[] = [];
for (let round = 0; round < 7; round++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < EVENTS; i++)
    recent.eventNumbered({ sighting: sightings[i % units]!, seq: i, eventId: '', topic: '' });
  const c = process.cpuUsage(c0);
  rounds.push(((c.user + c.system) * 1000) / EVENTS);
}
console.log(`scan session (RecentUnits.eventNumbered): median ${median(rounds).toFixed(0)} ns CPU per event`);
