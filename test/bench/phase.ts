/**
 * One bench phase in a process of its own, so that its memory figures are its own work's:
 * `node dist/test/bench/phase.js latency|backlog|identity|rfid|unit-memory '<options as JSON>'` prints the result as one
 * JSON line on stdout. run.ts starts it (runPhase below).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs `phase` in a child Node process and resolves with its result. */
export function runPhase<T>(
  phase: 'latency' | 'backlog' | 'identity' | 'rfid' | 'unit-memory',
  options: object,
): Promise<T> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), phase, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = out.trim().split('\n').at(-1);
      if (code === 0 && last) resolve(JSON.parse(last) as T);
      else reject(new Error(`bench phase ${phase} exited with ${code ?? signal}`));
    });
  });
}

async function run(phase: string | undefined, options: Record<string, number>): Promise<unknown> {
  switch (phase) {
    case 'latency':
      return (await import('./latency.js')).benchLatency(options as never);
    case 'backlog':
      return (await import('./backlog.js')).benchBacklog(options as never);
    case 'identity':
      return (await import('./identity.js')).benchIdentity();
    case 'rfid':
      return (await import('./rfid.js')).benchRfid(options as never);
    case 'unit-memory':
      return (await import('./rfid.js')).benchUnitMemory(options.units ?? 100_000);
    default:
      return undefined;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [phase, json] = process.argv.slice(2);
  const options = JSON.parse(json ?? '{}');
  const result = await run(phase, options);
  if (!result) {
    process.stderr.write(`usage: phase.js latency|backlog|identity|rfid|unit-memory '<options as JSON>'\n`);
    process.exit(64);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
