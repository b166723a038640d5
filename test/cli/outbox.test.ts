/**
 * `readpoint outbox stats|export` as a technician runs them (child processes of the built CLI),
 * on real LevelDB stores: one the real daemon filled while its uplink was dead, and ones built
 * with LevelOutbox for drops, damaged and quarantined records and exact bytes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/log.js';
import { entryKey } from '../../daemon/outbox/batch-plan.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import { cliPath, startDaemon } from '../support/daemon.js';
import { freePort } from '../support/mosquitto.js';
import { ndjsonGs1Errors } from '../support/schemas.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end without blocking this process (a daemon may be logging meanwhile). */
function cli(args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file of a directory with its content hash: equal before and after means untouched. */
const fingerprint = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map(
      (name) =>
        `${name} ${createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex')}`,
    );

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-outbox-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gateway whose two simulated conveyors fill the outbox while the uplink points at a dead port. */
async function deadUplinkConfig(name: string): Promise<{ file: string; dataDir: string }> {
  const dataDir = join(dir, `${name}-data`);
  const file = join(dir, `${name}.yaml`);
  const conveyor = (id: string, point: string, limit: number, seed: number) =>
    [
      `  - id: ${id}`,
      '    driver: simulator',
      `    readPoint: ${point}`,
      '    readsPerSecond: 500',
      '    units: 10000',
      '    repeats: 1',
      '    garbageShare: 0',
      `    limit: ${limit}`,
      `    seed: ${seed}`,
    ].join('\n');
  const point = (id: string) =>
    `  - id: ${id}\n    bizStep: shipping\n    disposition: in_transit\n    bizLocation: urn:epc:id:sgln:4012345.00001.0`;
  writeFileSync(
    file,
    [
      'gateway:',
      '  id: gw-stats',
      '  site: site-stats',
      `dataDir: ${dataDir}`,
      'broker:',
      '  enabled: true',
      '  port: 0',
      'uplink:',
      `  url: mqtt://127.0.0.1:${await freePort()}`,
      '  healthIntervalS: 1',
      '  retry:',
      '    minMs: 1000',
      '    maxMs: 5000',
      'readPoints:',
      point('conveyor-1'),
      point('dock-2'),
      'readers:',
      conveyor('sim-1', 'conveyor-1', 30, 1),
      conveyor('sim-2', 'dock-2', 12, 5),
      '',
    ].join('\n'),
  );
  return { file, dataDir };
}

/** Runs the daemon until its health says `depth` events wait, checks `whileRunning`, stops it. */
async function fill(file: string, depth: number, whileRunning?: () => Promise<void>): Promise<void> {
  const daemon = startDaemon(file);
  try {
    await daemon.waitForLog(
      (l) => l.msg === 'health' && (l.health as { outbox: { depth: number } }).outbox.depth === depth,
      30_000,
    );
    await whileRunning?.();
  } finally {
    expect(await daemon.kill('SIGTERM')).toBe(0);
  }
}

describe('outbox stats and export on a store the daemon filled', () => {
  it('refuses while the daemon runs, then reports and exports exactly what waits, changing nothing', async () => {
    const { file, dataDir } = await deadUplinkConfig('dead');
    const outbox = join(dataDir, 'outbox');
    await fill(file, 42, async () => {
      const running = await cli(['outbox', 'stats', '--config', file]);
      expect(running.status).toBe(1);
      expect(running.stderr).toContain(`the outbox at ${outbox} is in use by a running readpoint`);
      expect(running.stderr).toContain(
        'stop it first: systemctl stop readpoint; the live figures are on the health topic',
      );
      expect((await cli(['outbox', 'export', '--config', file])).status).toBe(1);
    });
    // A second run: LevelDB turns the first run's log into a table, so the store has both.
    await fill(file, 84);
    expect(readdirSync(outbox).some((n) => n.endsWith('.ldb'))).toBe(true);
    const before = fingerprint(outbox);

    const stats = await cli(['outbox', 'stats', '--config', file, '--json']);
    expect(stats.stderr).toBe('');
    expect(stats.status).toBe(0);
    const s = JSON.parse(stats.stdout);
    expect(s).toMatchObject({
      dir: outbox,
      depth: 84,
      firstSeq: 1,
      lastSeq: 84,
      highestSeq: 84,
      readPoints: { 'conveyor-1': 60, 'dock-2': 24 },
      drops: { total: 0, unannounced: 0, ranges: [] },
      quarantined: 0,
      damaged: 0,
    });
    expect(s.bytes).toBeGreaterThan(84 * 500);
    expect(Date.parse(s.oldestAt)).toBeLessThanOrEqual(Date.parse(s.newestAt));
    expect(s.oldestAgeS).toBeGreaterThanOrEqual(s.newestAgeS);

    const human = await cli(['outbox', 'stats', '--config', file]);
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(`outbox ${outbox} (read from a snapshot; the store was not changed)`);
    expect(human.stdout).toMatch(/undelivered events {2}84, /);
    expect(human.stdout).toMatch(/sequence numbers {4}1\.\.84\n/);
    expect(human.stdout).toMatch(/per read point {6}conveyor-1 60, dock-2 24\n/);

    const exported = await cli(['outbox', 'export', '--config', file]);
    expect(exported.stderr).toBe('readpoint outbox: exported 84 events, seq 1..84, to stdout\n');
    expect(exported.status).toBe(0);
    const lines = exported.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(s.depth);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => e['rp:sequence'])).toEqual(Array.from({ length: 84 }, (_, i) => i + 1));
    const perPoint: Record<string, number> = {};
    for (const e of events) perPoint[e['rp:readPoint']] = (perPoint[e['rp:readPoint']] ?? 0) + 1;
    expect(perPoint).toEqual(s.readPoints);
    expect(new Set(events.map((e) => e['rp:gateway']))).toEqual(new Set(['gw-stats']));
    expect(ndjsonGs1Errors(exported.stdout)).toEqual(Array.from({ length: 84 }, () => []));

    // Nothing in the store changed, and no snapshot was left behind.
    expect(fingerprint(outbox)).toEqual(before);
    expect(readdirSync(dataDir).sort()).toEqual(['inventory', 'outbox']); // the daemon's two stores
  });
});

