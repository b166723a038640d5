/**
 * The read path per read, alone: the simulator's reads (SGTIN-96 tags and GS1 DataMatrix labels,
 * every read a new unit, as the gateway bench reads them) through the handover window and the
 * pipeline (decode, read point, smoothing) to the event writer and each event's text, with a
 * stand-in for the recorder that numbers and builds each event at once and resolves (the reads
 * of one turn sharing one promise, as those of one group commit do). No outbox,
 * no uplink: what is left is the work between the driver and the event's text. Prints, per read,
 * the median CPU µs of 7 rounds (each with a smoother of its own); not a test (nothing here is
 * asserted).
 * `node dist/test/bench/read-path.js [reads per round] [tag share 0-1]`
 */
import { parseConfig } from '../../config/load.js';
import { topics } from '../../daemon/contract/topics.js';
import { silentLogger } from '../../daemon/log.js';
import { Pipeline } from '../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../daemon/read-points.js';
import type { EventTally, PendingEvent, Recorder } from '../../daemon/recorder.js';
import { Smoother } from '../../daemon/smoothing/smoother.js';
import type { RawRead } from '../../drivers/driver.js';
import { Handover } from '../../drivers/handover.js';
import { firstDraw, unit } from '../../drivers/simulated-units.js';

const n = Number(process.argv[2] ?? 100_000);
const tagShare = Number(process.argv[3] ?? 0.5);
const ROUNDS = 7;

const config = parseConfig(
  `gateway: { id: bench, site: bench }
readPoints: [{ id: line-1, bizStep: shipping }]
readers:
  - { id: sim, driver: simulator, readPoint: line-1 }
`,
  'read-path.yaml',
);
const points = readPointRuntimes(config, topics('readpoint/v1', 'bench', 'bench'));
const rules = new Map([...points].map(([id, p]) => [id, p.rules]));
let seq = 0;
let chars = 0;
/** The promise the reads of this turn share, as they would share a group commit's. */
let turn: Promise<void> | undefined;
const endTurn = () => {
  turn = undefined;
};
/** Numbers and builds each event as the recorder would, and calls it durable at once. */
const recorder = {
  recordAll(events: readonly PendingEvent[]) {
    for (const e of events) chars += e.build(++seq).length;
    return Promise.resolve({ stored: events.length, refused: 0 });
  },
  recordInto(events: readonly PendingEvent[], tally: EventTally) {
    for (const e of events) chars += e.build(++seq).length;
    tally.events += events.length;
    if (turn === undefined) {
      turn = Promise.resolve();
      queueMicrotask(endTurn);
    }
    return turn;
  },
} as unknown as Recorder;

/** The reads of round `r`: units never read before. */
function reads(r: number): RawRead[] {
  const out: RawRead[] = [];
  for (let i = 0; i < n; i++) {
    const m = r * n + i;
    const u = unit(m, firstDraw(m) < tagShare);
    const tag = u.kind === 'epc';
    out.push({
      readerId: 'sim',
      kind: u.kind,
      data: u.data,
      at: Date.now(),
      mono: performance.now(),
      antenna: tag ? 1 + (m % 2) : undefined,
      rssi: tag ? -40 - (m % 30) : undefined,
    });
  }
  return out;
}

const rounds: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const input = reads(r);
  const log = silentLogger();
  const pipeline = new Pipeline({
    gatewayId: 'bench',
    reader: config.readers[0]!,
    smoother: new Smoother({ maxTracked: ROUNDS * n }, rules),
    events: new EventWriter(points, recorder),
    publishReject: () => {},
    log,
  });
  const handover = new Handover(pipeline, log);
  const before = process.cpuUsage();
  for (const read of input) {
    const room = handover.push(read);
    if (handover.full) await room;
  }
  await handover.drain();
  const used = process.cpuUsage(before);
  rounds.push((used.user + used.system) / n);
}
if (seq !== ROUNDS * n || chars === 0) throw new Error(`${seq} events of ${ROUNDS * n} reads`);
const median = [...rounds].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
process.stdout.write(
  `${JSON.stringify({ reads: n, tagShare, cpuUsPerRead: Number(median.toFixed(2)), rounds: rounds.map((x) => Number(x.toFixed(2))), eventChars: Math.round(chars / seq) })}\n`,
);
