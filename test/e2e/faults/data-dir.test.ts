/**
 * Faults in the data directory:
 * - it is locked by another process (a second readpoint on the same config, or any program holding
 *   the LevelDB LOCK): the newcomer fails fast with one fatal line naming the directory and exits
 *   4 (a code systemd does not restart on), once; the daemon that holds it is not disturbed;
 * - an outbox record cannot be decoded (a torn write, a foreign value): the daemon moves it to
 *   quarantine (`q!` keys, bytes kept), logs each one, and delivers every other event.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemon } from '../../support/daemon.js';
import { writeE2eConfig } from '../../support/e2e-config.js';
import { EVENTS_FILTER, Ledger, streamingReader, until, waitForHealth } from '../../support/faults.js';
import { freePort, type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { type Collector, collect } from '../../support/mqtt-collector.js';
import { repoRoot } from '../../support/schemas.js';

const FATAL = 60;
const key = (seq: number) => `e!${seq.toString(16).padStart(16, '0')}`;

let root: string;
let broker: Mosquitto;
let deadUrl: string;
let events: Collector | undefined;
const daemons: DaemonProcess[] = [];
const holders: ChildProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'rp-data-dir-'));
  broker = await startMosquitto();
  deadUrl = `mqtt://127.0.0.1:${await freePort()}`; // nobody listens: events stay in the outbox
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  for (const h of holders) h.kill('SIGKILL');
  await events?.close();
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh directory for one case (its config and data dir go in it). */
function caseDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

function daemon(config: string): DaemonProcess {
  const d = startDaemon(config);
  daemons.push(d);
  return d;
}

/** Resolves with the exit code, or rejects if the process is still running after timeoutMs. */
function exitWithin(d: DaemonProcess, timeoutMs: number): Promise<number | string> {
  return Promise.race([
    d.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs).unref(),
    ),
  ]);
}

/** What a refused daemon must have done: one fatal line naming the directory, nothing started. */
function expectRefused(d: DaemonProcess, outboxDir: string) {
  const fatal = d.logs.filter((l) => l.level === FATAL);
  expect(fatal).toHaveLength(1);
  expect(fatal[0]!.msg).toContain(outboxDir);
  expect(fatal[0]!.msg).toMatch(/in use|lock/i);
  // It gave up at once: no second attempt, no stage started, nothing on stderr.
  expect(d.logs.filter((l) => /in use|lock/i.test(l.msg))).toHaveLength(1);
  for (const msg of ['outbox open', 'readpoint running', 'uplink connected', 'simulated conveyor running'])
    expect(d.logs.filter((l) => l.msg === msg)).toEqual([]);
  expect(d.stderr).toEqual([]);
}

