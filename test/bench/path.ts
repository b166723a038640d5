/**
 * The gateway's data path for the latency and backlog benches, built from the same classes and
 * the same config defaults as daemon/gateway.ts (pipeline -> recorder -> LevelOutbox ->
 * dispatcher -> MqttUplink, with the heap growth and compaction of the memory budget), without
 * the parts off the data path (health timer, overflow notices, embedded broker). Built here rather than through Gateway for two reasons: the bench
 * hands reads to the pipeline itself (at a fixed rate, or a backlog before the uplink exists),
 * and it needs the PUBACK of every event, which Gateway does not expose.
 */
import { join } from 'node:path';
import { parseConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { topics } from '../../daemon/contract/topics.js';
import { Dispatcher } from '../../daemon/dispatcher.js';
import { OutboxCompaction } from '../../daemon/drain-compaction.js';
import { buildEvent } from '../../daemon/event/epcis.js';
import { decodeRead } from '../../daemon/identity/decode.js';
import { silentLogger } from '../../daemon/log.js';
import { HeapGrowth, levelTuningFor } from '../../daemon/memory-budget.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import { Pipeline } from '../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../daemon/read-points.js';
import { Recorder } from '../../daemon/recorder.js';
import { Smoother } from '../../daemon/smoothing/smoother.js';
import { MqttUplink } from '../../daemon/uplink/mqtt-uplink.js';
import type { RawRead } from '../../drivers/driver.js';
import { unit } from '../../drivers/simulated-units.js';

/**
 * The outbox, telling the bench the sequence number of every event the broker acknowledged: the
 * dispatcher acknowledges an event to the outbox in the uplink's PUBACK callback, so this is the
 * PUBACK's moment, and watching here adds no work per publish (a callback wrapped around each
 * send, and the sequence number searched in each payload, cost the drain about 0.7 µs of CPU per
 * event that neither the gateway nor raw mqtt.js spends). The recorder numbers events with the
 * outbox's sequence, so it is the event's `rp:sequence` too.
 */
class ObservedOutbox extends LevelOutbox {
  onAck: (seq: number) => void = () => {};
  override ack(seq: number): void {
    super.ack(seq);
    this.onAck(seq);
  }
}

/** The uplink, sizing one payload in 256 it sends (for the mean size the bench reports). */
class SizingUplink extends MqttUplink {
  private sent = 0;
  sized = 0;
  sizedBytes = 0;
  override send(topic: string, payload: string | Buffer, settled: (err?: Error) => void): void {
    if ((this.sent++ & 255) === 0) {
      this.sized++;
      this.sizedBytes += Buffer.byteLength(payload);
    }
    super.send(topic, payload, settled);
  }
}

/** The `rp:sequence` of a serialized event (text or bytes), without parsing the whole of it. */
export function sequenceOf(payload: string | Buffer): number {
  const at = payload.indexOf('"rp:sequence":');
  if (at < 0) return -1;
  if (typeof payload === 'string') return Number.parseInt(payload.slice(at + 14, at + 30), 10);
  let n = 0;
  for (let i = at + 14, d = payload[i]! - 48; d >= 0 && d <= 9; d = payload[++i]! - 48) n = n * 10 + d;
  return n;
}

export interface PathOptions {
  readonly url: string;
  readonly dataDir: string;
  readonly inflight: number;
  /** outbox.maxEvents (the daemon's default otherwise). */
  readonly maxEvents?: number;
  readonly maxBytes?: number;
  /** outbox.sync (the daemon's default, batch, otherwise). */
  readonly sync?: 'batch' | 'interval';
  /** Every event the broker acknowledged (each PUBACK): its `rp:sequence`. */
  readonly onPuback: (seq: number) => void;
}

export interface BenchPath {
  readonly config: Config;
  readonly pipeline: Pipeline;
  readonly outbox: LevelOutbox;
  readonly outboxDir: string;
  /** Starts the uplink and the dispatcher: until then the outbox only fills. */
  connect(): Promise<void>;
  /**
   * Stops the dispatcher (after the PUBACKs of what is in flight) and the uplink, and rewinds the
   * outbox as after a lost connection: what was read ahead is sent after the next connect().
   */
  disconnect(): Promise<void>;
  /** Bytes of the payloads published, mean (of one in 256); NaN before any. */
  payloadBytes(): number;
  /** Once the backlog is out: what the daemon's compaction does then has been done. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export async function openPath(o: PathOptions): Promise<BenchPath> {
  const config = parseConfig(
    `gateway: { id: bench-gw, site: bench-site }
dataDir: ${o.dataDir}
broker: { enabled: false }
uplink: { url: "${o.url}", inflight: ${o.inflight}, healthIntervalS: 3600 }
outbox: { ${o.maxEvents ? `maxEvents: ${o.maxEvents}, ` : ''}${o.maxBytes ? `maxBytes: ${o.maxBytes}, ` : ''}${o.sync ? `sync: ${o.sync}` : ''} }
readPoints:
  - { id: conveyor-1, bizStep: shipping, disposition: in_transit, bizLocation: "urn:epc:id:sgln:4012345.00001.0" }
readers:
  - { id: sim-conveyor, driver: simulator, readPoint: conveyor-1 }
`,
    'bench.yaml',
  );
  const log = silentLogger();
  const t = topics(config.uplink.topicPrefix, config.gateway.site, config.gateway.id);
  const outboxDir = join(config.dataDir, 'outbox');
  // As the gateway runs it: the heap's growth and LevelDB fitted to the memory budget, and the
  // outbox compacted while a backlog drains.
  const heap = new HeapGrowth(config.memory.budgetMb);
  heap.start();
  const outbox = new ObservedOutbox(
    outboxDir,
    { ...config.outbox, level: levelTuningFor(config.memory.budgetMb) },
    log,
  );
  outbox.onAck = o.onPuback;
  await outbox.open();
  const compaction = new OutboxCompaction(outbox, () => config.jobs.compactAfterEvents, log);
  compaction.start();
  const recorder = new Recorder(outbox, { batchMax: config.outbox.batchMax, retryMs: 500 }, log);
  const reader = config.readers[0]!;
  const points = readPointRuntimes(config, t);
  const pipeline = new Pipeline({
    gatewayId: config.gateway.id,
    reader,
    smoother: new Smoother(
      { maxTracked: config.smoothing.maxTracked },
      new Map([...points].map(([id, p]) => [id, p.rules])),
    ),
    events: new EventWriter(points, recorder),
    publishReject: () => {},
    log,
  });
  let uplink: SizingUplink | undefined;
  let dispatcher: Dispatcher | undefined;
  const sized = { events: 0, bytes: 0 };
  return {
    config,
    pipeline,
    outbox,
    outboxDir,
    async connect() {
      uplink = new SizingUplink(
        {
          url: o.url,
          clientId: `rp-bench-${process.pid}`,
          rejectUnauthorized: true,
          keepaliveS: config.uplink.keepaliveS,
          inflight: config.uplink.inflight + 1, // as the gateway: one slot for an overflow notice
          retry: config.uplink.retry,
          statusTopic: t.status,
        },
        log,
      );
      await uplink.start();
      dispatcher = new Dispatcher(outbox, uplink, log, {
        window: config.uplink.inflight,
        liveShare: config.uplink.liveShare,
      });
      dispatcher.start();
    },
    payloadBytes() {
      const events = sized.events + (uplink?.sized ?? 0);
      return (sized.bytes + (uplink?.sizedBytes ?? 0)) / events;
    },
    async disconnect() {
      await dispatcher?.stop();
      await uplink?.stop();
      sized.events += uplink?.sized ?? 0;
      sized.bytes += uplink?.sizedBytes ?? 0;
      dispatcher = undefined;
      uplink = undefined;
      outbox.rewind();
    },
    async drained() {
      await compaction.whileDraining();
      await compaction.idle();
    },
    async stop() {
      await dispatcher?.stop();
      await uplink?.stop();
      await recorder.stop();
      await compaction.stop();
      await outbox.close();
      heap.stop();
    },
  };
}

/** Resolves with `promise`, or rejects with `message()` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Serialized events as the pipeline builds them from reads `0..count-1` (for the raw mqtt.js
 * ceiling: the same payloads, without the path).
 */
export function conveyorEvents(count: number): string[] {
  const where = {
    gatewayId: 'bench-gw',
    readPointUri: 'urn:readpoint:bench-site:bench-gw:conveyor-1',
    bizLocation: 'urn:epc:id:sgln:4012345.00001.0',
    bizStep: 'shipping',
    disposition: 'in_transit',
  };
  return Array.from({ length: count }, (_, i) => {
    const read = conveyorRead(i);
    const decoded = decodeRead(read);
    if (!decoded.ok) throw new Error(`bench read ${i} does not decode: ${decoded.reject.message}`);
    const sighting = {
      identity: decoded.identity,
      readerId: read.readerId,
      readPointId: 'conveyor-1',
      firstSeen: read.at,
      lastSeen: read.at,
      readCount: 1,
      ...(read.antenna !== undefined ? { antenna: read.antenna, rssi: read.rssi! } : {}),
    };
    return JSON.stringify(buildEvent(sighting, where, i + 1));
  });
}

/**
 * Read `n` of the conveyor: unit n (every read a new unit, so each becomes an event), half of
 * them SGTIN-96 tags, half GS1 DataMatrix labels, as the gateway bench's simulator reads them.
 */
export function conveyorRead(n: number): RawRead {
  const tagged = n % 2 === 1;
  const u = unit(n, tagged);
  return {
    readerId: 'sim-conveyor',
    kind: u.kind,
    data: u.data,
    at: Date.now(),
    mono: performance.now(),
    ...(tagged ? { antenna: 1 + (n % 2), rssi: -40 - (n % 30) } : {}),
  };
}
