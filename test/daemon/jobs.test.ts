import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { type JobActions, Jobs } from '../../daemon/jobs.js';
import { ReadRate } from '../../daemon/reader-set.js';
import { SummaryBook } from '../../daemon/summary.js';
import { recordingLogger } from './outbox/helpers.js';

const config = (extra: string) =>
  parseConfig(
    `gateway: { id: gw-1, site: site-1 }
readPoints: [{ id: line-1 }]
readers: [{ id: s1, driver: simulator, readPoint: line-1 }]
${extra}`,
    'f.yaml',
    {},
  );

function recorder() {
  const calls: string[] = [];
  const waiters: { name: string; n: number; done: () => void }[] = [];
  const hit = (name: string) => {
    calls.push(name);
    for (const w of [...waiters])
      if (calls.filter((c) => c === name).length >= w.n && w.name === name) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
  };
  const actions: JobActions = {
    health: () => hit('health'),
    summary: () => hit('summary'),
    compaction: async () => hit('compaction'),
    pruning: () => hit('pruning'),
  };
  const times = (name: string, n: number) =>
    new Promise<void>((done) => {
      if (calls.filter((c) => c === name).length >= n) done();
      else waiters.push({ name, n, done });
    });
  return { calls, actions, times };
}

describe('Jobs', () => {
  it('says when the next heartbeat is due: interval, then cron, then nothing once stopped', () => {
    const r = recorder();
    const { log } = recordingLogger();
    const every = new Jobs(config('uplink: { healthIntervalS: 600 }'), r.actions, log);
    const before = Date.now();
    every.start();
    const due = every.nextHeartbeat()!;
    expect(due - before).toBeGreaterThanOrEqual(600_000);
    expect(due - Date.now()).toBeLessThanOrEqual(600_000);
    every.stop();
    expect(every.nextHeartbeat()).toBeUndefined();

    // At second 0 of every minute: the next due time is a whole minute, within the coming one.
    const cron = new Jobs(config('jobs: { health: "0 * * * * *" }'), r.actions, log);
    cron.start();
    const at = cron.nextHeartbeat()!;
    cron.stop();
    expect(at % 60_000).toBe(0);
    expect(at).toBeGreaterThan(before);
    expect(at - before).toBeLessThanOrEqual(60_000);
    expect(cron.nextHeartbeat()).toBeUndefined();
  });

  it('runs each job on its cron schedule (seconds field included)', async () => {
    const r = recorder();
    const { log } = recordingLogger();
    const jobs = new Jobs(config('jobs: { health: "* * * * * *", pruning: "* * * * * *" }'), r.actions, log);
    jobs.start();
    await Promise.all([r.times('health', 2), r.times('pruning', 2)]);
    jobs.stop();
    expect(r.calls.filter((c) => c === 'summary' || c === 'compaction')).toEqual([]);
  });

  it('beats health every uplink.healthIntervalS when jobs.health is not set', async () => {
    const r = recorder();
    const jobs = new Jobs(config('uplink: { healthIntervalS: 1 }'), r.actions, recordingLogger().log);
    const started = Date.now();
    jobs.start();
    await r.times('health', 2);
    jobs.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('skips a run while the previous one still runs, and logs a job that throws', async () => {
    const { log, lines } = recordingLogger();
    let release = () => {};
    let runs = 0;
    const jobs = new Jobs(
      config(''),
      {
        health: () => {
          throw new Error('no snapshot');
        },
        summary: () => {},
        compaction: () => {
          runs++;
          if (runs > 1) return Promise.resolve();
          return new Promise<void>((done) => {
            release = done;
          });
        },
        pruning: () => {},
      },
      log,
    );
    const first = jobs.run('compaction');
    await jobs.run('compaction');
    expect(runs).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(['job compaction is still running; this run is skipped']);
    release();
    await first;
    await jobs.run('compaction');
    expect(runs).toBe(2);
    await jobs.run('health');
    expect(lines.at(-1)).toMatchObject({ level: 50, job: 'health', msg: 'job health failed: no snapshot' });
  });
});

describe('SummaryBook', () => {
  it('counts per reader since the previous summary, from zero for a reader that started over', () => {
    const book = new SummaryBook(Date.parse('2026-11-28T00:00:00Z'));
    const who = { gateway: 'gw-1', site: 'site-1' };
    const first = book.take(
      who,
      [
        { id: 'a', reads: 100, events: 40, rejects: 2, errors: 1 },
        { id: 'b', reads: 10, events: 5, rejects: 0, errors: 0 },
      ],
      45,
      3,
      Date.parse('2026-11-29T00:00:00Z'),
    );
    expect(first).toEqual({
      gateway: 'gw-1',
      site: 'site-1',
      from: '2026-11-28T00:00:00.000Z',
      to: '2026-11-29T00:00:00.000Z',
      readers: [
        { id: 'a', reads: 100, events: 40, rejects: 2, errors: 1 },
        { id: 'b', reads: 10, events: 5, rejects: 0, errors: 0 },
      ],
      totals: { reads: 110, events: 45, rejects: 2, errors: 1 },
      delivered: 45,
      outboxDepth: 3,
    });
    const second = book.take(
      who,
      [
        { id: 'a', reads: 130, events: 50, rejects: 2, errors: 1 },
        { id: 'b', reads: 4, events: 1, rejects: 1, errors: 0 }, // restarted: counts from zero
        { id: 'c', reads: 7, events: 7, rejects: 0, errors: 2 }, // new
      ],
      60,
      0,
      Date.parse('2026-11-30T00:00:00Z'),
    );
    expect(second.from).toBe('2026-11-29T00:00:00.000Z');
    expect(second.readers).toEqual([
      { id: 'a', reads: 30, events: 10, rejects: 0, errors: 0 },
      { id: 'b', reads: 4, events: 1, rejects: 1, errors: 0 },
      { id: 'c', reads: 7, events: 7, rejects: 0, errors: 2 },
    ]);
    expect(second.totals).toEqual({ reads: 41, events: 18, rejects: 1, errors: 2 });
    expect(second.delivered).toBe(15);
  });

  it('carries a period over a restart: the new process adds its counts to the carried ones', () => {
    const who = { gateway: 'gw-1', site: 'site-1' };
    const midnight = Date.parse('2026-11-29T00:00:00Z');
    const before = new SummaryBook(midnight);
    before.take(who, [{ id: 'a', reads: 5, events: 5, rejects: 0, errors: 0 }], 5, 0, midnight);
    // Morning: a and b read, then the daemon restarts (a reader removed by a reload is kept).
    const carry = before.carry(
      [
        { id: 'a', reads: 105, events: 45, rejects: 2, errors: 1, running: true },
        { id: 'b', reads: 10, events: 5, rejects: 0, errors: 0, running: false },
        { id: 'gone', reads: 0, events: 0, rejects: 0, errors: 0, running: false },
      ],
      50,
    );
    expect(carry).toEqual({
      from: midnight,
      readers: [
        { id: 'a', reads: 100, events: 40, rejects: 2, errors: 1 },
        { id: 'b', reads: 10, events: 5, rejects: 0, errors: 0 },
      ],
      delivered: 45,
    });
    const after = new SummaryBook(Date.parse('2026-11-29T08:00:00Z'), JSON.parse(JSON.stringify(carry)));
    const summary = after.take(
      who,
      [
        { id: 'a', reads: 30, events: 10, rejects: 0, errors: 0, running: true },
        { id: 'c', reads: 0, events: 0, rejects: 0, errors: 0, running: true }, // running: listed
      ],
      12,
      1,
      Date.parse('2026-11-30T00:00:00Z'),
    );
    expect(summary).toMatchObject({
      from: '2026-11-29T00:00:00.000Z',
      to: '2026-11-30T00:00:00.000Z',
      readers: [
        { id: 'a', reads: 130, events: 50, rejects: 2, errors: 1 },
        { id: 'c', reads: 0, events: 0, rejects: 0, errors: 0 },
        { id: 'b', reads: 10, events: 5, rejects: 0, errors: 0 },
      ],
      totals: { reads: 140, events: 55, rejects: 2, errors: 1 },
      delivered: 57,
    });
    // The next period starts clean.
    expect(
      after.carry([{ id: 'a', reads: 31, events: 10, rejects: 0, errors: 0, running: true }], 12),
    ).toEqual({
      from: Date.parse('2026-11-30T00:00:00Z'),
      readers: [{ id: 'a', reads: 1, events: 0, rejects: 0, errors: 0 }],
      delivered: 0,
    });
  });
});

describe('ReadRate', () => {
  it('gives reads per minute over the last minute of samples', () => {
    const rate = new ReadRate();
    expect(rate.perMinute()).toBe(0);
    for (let s = 0; s <= 120; s++) rate.sample(s * 1000, s < 60 ? s * 10 : 600 + (s - 60) * 2);
    // The last minute: 2 reads a second.
    expect(rate.perMinute()).toBeCloseTo(120, 5);
    rate.sample(121_000, 5); // the driver restarted: counts start over
    expect(rate.perMinute()).toBe(0);
    rate.sample(131_000, 55);
    expect(rate.perMinute()).toBeCloseTo(300, 5);
  });

  it('counts a burst before the first periodic sample from the baseline taken at the start', () => {
    const rate = new ReadRate();
    rate.sample(0, 0); // the reader starts
    rate.sample(1500, 350); // the first periodic sample comes after the burst
    rate.sample(2500, 350);
    expect(rate.perMinute()).toBeCloseTo(8400, 5);
  });
});
