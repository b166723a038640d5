/**
 * Replay speed: a capture of a busy two-zone dock door (pallets of tagged cases through the door
 * one after another, four antennas, stray reads under the floor and tags that do not decode) run
 * through capture/replay.ts as `readpoint replay` runs it, timed against the capture's own
 * length. In-process (the file read, decode, smoothing, event bytes; CPU per read) and the
 * command end to end (`--json` into /dev/null, Node's start included).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../config/load.js';
import { captureEntries } from '../../daemon/capture/capture-file.js';
import { captureHeader, endLine, readLine } from '../../daemon/capture/capture-format.js';
import { CaptureRing } from '../../daemon/capture/capture-ring.js';
import { Replay } from '../../daemon/capture/replay.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import type { RawRead } from '../../drivers/driver.js';

export interface ReplayBenchOptions {
  /** Length of the capture, s. */
  readonly seconds: number;
  /** Cases on each pallet. */
  readonly tags: number;
  readonly runs: number;
}

export interface ReplayBenchResult {
  readonly reads: number;
  readonly captureS: number;
  readonly bytes: number;
  readonly events: number;
  /** Medians over the runs. */
  readonly inProcessS: number;
  readonly cpuUsPerRead: number;
  readonly cliS: number;
  /** What the capture ring adds on the read path: the read's line made and kept, CPU µs per read. */
  readonly ringUsPerRead: number;
}

const CONFIG = `gateway: { id: gw-bench, site: bench }
readPoints:
  - { id: dock-1, suppressionS: 2, direction: { inbound: receiving, outbound: shipping } }
readers:
  - id: dock-1-rfid
    driver: thingmagic
    path: /dev/null
    region: NA2
    readPoint: dock-1
    rssiFloorDbm: -75
    antennaMap:
      - { antenna: 1, zone: outside }
      - { antenna: 2, zone: outside }
      - { antenna: 3, zone: inside }
      - { antenna: 4, zone: inside }
`;

/** Wall-clock time at offset 0 of the bench capture. */
const ORIGIN_AT = Date.parse('2026-12-01T08:00:00.000Z');

/**
 * The capture's reads: a pallet every 12 s, alternately in and out; during its 6 s in the door
 * each case is read on each antenna of the side it is on four times a second; a stray case from
 * the next door under the floor, and a factory-coded tag that does not decode, every second.
 */
function busyDockDoor(seconds: number, tags: number): RawRead[] {
  const reads: RawRead[] = [];
  const read = (serial: number | Buffer, m: number, antenna: number, rssi: number): void => {
    const data =
      typeof serial === 'number'
        ? encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial })
        : serial;
    reads.push({
      readerId: 'dock-1-rfid',
      kind: 'epc',
      data,
      at: ORIGIN_AT + m,
      mono: m,
      antenna,
      rssi,
      pc: 0x3000,
    });
  };
  const factory = Buffer.from('e2801160600002054c8a1b2c', 'hex');
  for (let pallet = 0, start = 0; start + 6000 <= seconds * 1000; pallet++, start += 12_000) {
    const inward = pallet % 2 === 0;
    for (let m = start; m < start + 6000; m += 250) {
      const firstHalf = m < start + 3000;
      const antennas = firstHalf === inward ? [1, 2] : [3, 4];
      for (const antenna of antennas)
        for (let t = 0; t < tags; t++)
          read(pallet * 10_000 + t, m + ((t * 7) % 250) / 10, antenna, -50 - (t % 20));
    }
  }
  for (let m = 0; m < seconds * 1000; m += 1000) {
    read(999_999, m + 500, 1, -85);
    read(factory, m + 600, 3, -60);
  }
  return reads.sort((a, b) => a.mono - b.mono);
}

async function replayOnce(file: string, config: ReturnType<typeof parseConfig>) {
  let events = 0;
  let replay: Replay | undefined;
  for await (const entry of captureEntries(file)) {
    if (entry.kind === 'header')
      replay = new Replay(config, config.readers[0]!, { onEvent: () => void events++ });
    else if (entry.kind === 'read') replay!.feed(entry.read);
    else await replay!.finish(entry.end.m);
  }
  return events;
}

function cliOnce(file: string, configFile: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [cliPath, 'replay', file, '--config', configFile, '--json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new Error(`replay exited ${code}: ${err}`)),
    ),
  );
}

/** The built command line, beside this file in dist/ (test/support/daemon.ts would load the test schemas). */
const cliPath = fileURLToPath(new URL('../../daemon/cli/main.js', import.meta.url));

/** The capture ring's work on each read of the capture (what reader-captures.ts's tap does), CPU µs per read. */
function ringCost(reads: readonly RawRead[]): number {
  const ring = new CaptureRing({ windowMs: 10 * 60_000, maxBytes: 16 * 1024 * 1024 });
  const cpu = process.cpuUsage();
  for (const read of reads) ring.add(read);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / reads.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchReplay(o: ReplayBenchOptions): Promise<ReplayBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-replay-'));
  try {
    const configFile = join(dir, 'dock.yaml');
    writeFileSync(configFile, CONFIG);
    const config = parseConfig(CONFIG, configFile);
    const reads = busyDockDoor(o.seconds, o.tags);
    const file = join(dir, 'dock.capture');
    const header = captureHeader('driver', 'gw-bench', config.readers[0]!, ORIGIN_AT, ORIGIN_AT);
    const last = reads.at(-1)!.mono;
    const end = {
      end: 'stopped' as const,
      reads: reads.length,
      dropped: 0,
      endedAt: new Date(ORIGIN_AT + last).toISOString(),
      m: o.seconds * 1000,
    };
    writeFileSync(
      file,
      `${JSON.stringify(header)}\n${reads.map((r) => readLine(r, 0)).join('\n')}\n${endLine(end)}\n`,
    );
    const walls: number[] = [];
    const cpus: number[] = [];
    const clis: number[] = [];
    const rings: number[] = [];
    let events = 0;
    for (let i = 0; i < o.runs; i++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      events = await replayOnce(file, config);
      walls.push((performance.now() - started) / 1000);
      const used = process.cpuUsage(cpu);
      cpus.push((used.user + used.system) / reads.length);
      clis.push(await cliOnce(file, configFile));
      rings.push(ringCost(reads));
    }
    return {
      reads: reads.length,
      captureS: o.seconds,
      bytes: statSync(file).size,
      events,
      inProcessS: median(walls),
      cpuUsPerRead: median(cpus),
      cliS: median(clis),
      ringUsPerRead: median(rings),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
