/** Shared pieces of the uplink tests: options, payloads, a log that can be read back, polling. */
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { Logger } from '../../../daemon/log.js';
import { firstNode } from '../../../daemon/uplink/broker-node.js';
import { MqttUplink, type UplinkOptions } from '../../../daemon/uplink/mqtt-uplink.js';
import { ThreadedUplink } from '../../../daemon/uplink/threaded-uplink.js';
import type { Uplink } from '../../../daemon/uplink/uplink.js';

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

/** A test client id whose gateway starts on node `node` of `count` (see firstNode()). */
export function clientIdStartingOn(node: number, count: number): string {
  for (let n = 0; ; n++) {
    const id = `rp-test-${process.pid}-${n}`;
    if (firstNode(id, count) === node) return id;
  }
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

/**
 * A file of the build (dist/), for what must run as plain JavaScript: a worker thread's entry.
 * `npm test` builds first.
 */
export function built(path: string): URL {
  const url = new URL(`../../../dist/${path}`, import.meta.url);
  if (!existsSync(url)) throw new Error(`${url.pathname} is missing: run npm run build first`);
  return pathToFileURL(url.pathname);
}

/** Every implementation of the uplink seam over a socket; the contract suites run against each. */
export const uplinkKinds: readonly {
  readonly name: string;
  readonly make: (options: UplinkOptions, log: Logger) => Uplink;
}[] = [
  { name: 'MqttUplink', make: (options, log) => new MqttUplink(options, log) },
  {
    name: 'ThreadedUplink',
    make: (options, log) => new ThreadedUplink(options, log, built('daemon/uplink/uplink-thread.js')),
  },
];

/** Sequence numbers from..to. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A stream of publishes played as the dispatcher plays it (`publishAll`). */
export interface PlayedStream {
  /** Resolves once every sequence is acknowledged; rejects when the test ends first. */
  readonly done: Promise<void>;
  readonly acked: ReadonlySet<number>;
  /** The names of the errors publishes were rejected with, in order. */
  readonly rejections: readonly string[];
  /** Whether `holdAt` publishes were acknowledged and `hold()` was called. */
  held(): boolean;
  /** Ends the stream: `done` rejects. */
  abandon(): void;
}

/**
 * Plays the dispatcher: publishes sequences 1..total within the uplink's window; a rejected
 * publish is sent again after the next `up`, from the lowest unacknowledged sequence, in order.
 * Once `holdAt` are acknowledged it calls `hold()` (e.g. a proxy withholding PUBACKs). While
 * `ready()` says no, publishing waits (looked at again every 10 ms).
 */
export function publishAll(
  uplink: Uplink,
  o: { total: number; holdAt: number; hold: () => void; ready?: () => boolean },
): PlayedStream {
  const acked = new Set<number>();
  const rejections: string[] = [];
  let cursor = 1;
  let outstanding = 0;
  let rewind = false;
  let held = false;
  let fail: (err: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    fail = reject;
    const pump = (): void => {
      if (o.ready && !o.ready()) {
        setTimeout(pump, 10);
        return;
      }
      if (rewind) {
        if (outstanding > 0) return; // the last rejection rewinds
        rewind = false;
        cursor = range(1, o.total).find((s) => !acked.has(s)) ?? o.total + 1;
      }
      while (cursor <= o.total && uplink.canPublish()) {
        const seq = cursor++;
        if (acked.has(seq)) continue;
        outstanding++;
        uplink.publish(eventTopic, eventPayload(seq)).then(
          () => {
            outstanding--;
            acked.add(seq);
            if (acked.size === o.holdAt) {
              held = true;
              o.hold();
            }
            if (acked.size === o.total) resolve();
            else pump();
          },
          (err: Error) => {
            outstanding--;
            rejections.push(err.name);
            rewind = true;
            pump();
          },
        );
      }
    };
    uplink.on('up', pump);
    pump();
  });
  return { done, acked, rejections, held: () => held, abandon: () => fail(new Error('test ended')) };
}
