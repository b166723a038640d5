/**
 * What the web console costs the pipeline: the whole gateway (simulator reader at a fixed offered
 * rate, half of it RFID on two antennas, some noise -> identity -> smoothing -> outbox -> MQTT
 * QoS 1 to a real broker) run with the console on and a browser's worth of live feed taken and
 * parsed (an SSE client reading like a page: every message read and JSON.parse'd),
 * or with the console off. The client runs in a process of its own, as a browser does: the CPU
 * per read is the gateway's. Measured after a warm-up: reads taken per second and CPU per read.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../config/load.js';
import { Gateway } from '../../daemon/gateway.js';
import { silentLogger } from '../../daemon/log.js';
import { cpuMark, type Measured, measuredSince } from './cpu.js';

export interface ConsoleResult extends Measured {
  /** Reads taken in the measured window. */
  readonly reads: number;
  /** Live messages the client parsed in the window (0 with the console off). */
  readonly messages: number;
  /** Their bytes. */
  readonly bytes: number;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A browser's share of the work, in a process of its own as a browser is: reads the live feed
 * and JSON.parse's each message, and reports each on stdout (its size), so the gateway's CPU
 * figures are the gateway's.
 */
const CLIENT = `
import { request } from 'node:http';
let buffered = '';
request({ host: '127.0.0.1', port: Number(process.argv[1]), path: '/api/live' }, (res) => {
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\\n\\n'); end >= 0; end = buffered.indexOf('\\n\\n')) {
      const data = buffered.slice(0, end).split('\\n').find((l) => l.startsWith('data: '));
      buffered = buffered.slice(end + 2);
      if (data) {
        JSON.parse(data.slice(6));
        process.stdout.write(data.length + '\\n');
      }
    }
  });
}).end();
`;

function watch(port: number): { messages: () => number; bytes: () => number; stop: () => void } {
  let messages = 0;
  let bytes = 0;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    messages++;
    bytes += Number(line);
  });
  return { messages: () => messages, bytes: () => bytes, stop: () => child.kill('SIGKILL') };
}

export async function benchConsole(o: {
  url: string;
  rate: number;
  seconds: number;
  warmupS: number;
  console: boolean;
}): Promise<ConsoleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-console-'));
  const config = parseConfig(
    `gateway: { id: bench, site: bench }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink: { url: "${o.url}", inflight: 100, healthIntervalS: 3600 }
readPoints: [{ id: dock-1, bizStep: shipping }]
readers:
  - { id: door-1, driver: simulator, readPoint: dock-1, readsPerSecond: ${o.rate}, units: 1000000, repeats: 2, garbageShare: 0.01, epcShare: 0.5 }
${o.console ? 'console: { port: 0 }\n' : ''}`,
    'bench.yaml',
  );
  const log = silentLogger();
  const gateway = new Gateway(config, log);
  await gateway.start();
  const reads = () => gateway.health()?.readers[0]?.reads ?? 0;
  let client: ReturnType<typeof watch> | undefined;
  try {
    if (o.console) {
      const port = consolePort(gateway);
      client = watch(port);
    }
    await wait(o.warmupS * 1000);
    const before = reads();
    const messagesBefore = client?.messages() ?? 0;
    const bytesBefore = client?.bytes() ?? 0;
    const started = cpuMark();
    await wait(o.seconds * 1000);
    const taken = reads() - before;
    const measured = measuredSince(started, taken);
    const messages = (client?.messages() ?? 0) - messagesBefore;
    if (o.console && messages < o.seconds - 1)
      throw new Error(`the live feed sent ${messages} messages in ${o.seconds} s`);
    return { ...measured, reads: taken, messages, bytes: (client?.bytes() ?? 0) - bytesBefore };
  } finally {
    client?.stop();
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The console's port, from the gateway's running parts. */
function consolePort(gateway: Gateway): number {
  const port = gateway.consoleAddress()?.port;
  if (port === undefined) throw new Error('the console is not running');
  return port;
}
