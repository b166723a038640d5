/**
 * Drops are never silent: the ranges of dropped sequence numbers are stored with the deletes that
 * caused them, survive a restart until an overflow notice carrying them is acknowledged, and the
 * notices say exactly which numbers were lost.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { OverflowNotifier, overflowNotice } from '../../../daemon/outbox/overflow-notices.js';
import { FakeUplink } from '../../support/fake-uplink.js';
import { noticeErrors } from '../../support/schemas.js';
import { baseOptions, drain, put, putEach, recordingStore, tempDirs } from './helpers.js';

const dir = tempDirs();
const iso = (ms: number) => new Date(ms).toISOString();

describe('drop ledger', () => {
  it('writes the drop ranges in the same atomic batch as the deletes of the dropped entries', async () => {
    const store = recordingStore();
    const o = new LevelOutbox(dir(), { ...baseOptions, maxEvents: 10 }, silentLogger(), {
      writeBatch: store.writeBatch,
    });
    await o.open();
    await putEach(o, 12);
    const dropping = store.calls.filter((c) => c.ops.some((op) => op.type === 'del'));
    expect(dropping).toHaveLength(2);
    for (const [i, call] of dropping.entries()) {
      const seq = i + 1;
      expect(call.ops.map((op) => op.key)).toContain(`e!${seq.toString(16).padStart(16, '0')}`);
      const ledger = call.ops.find((op) => op.key === 'm!drops');
      expect(ledger?.type === 'put' && JSON.parse(String(ledger.value))).toEqual({
        total: seq,
        ranges: [[1, seq, 1001, 1000 + seq]],
      });
    }
    await o.close();
  });

  it('keeps unconfirmed ranges and the lifetime total across a reopen, and forgets confirmed ones', async () => {
    const d = dir();
    const a = new LevelOutbox(d, { ...baseOptions, maxEvents: 10 }, silentLogger());
    await a.open();
    await putEach(a, 15); // drop-oldest: 1..5 go
    expect(a.stats()).toMatchObject({ dropped: 5, unannouncedDrops: 5, totalDropped: 5 });
    const lost = a.cutDrops(100); // handed to a notice that never gets its PUBACK
    expect(lost?.ranges).toEqual([{ from: 1, to: 5, fromAt: 1001, toAt: 1005 }]);
    await a.close();

    const b = new LevelOutbox(d, { ...baseOptions, maxEvents: 10, overflow: 'drop-newest' }, silentLogger());
    await b.open();
    expect(b.stats()).toMatchObject({ dropped: 0, unannouncedDrops: 5, totalDropped: 5, lastSeq: 15 });
    expect(await putEach(b, 2)).toEqual([false, false]); // 16 and 17 refused
    const cut = b.cutDrops(100);
    expect(cut).toEqual({
      ranges: [
        { from: 1, to: 5, fromAt: 1001, toAt: 1005 },
        { from: 16, to: 17, fromAt: 1016, toAt: 1017 },
      ],
      totalDropped: 7,
    });
    expect(await putEach(b, 1)).toEqual([false]); // 18: a new range, the cut ones are closed
    b.confirmDrops(cut!);
    expect(b.stats()).toMatchObject({ unannouncedDrops: 1, totalDropped: 8 });
    await b.close();

    const c = new LevelOutbox(d, { ...baseOptions, maxEvents: 10 }, silentLogger());
    await c.open();
    expect(c.cutDrops(100)).toEqual({
      ranges: [{ from: 18, to: 18, fromAt: 1018, toAt: 1018 }],
      totalDropped: 8,
    });
    expect(c.nextSequence()).toBe(19);
    expect(await drain(c)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    await c.close();
  });

  it('keeps ranges exact when acknowledged entries lie between dropped ones', async () => {
    const o = new LevelOutbox(dir(), { ...baseOptions, maxEvents: 5 }, silentLogger());
    await o.open();
    await putEach(o, 5);
    await putEach(o, 1); // drops 1
    const taken = await o.take(2); // 2 and 3 go out and are acknowledged
    for (const e of taken) o.ack(e.seq);
    await putEach(o, 4); // 7 and 8 fill the room of the two acks; 9 and 10 push out 4 and 5
    expect(o.cutDrops(10)?.ranges.map((r) => [r.from, r.to])).toEqual([
      [1, 1],
      [4, 5],
    ]);
    expect(await drain(o)).toEqual([6, 7, 8, 9, 10]);
    await o.close();
  });
});

describe('overflow notices', () => {
  const who = { topic: 'readpoint/v1/s/g/overflow', gateway: 'g', site: 's', policy: 'drop-oldest' as const };

  it('builds a notice with the exact ranges, counts and acceptance times, valid against its schema', () => {
    const notice = overflowNotice(
      {
        ranges: [
          { from: 40, to: 41, fromAt: 5040, toAt: 5041 },
          { from: 7, to: 9, fromAt: 5007, toAt: 5009 },
        ],
        totalDropped: 12,
      },
      who,
      9000,
    );
    expect(notice).toEqual({
      gateway: 'g',
      site: 's',
      policy: 'drop-oldest',
      dropped: 5,
      firstSeq: 7,
      lastSeq: 41,
      firstAt: iso(5007),
      lastAt: iso(5041),
      ranges: [
        [7, 9],
        [40, 41],
      ],
      totalDropped: 12,
      time: iso(9000),
    });
    expect(noticeErrors(notice)).toEqual([]);
  });

  it('sends at most one notice per interval, each covering the drops since the previous, and retries an unacknowledged one', async () => {
    const o = new LevelOutbox(
      dir(),
      { ...baseOptions, maxEvents: 10, overflow: 'drop-newest' },
      silentLogger(),
    );
    await o.open();
    const uplink = new FakeUplink(10);
    let now = 100_000;
    const notifier = new OverflowNotifier(
      o,
      uplink,
      { ...who, policy: 'drop-newest', now: () => now },
      silentLogger(),
    );
    await put(o, 13); // 11..13 refused
    notifier.tick();
    expect(uplink.pending).toHaveLength(1);
    await put(o, 2); // 14, 15 refused while the first notice is out
    uplink.ack();
    await expect.poll(() => notifier.acknowledged).toBe(1);
    now += 500;
    notifier.tick(); // too soon
    expect(uplink.pending).toHaveLength(0);
    now += 500;
    notifier.tick();
    expect(uplink.pending).toHaveLength(1);
    uplink.drop(); // lost with the connection: kept for later
    await put(o, 1); // 16
    now += 1000;
    notifier.tick(); // disconnected: nothing sent
    expect(uplink.pending).toHaveLength(0);
    uplink.reconnect(); // 'up' is not wired (start() not called): tick by hand
    notifier.tick();
    uplink.ack();
    await expect.poll(() => notifier.acknowledged).toBe(2);
    const notices = uplink.published.map((p) => JSON.parse(p));
    expect(notices.map((n) => [n.ranges, n.dropped, n.totalDropped])).toEqual([
      [[[11, 13]], 3, 3],
      [[[14, 15]], 2, 5],
      [
        [
          [14, 15],
          [16, 16],
        ],
        3,
        6,
      ],
    ]);
    for (const n of notices) expect(noticeErrors(n)).toEqual([]);
    expect(o.stats()).toMatchObject({ unannouncedDrops: 0, totalDropped: 6 });
    await o.close();
  });
});