/** A store built in-process: `count` events at two read points, accepted one second apart. */
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const payload = (seq: number) =>
  JSON.stringify({ type: 'ObjectEvent', note: 'Grüße ✓ "quoted"', 'rp:sequence': seq });

async function buildStore(dataDir: string, count: number, maxEvents = 1_000_000): Promise<string> {
  const path = join(dataDir, 'outbox');
  const outbox = new LevelOutbox(
    path,
    { maxEvents, maxBytes: 1 << 30, overflow: 'drop-oldest', batchMax: 64 },
    silentLogger(),
  );
  await outbox.open();
  for (let i = 0; i < count; i++) {
    const seq = outbox.nextSequence();
    const point = seq % 3 === 0 ? 'dock-2' : 'conveyor-1';
    await outbox.append({
      seq,
      topic: `readpoint/v1/site/gw/events/${point}`,
      payload: payload(seq),
      acceptedAt: T0 + seq * 1000,
    });
  }
  await outbox.close();
  return path;
}

describe('outbox stats and export on a store built in-process', () => {
  it('exports exactly the stored bytes in sequence order, bounded by --from-seq and --limit', async () => {
    const dataDir = join(dir, 'bounds');
    await buildStore(dataDir, 20);
    const all = await cli(['outbox', 'export', '--data-dir', dataDir]);
    expect(all.status).toBe(0);
    const expected = Array.from({ length: 20 }, (_, i) => `${payload(i + 1)}\n`).join('');
    expect(Buffer.from(all.stdout, 'utf8').equals(Buffer.from(expected, 'utf8'))).toBe(true);

    const some = await cli(['outbox', 'export', '--data-dir', dataDir, '--from-seq', '7', '--limit', '5']);
    expect(some.status).toBe(0);
    expect(some.stdout).toBe([7, 8, 9, 10, 11].map((n) => `${payload(n)}\n`).join(''));
    expect(some.stderr).toBe('readpoint outbox: exported 5 events, seq 7..11, to stdout\n');

    const tail = await cli(['outbox', 'export', '--data-dir', dataDir, '--from-seq', '18', '--limit', '10']);
    expect(
      tail.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)['rp:sequence']),
    ).toEqual([18, 19, 20]);
    const beyond = await cli(['outbox', 'export', '--data-dir', dataDir, '--from-seq', '21']);
    expect(beyond.status).toBe(0);
    expect(beyond.stdout).toBe('');
    expect(beyond.stderr).toBe(
      'readpoint outbox: exported 0 events, nothing undelivered in that range, to stdout\n',
    );
  });

  it('writes to a new file, and will not overwrite one', async () => {
    const dataDir = join(dir, 'to-file');
    await buildStore(dataDir, 4);
    const file = join(dir, 'backlog.ndjson');
    const r = await cli(['outbox', 'export', '--data-dir', dataDir, '--output', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`readpoint outbox: exported 4 events, seq 1..4, to ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe([1, 2, 3, 4].map((n) => `${payload(n)}\n`).join(''));
    const again = await cli(['outbox', 'export', '--data-dir', dataDir, '--output', file]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`${file} exists already: give another --output, or remove it first`);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(5);
  });

  it('reports the drop ledger, quarantined and damaged records, and times', async () => {
    const dataDir = join(dir, 'drops');
    const path = await buildStore(dataDir, 15, 10); // drop-oldest keeps 10: seq 1..5 dropped
    const db = new Level<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    await db.put(entryKey(16), 'not a record');
    await db.put(`q!${entryKey(3).slice(2)}`, 'a record set aside');
    await db.close();

    const r = await cli(['outbox', 'stats', '--data-dir', dataDir, '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      depth: 10,
      firstSeq: 6,
      lastSeq: 15,
      highestSeq: 16,
      oldestAt: new Date(T0 + 6000).toISOString(),
      newestAt: new Date(T0 + 15_000).toISOString(),
      readPoints: { 'conveyor-1': 6, 'dock-2': 4 },
      drops: {
        total: 5,
        unannounced: 5,
        firstSeq: 1,
        lastSeq: 5,
        ranges: [
          {
            from: 1,
            to: 5,
            fromAt: new Date(T0 + 1000).toISOString(),
            toAt: new Date(T0 + 5000).toISOString(),
          },
        ],
      },
      quarantined: 1,
      damaged: 1,
      damagedKeys: [entryKey(16)],
    });
    const human = await cli(['outbox', 'stats', '--data-dir', dataDir]);
    expect(human.stdout).toContain(
      "dropped             5 over the outbox's life; 5 not yet announced upstream (seq 1..5)",
    );
    expect(human.stdout).toContain('quarantined         1 record(s)');
    expect(human.stdout).toContain(
      `damaged             1 event record(s) cannot be decoded (${entryKey(16)})`,
    );

    const exported = await cli(['outbox', 'export', '--data-dir', dataDir]);
    expect(exported.status).toBe(0);
    expect(exported.stdout.split('\n').filter(Boolean)).toHaveLength(10);
    expect(exported.stderr).toBe(
      [
        'readpoint outbox: exported 10 events, seq 6..15, to stdout',
        `readpoint outbox: skipped 1 record(s) that cannot be decoded: ${entryKey(16)}`,
        '',
      ].join('\n'),
    );
  });
});

describe('outbox commands that cannot, or are asked wrongly', () => {
  it('says there is no outbox where none is, with exit 1', async () => {
    const missing = await cli(['outbox', 'stats', '--data-dir', join(dir, 'never')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      `readpoint outbox: no outbox at ${join(dir, 'never', 'outbox')} (has the daemon ever run with this dataDir?)\n`,
    );
    mkdirSync(join(dir, 'empty', 'outbox'), { recursive: true });
    const empty = await cli(['outbox', 'export', '--data-dir', join(dir, 'empty')]);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain(`no outbox at ${join(dir, 'empty', 'outbox')}`);
    expect(readdirSync(join(dir, 'empty', 'outbox'))).toEqual([]);
  });

  it('resolves a relative dataDir against the working directory, as the daemon does', async () => {
    const cwd = join(dir, 'relative');
    await buildStore(join(cwd, 'state'), 3);
    writeFileSync(
      join(cwd, 'rp.yaml'),
      'gateway: { id: g, site: s }\ndataDir: ./state\nreadPoints: [{ id: rp }]\nreaders: [{ id: r, driver: simulator, readPoint: rp }]\n',
    );
    const r = await cli(['outbox', 'stats', '--config', 'rp.yaml', '--json'], cwd);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ dir: join(cwd, 'state', 'outbox'), depth: 3 });
    const elsewhere = await cli(['outbox', 'stats', '--config', join(cwd, 'rp.yaml')], dir);
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toContain(`no outbox at ${join(dir, 'state', 'outbox')}`);
    expect(elsewhere.stderr).toContain(`resolved against the working directory (here ${dir})`);
  });

  it('answers wrong options with a usage error (64) and an invalid config with exit 1', async () => {
    const neither = await cli(['outbox', 'stats']);
    expect(neither.status).toBe(64);
    expect(neither.stderr).toContain('give --config FILE');
    expect((await cli(['outbox', 'stats', '--config', 'a.yaml', '--data-dir', dir])).status).toBe(64);
    const limit = await cli(['outbox', 'export', '--data-dir', dir, '--limit', '0']);
    expect(limit.status).toBe(64);
    expect(limit.stderr).toContain('--limit takes a whole number of at least 1, got "0"');
    expect((await cli(['outbox'])).status).toBe(64);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'gateway:\n  id: g\n');
    const invalid = await cli(['outbox', 'stats', '--config', bad]);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(new RegExp(`^${bad}:\\d+:\\d+ `));
    expect(invalid.stderr).toContain('or give --data-dir DIR');
  });

  it('has help with examples for both', async () => {
    for (const sub of ['stats', 'export']) {
      const r = await cli(['outbox', sub, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain(`readpoint outbox ${sub} --config /etc/readpoint/readpoint.yaml`);
      expect(r.stdout).toContain('Exit codes: 0 done; 1 cannot');
    }
  });
});
