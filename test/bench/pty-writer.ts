/**
 * The scanner's side of the PTY bench, in a process of its own so its CPU is not counted against
 * the side reading the lines: `node pty-writer.js <device> <lines>` builds the lines (unit i of
 * the simulated conveyor as a GS1 DataMatrix label with its AIM id, CR after each, as a fixed
 * scanner sends them), opens the device end of the PTY, prints `ready`, and on a line on stdin
 * writes them all as fast as the PTY takes them, then prints `written`. It keeps the device open
 * until it is killed: a PTY whose last writer closes hangs up, and the reader would see its device
 * vanish with lines still in flight.
 */
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { unit } from '../../drivers/simulated-units.js';

const CHUNK = 65536;

/** Lines 0..count-1 as a scanner configured with AIM ids and a CR suffix sends them. */
export function scannerLines(count: number): Buffer {
  const parts: Buffer[] = [];
  const cr = Buffer.from('\r');
  for (let i = 0; i < count; i++) parts.push(unit(i, false).data, cr);
  return Buffer.concat(parts);
}

async function main(device: string, count: number): Promise<void> {
  const bytes = scannerLines(count);
  const fd = await open(device, 'r+');
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  for (let off = 0; off < bytes.length; )
    off += (await fd.write(bytes, off, Math.min(CHUNK, bytes.length - off))).bytesWritten;
  process.stdout.write('written\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [device, count] = process.argv.slice(2);
  main(device!, Number(count)).catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
