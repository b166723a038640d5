/**
 * Raw tag reads per second through an RFID driver and smoothing, on the gateway's one core: a
 * ThingMagic module simulator (its own process, test/bench/rfid-module.ts) streams `tags` tags
 * on two antennas over a real socat PTY as fast as its search cycles go; this process runs the
 * ThingMagicDriver, the pipeline (decode, antenna map, RSSI floor, smoothing at a two-zone dock
 * door) and the event writer into an in-memory outbox. After a warm-up, reads are counted for
 * `seconds`, with this process's CPU time: a share near 1.0 means the rate is what one core
 * does, below it the module or the PTY set the pace.
 *
 * Also the memory of a tracked unit: `units` distinct tags decoded and observed by a smoother
 * (nothing else holds them), the heap after a full GC before and after, per unit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../../config/load.js';
import { topics } from '../../daemon/contract/topics.js';
import { decodeRead } from '../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { silentLogger } from '../../daemon/log.js';
import { Pipeline } from '../../daemon/pipeline.js';
import { EventWriter, readPointRuntimes } from '../../daemon/read-points.js';
import { Recorder } from '../../daemon/recorder.js';
import { Smoother } from '../../daemon/smoothing/smoother.js';
import { ThingMagicDriver } from '../../drivers/thingmagic/driver.js';
import { MemoryOutbox } from '../support/memory-outbox.js';
import { openPtyDevice } from '../support/pty-device.js';

export interface RfidResult {
  readonly tags: number;
  readonly readsPerSecond: number;
  /** CPU time of this process over wall time while measuring (1.0 = one core busy). */
  readonly cpuShare: number;
  readonly events: number;
  readonly suppressed: number;
  readonly tracked: number;
}

export interface UnitMemoryResult {
  readonly units: number;
  readonly bytesPerUnit: number;
  /** Of those, on the JS heap (the rest is typed arrays and smoothing's byte arena). */
  readonly heapBytesPerUnit: number;
}

const config = (path: string) =>
  parseConfig(
    `gateway: { id: bench, site: bench }
readPoints:
  - { id: dock, suppressionS: 2, direction: { inbound: receiving, outbound: shipping } }
readers:
  - id: dock-rfid
    driver: thingmagic
    path: ${path}
    readPoint: dock
    region: NA2
    antennas: [1, 2]
    rssiFloorDbm: -80
    antennaMap: [{ antenna: 1, zone: outside }, { antenna: 2, zone: inside }]
`,
    'bench.yaml',
  );

export async function benchRfid(o: { tags: number; cycleMs: number; seconds: number }): Promise<RfidResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-rfid-'));
  const pty = await openPtyDevice(dir, 'rfid');
  let module: ChildProcess | undefined;
  const log = silentLogger();
  try {
    module = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('./rfid-module.js', import.meta.url)),
        pty.devicePath,
        String(o.tags),
        String(o.cycleMs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      module?.stdout?.once('data', () => resolve());
      module?.once('exit', (code) => reject(new Error(`the module simulator exited with ${code}`)));
    });
    const c = config(pty.readerPath);
    const points = readPointRuntimes(c, topics('readpoint/v1', 'bench', 'bench'));
    const smoother = new Smoother(
      { maxTracked: 100_000 },
      new Map([...points].map(([id, p]) => [id, p.rules])),
    );
    const outbox = new MemoryOutbox();
    const pipeline = new Pipeline({
      gatewayId: 'bench',
      reader: c.readers[0]!,
      smoother,
      events: new EventWriter(points, new Recorder(outbox, { batchMax: 256, retryMs: 100 }, log)),
      publishReject: () => {},
      log,
    });
    const driver = new ThingMagicDriver(c.readers[0] as never, { log });
    await driver.start(pipeline);
    if (driver.status().state !== 'connected')
      throw new Error(`the driver did not connect: ${driver.status().lastError}`);
    await new Promise((r) => setTimeout(r, 2000)); // warm-up: the JIT settles
    const reads0 = pipeline.counters.reads;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const reads = pipeline.counters.reads - reads0;
    await driver.stop();
    return {
      tags: o.tags,
      readsPerSecond: reads / (wallMs / 1000),
      cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
      events: pipeline.counters.events,
      suppressed: pipeline.counters.suppressed,
      tracked: smoother.stats().tracked,
    };
  } finally {
    module?.kill('SIGKILL');
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Bytes per tracked unit: `units` tag reads decoded and observed, nothing else holding them; the
 * heap and the array buffers outside it (smoothing keeps its passes in typed arrays and a byte
 * arena), and the heap's share alone.
 */
export function benchUnitMemory(units: number): UnitMemoryResult {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const rules = new Map([['dock', { departureMs: 60_000, departures: true, twoZone: false }]]);
  const smoother = new Smoother({ maxTracked: units }, rules);
  gc();
  gc();
  const before = process.memoryUsage();
  const format = { data: 'aim' as const, plainSerial: [] };
  for (let i = 0; i < units; i++) {
    const data = encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial: i });
    const decoded = decodeRead({ kind: 'epc', data }, format);
    if (!decoded.ok) throw new Error(decoded.reject.message);
    smoother.observe({
      identity: decoded.identity,
      raw: { data, kind: 'epc', format },
      readerId: 'r',
      readPointId: 'dock',
      antenna: 1,
      rssi: -60,
      // Times as a reader gives them: wall-clock ms and a fractional monotonic clock.
      at: 1_765_000_000_000 + i,
      mono: i + 0.375,
    });
  }
  gc();
  gc();
  const after = process.memoryUsage();
  if (smoother.stats().tracked !== units) throw new Error('the smoother did not keep every unit');
  const heap = after.heapUsed - before.heapUsed;
  return {
    units,
    bytesPerUnit: (heap + after.arrayBuffers - before.arrayBuffers) / units,
    heapBytesPerUnit: heap / units,
  };
}
