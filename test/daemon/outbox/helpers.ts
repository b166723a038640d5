/** Shared pieces of the LevelOutbox tests: temp dirs, a log that records, a store seam that fails on demand. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { Op } from '../../../daemon/outbox/batch-plan.js';
import type { Outbox, OutboxEntry } from '../../../daemon/outbox/outbox.js';
import type { WriteBatch } from '../../../daemon/outbox/store.js';

export const baseOptions = {
  maxEvents: 1_000_000,
  maxBytes: 1 << 30,
  overflow: 'drop-oldest' as const,
  batchMax: 512,
};

/** Temp dirs removed after each test. */
export function tempDirs() {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'rp-outbox-'));
    dirs.push(d);
    return d;
  };
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger whose lines land in `lines`, parsed. */
export function recordingLogger() {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { log, lines };
}

export interface WriteCall {
  readonly db: unknown;
  readonly ops: readonly Op[];
  readonly sync: boolean;
  readonly failed: boolean;
}

/**
 * A writeBatch seam that records every write and fails while `failing > 0` (each failure counts
 * one down; Infinity fails until set back), the way LevelDB reports a full disk. While `paused`
 * is set, each write first waits for it; `entered` counts the writes begun.
 */
export function recordingStore() {
  const calls: WriteCall[] = [];
  const state: { failing: number; paused?: Promise<void>; entered: number } = { failing: 0, entered: 0 };
  const writeBatch: WriteBatch = async (db, ops, options) => {
    state.entered++;
    if (state.paused) await state.paused;
    if (state.failing > 0) {
      state.failing--;
      calls.push({ db, ops, sync: options.sync, failed: true });
      throw Object.assign(new Error('IO error: /data/outbox/000003.log: No space left on device'), {
        code: 'LEVEL_IO_ERROR',
      });
    }
    calls.push({ db, ops, sync: options.sync, failed: false });
    await db.batch(
      ops.map((op) =>
        op.type === 'put' && typeof op.value !== 'string' ? { ...op, valueEncoding: 'buffer' } : op,
      ),
      options,
    );
  };
  return { calls, state, writeBatch };
}

/** Appends `n` entries with acceptedAt = 1000 + seq; resolves with their outcomes. */
export function put(o: Outbox, n: number): Promise<boolean[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const seq = o.nextSequence();
      return o.append({ seq, topic: `t/${seq}`, payload: `event ${seq}`, acceptedAt: 1000 + seq });
    }),
  );
}

/** Appends one at a time, each after the previous resolved. */
export async function putEach(o: Outbox, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(...(await put(o, 1)));
  return out;
}

/** Takes and acknowledges everything; returns the sequence numbers in the order taken. */
export async function drain(o: Outbox): Promise<number[]> {
  const all: number[] = [];
  for (let batch = await o.take(64); batch.length > 0; batch = await o.take(64)) {
    for (const e of batch) {
      all.push(e.seq);
      o.ack(e.seq);
    }
  }
  return all;
}

/**
 * Takes until `n` entries are out or a take hands out none: a take hands out what the store's
 * reads have brought so far, which may be fewer than it asked for.
 */
export async function takeN(o: Outbox, n: number): Promise<OutboxEntry[]> {
  const all: OutboxEntry[] = [];
  for (let got = await o.take(n); got.length > 0; got = all.length < n ? await o.take(n - all.length) : [])
    all.push(...got);
  return all;
}

/** A promise and the function that settles it. */
export function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Entries with their payloads as text: what was appended, whether handed out as text or as bytes. */
export function asText(entries: readonly OutboxEntry[]): OutboxEntry[] {
  return entries.map((e) => ({ ...e, payload: String(e.payload) }));
}
