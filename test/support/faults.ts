/**
 * Shared pieces of the fault matrix (test/e2e/faults): the streaming reader, a seeded random
 * source, the outbox as the daemon left it, and the ledger of what the consumer received, which
 * is where "zero lost" is decided: every sequence number 1..lastSeq, exactly, duplicates counted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import { prng } from '../../drivers/simulated-units.js';
import type { DaemonProcess, LogLine } from './daemon.js';
import type { Collector } from './mqtt-collector.js';

export const EVENTS_FILTER = 'readpoint/v1/site-test/gw-test/events/+';

/**
 * A simulated conveyor whose every read becomes one event (distinct units, no repeats, no noise),
 * so `limit` reads make exactly `limit` events.
 */
export function streamingReader(o: { readsPerSecond: number; seed?: number; limit?: number }): string {
  return `  - id: sim-1
    driver: simulator
    readPoint: conveyor-1
    readsPerSecond: ${o.readsPerSecond}
    units: 1000000
    repeats: 1
    garbageShare: 0
    epcShare: 0.3
    seed: ${o.seed ?? 1}
${o.limit !== undefined ? `    limit: ${o.limit}\n` : ''}`;
}

/** Sets uplink.keepaliveS in a config written by writeE2eConfig. */
export function setKeepalive(configFile: string, seconds: number): void {
  const text = readFileSync(configFile, 'utf8');
  const changed = text.replace(/^ {2}keepaliveS: \d+$/m, `  keepaliveS: ${seconds}`);
  if (changed === text) throw new Error(`no uplink.keepaliveS line in ${configFile}`);
  writeFileSync(configFile, changed);
}

/** The seed from READPOINT_SEED (to replay a failure), or a fresh one. */
export function faultSeed(): number {
  const given = process.env.READPOINT_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

/** A seeded source of the fault moments: uniform floats, integers, shuffles. */
export function seeded(seed: number) {
  const next = prng(seed);
  return {
    next,
    /** An integer in [lo, hi]. */
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    /** `count` distinct sorted integers in [lo, hi]. */
    points(count: number, lo: number, hi: number): number[] {
      const picked = new Set<number>();
      while (picked.size < count) picked.add(lo + Math.floor(next() * (hi - lo + 1)));
      return [...picked].sort((a, b) => a - b);
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
  };
}

/** The outbox of `dataDir` as the last daemon left it (open it only while no daemon runs). */
export async function outboxState(dataDir: string) {
  const outbox = new LevelOutbox(
    join(dataDir, 'outbox'),
    { maxEvents: 1_000_000, maxBytes: 1 << 30, overflow: 'drop-oldest', batchMax: 512 },
    silentLogger(),
  );
  await outbox.open();
  const stats = outbox.stats();
  await outbox.close();
  return stats;
}

/**
 * The sequence numbers still stored in the outbox of `dataDir` (open it only while no daemon
 * runs): keys `e!<seq as 16 hex digits>`, as daemon/outbox/level-outbox.ts documents them.
 */
export async function storedSequences(dataDir: string): Promise<number[]> {
  const db = new Level<string, string>(join(dataDir, 'outbox'), {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
  });
  await db.open();
  try {
    const keys = await db.keys({ gte: 'e!', lt: 'e~' }).all();
    return keys.map((k) => Number.parseInt(k.slice(2), 16));
  } finally {
    await db.close();
  }
}

/** Polls `condition` every 10 ms; throws after timeoutMs with `what()`. */
export async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface HealthOutbox {
  depth: number;
  lastSeq: number;
}
interface HealthUplink {
  state: string;
  connects: number;
}
/** The health payload of a `health` log line. */
export const healthOf = (line: LogLine) =>
  line.health as { outbox: HealthOutbox; uplink: HealthUplink; events: { published: number } };

/** Waits for a `health` log line (after index `since`) whose payload satisfies `match`. */
export function waitForHealth(
  daemon: DaemonProcess,
  match: (h: ReturnType<typeof healthOf>) => boolean,
  timeoutMs: number,
  since = 0,
): Promise<LogLine> {
  return daemon.waitForLog((l) => l.msg === 'health' && match(healthOf(l)), timeoutMs, since);
}

/** What the consumer received, by the gateway sequence number in each event (`rp:sequence`). */
export class Ledger {
  private read = 0;
  private readonly counts = new Map<number, number>();
  private maxSeq = 0;

  constructor(private readonly collector: Collector) {}

  /** Takes in the messages that arrived since the last call. */
  update(): this {
    const { messages } = this.collector;
    for (; this.read < messages.length; this.read++) {
      const seq = (JSON.parse(messages[this.read]!.payload.toString('utf8')) as { 'rp:sequence': number })[
        'rp:sequence'
      ];
      this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1);
      if (seq > this.maxSeq) this.maxSeq = seq;
    }
    return this;
  }

  get distinct(): number {
    return this.update().counts.size;
  }
  get received(): number {
    return this.update().read;
  }
  get duplicates(): number {
    return this.received - this.distinct;
  }
  get highest(): number {
    return this.update().maxSeq;
  }

  /** Sequence numbers in 1..lastSeq never received. */
  missing(lastSeq: number): number[] {
    this.update();
    const out: number[] = [];
    for (let seq = 1; seq <= lastSeq; seq++) if (!this.counts.has(seq)) out.push(seq);
    return out;
  }

  /** How many of `seqs` were received already. */
  countReceived(seqs: Iterable<number>): number {
    this.update();
    let n = 0;
    for (const seq of seqs) if (this.counts.has(seq)) n++;
    return n;
  }

  /** Sequence numbers received that are not in 1..lastSeq (never accepted, so impossible). */
  unexpected(lastSeq: number): number[] {
    return [...this.update().counts.keys()].filter(
      (seq) => seq < 1 || seq > lastSeq || !Number.isInteger(seq),
    );
  }

  /** The distinct sequence numbers received, ascending. */
  sequences(): number[] {
    return [...this.update().counts.keys()].sort((a, b) => a - b);
  }

  /**
   * Waits until every sequence number in 1..lastSeq has arrived; on a timeout the error names the
   * first missing ones, each told by `explain` (e.g. WireLog.explain: whose loss it is).
   */
  waitForAll(lastSeq: number, timeoutMs: number, explain?: (seq: number) => string): Promise<void> {
    return until(
      () => this.distinct >= lastSeq && this.missing(lastSeq).length === 0,
      timeoutMs,
      () => {
        const missing = this.missing(lastSeq);
        const first = missing.slice(0, 20);
        return `${missing.length} of 1..${lastSeq} not received (first: ${first.join(', ')})${
          explain ? `\n  ${first.map(explain).join('\n  ')}` : ''
        }`;
      },
    );
  }
}
