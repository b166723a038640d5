/** Shared pieces of the uplink tests: options, payloads, a log that can be read back, polling. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../../daemon/log.js';
import type { UplinkOptions } from '../../../daemon/uplink/mqtt-uplink.js';

export const statusTopic = 'readpoint/v1/site-t/gw-t/status';
export const eventTopic = 'readpoint/v1/site-t/gw-t/events/dock-1';

export function uplinkOptions(url: string, overrides: Partial<UplinkOptions> = {}): UplinkOptions {
  return {
    url,
    clientId: `rp-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    rejectUnauthorized: true,
    keepaliveS: 5,
    inflight: 100,
    retry: { minMs: 50, maxMs: 300 },
    statusTopic,
    ...overrides,
  };
}

/** A ~700-byte event-like payload carrying its sequence number. */
export function eventPayload(seq: number): string {
  return JSON.stringify({ 'rp:sequence': seq, pad: 'x'.repeat(660) });
}

export function sequenceOf(payload: Buffer): number {
  return (JSON.parse(payload.toString('utf8')) as { 'rp:sequence': number })['rp:sequence'];
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/** Polls `condition` every 10 ms until it holds; throws after timeoutMs naming `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
