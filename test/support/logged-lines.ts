/** A logger at `level` (the daemon's own, with its redaction) whose lines are kept, parsed, for a test to read. */
import { Writable } from 'node:stream';
import { type Logger, rootLogger } from '../../daemon/log.js';

export function loggedLines(level = 'info'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: rootLogger(level, stream), lines };
}