describe('data directory locked by another process', () => {
  it('a second readpoint on the same data directory exits 4 at once, naming it; the first runs on', async () => {
    const dir = caseDir('second-daemon');
    const config = writeE2eConfig({
      dir,
      uplinkUrl: deadUrl,
      readers: streamingReader({ readsPerSecond: 20 }),
    });
    const firstSpawned = Date.now();
    const first = daemon(config);
    // The same work the second one does before it must give up: start node, load the config, open the outbox.
    await first.waitForLog((l) => l.msg === 'outbox open', 30_000);
    const firstOpenMs = Date.now() - firstSpawned;
    await first.waitForLog((l) => l.msg === 'readpoint running', 30_000);

    const started = Date.now();
    const second = daemon(config);
    expect(await exitWithin(second, firstOpenMs + 10_000)).toBe(4);
    const tookMs = Date.now() - started;
    expectRefused(second, join(dir, 'data', 'outbox'));
    // Within 5 s of what the same start-up took the first one on this machine (node and the
    // daemon's modules load in seconds on a loaded 2-core box): no retry, no wait for the lock.
    expect(tookMs).toBeLessThan(firstOpenMs + 5000);

    // The first one never noticed: still running, its outbox still growing.
    const since = first.logs.length;
    const before = first.logs.filter((l) => l.msg === 'health').at(-1);
    const lastSeqBefore =
      (before?.health as { outbox: { lastSeq: number } } | undefined)?.outbox.lastSeq ?? 0;
    await waitForHealth(first, (h) => h.outbox.lastSeq > lastSeqBefore, 5000, since);
    expect(await first.kill('SIGTERM')).toBe(0);
    console.log(
      `data-dir: the second daemon exited 4 after ${tookMs} ms (spawn included); the first opened its outbox after ${firstOpenMs} ms`,
    );
  });

  it('a program other than readpoint holding the LevelDB lock: the same clear refusal', async () => {
    const dir = caseDir('other-holder');
    const config = writeE2eConfig({
      dir,
      uplinkUrl: deadUrl,
      readers: streamingReader({ readsPerSecond: 20 }),
    });
    const outboxDir = join(dir, 'data', 'outbox');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Level } from 'level';
         const db = new Level(process.argv[1]);
         await db.open();
         console.log('holding');
         process.stdin.resume();`,
        outboxDir,
      ],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    holders.push(holder);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: holder.stdout! }).once('line', (line) =>
        line === 'holding' ? resolve() : reject(new Error(line)),
      );
      holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
    });

    const refused = daemon(config);
    expect(await exitWithin(refused, 10_000)).toBe(4);
    expectRefused(refused, outboxDir);
    holder.kill('SIGKILL');
  });
});

describe('an outbox record that cannot be decoded', () => {
  it('is quarantined and logged, exactly once each, and every other event is delivered', async () => {
    const dir = caseDir('quarantine');
    const outboxDir = join(dir, 'data', 'outbox');
    const stored = 200;
    // Run 1: nobody upstream, so all the events stay in the outbox; then a clean stop.
    const offline = daemon(
      writeE2eConfig({
        dir,
        uplinkUrl: deadUrl,
        readers: streamingReader({ readsPerSecond: 2000, limit: stored }),
      }),
    );
    await waitForHealth(offline, (h) => h.outbox.depth === stored && h.outbox.lastSeq === stored, 15_000);
    expect(await offline.kill('SIGTERM')).toBe(0);

    // Damage three records in place, as a torn write or a foreign program would: the first one,
    // one in the middle, the last one.
    const db = new Level<string, string>(outboxDir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    const original = (await db.get(key(100)))!;
    const damage = new Map<number, string>([
      [1, 'not json at all \u0000\u00ff'],
      [100, original.slice(0, Math.floor(original.length / 2))], // torn: half a record
      [stored, JSON.stringify({ t: 'readpoint/v1/x', p: 42 })], // JSON, but not a record
    ]);
    for (const [seq, value] of damage) await db.put(key(seq), value);
    await db.close();

    // Run 2: the broker is there. The backlog goes out first, with the damaged last record at its
    // tail and nothing after it; one more read comes 2 s later (sequence stored + 1), after the
    // quarantine: delivery goes on.
    events = await collect(broker.url, EVENTS_FILTER);
    const ledger = new Ledger(events);
    const online = daemon(
      writeE2eConfig({
        dir,
        uplinkUrl: broker.url,
        readers: streamingReader({ readsPerSecond: 0.5, limit: 1, seed: 2 }),
      }),
    );
    const lastSeq = stored + 1;
    await until(
      () => ledger.distinct >= lastSeq - damage.size,
      15_000,
      () => `${ledger.distinct} of ${lastSeq - damage.size} events delivered`,
    );
    // Empty again, in every count: no event and no byte left (the damaged records' bytes included).
    const drained = await waitForHealth(
      online,
      (h) => h.outbox.depth === 0 && h.outbox.lastSeq === lastSeq,
      15_000,
      online.logs.length,
    );
    const outbox = (drained.health as { outbox: { bytes: number; quarantined: number } }).outbox;
    expect(outbox.bytes).toBe(0);
    expect(outbox.quarantined).toBe(damage.size);
    const quarantined = online.logs.filter((l) => /quarantine/i.test(l.msg));
    expect(quarantined.map((l) => l.key).sort()).toEqual([...damage.keys()].map(key).sort());
    expect(quarantined.every((l) => l.level >= 50)).toBe(true); // error: an operator must see it
    expect(online.logs.filter((l) => l.level === FATAL)).toEqual([]);
    expect(await online.kill('SIGTERM')).toBe(0);

    // Every other event arrived, once; the damaged ones did not, and are named.
    expect(ledger.missing(lastSeq)).toEqual([...damage.keys()]);
    expect(ledger.unexpected(lastSeq)).toEqual([]);
    expect(ledger.duplicates).toBe(0);

    // The damaged bytes are kept aside under q!, nothing is left under e!.
    const after = new Level<string, string>(outboxDir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await after.open();
    const kept = new Map<string, string>();
    for await (const [k, v] of after.iterator({ gte: 'q!', lt: 'q~' })) kept.set(k, v);
    const left = await after.keys({ gte: 'e!', lt: 'e~' }).all();
    await after.close();
    expect(kept).toEqual(new Map([...damage].map(([seq, value]) => [`q!${key(seq).slice(2)}`, value])));
    expect(left).toEqual([]);
  });
});
