import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../daemon/dispatcher.js';
import { silentLogger } from '../../daemon/log.js';
import { FakeUplink } from '../support/fake-uplink.js';
import { loggedLines } from '../support/logged-lines.js';
import { MemoryOutbox } from '../support/memory-outbox.js';

async function fill(outbox: MemoryOutbox, n: number) {
  for (let i = 0; i < n; i++) {
    const seq = outbox.nextSequence();
    await outbox.append({ seq, topic: 't', payload: String(seq), acceptedAt: Date.now() });
  }
}

describe('Dispatcher', () => {
  it('publishes in sequence order, never more than the window outstanding, and deletes only on PUBACK', async () => {
    const outbox = new MemoryOutbox();
    const uplink = new FakeUplink(10);
    await fill(outbox, 35);
    const d = new Dispatcher(outbox, uplink, silentLogger(), 10);
    d.start();
    await expect.poll(() => uplink.pending.length).toBe(10);
    expect(outbox.stats().depth).toBe(35);
    while (outbox.stats().depth > 0) {
      uplink.ack();
      await expect.poll(() => uplink.pending.length > 0 || outbox.stats().depth === 0).toBe(true);
    }
    await d.stop();
    expect(uplink.published).toEqual(Array.from({ length: 35 }, (_, i) => String(i + 1)));
    expect(uplink.maxInflightSeen).toBe(10);
    expect(d.stats().published).toBe(35);
  });

  it('sends again, in order, what was in flight when the connection dropped', async () => {
    const outbox = new MemoryOutbox();
    const uplink = new FakeUplink(4);
    await fill(outbox, 10);
    const d = new Dispatcher(outbox, uplink, silentLogger(), 4);
    d.start();
    await expect.poll(() => uplink.pending.length).toBe(4);
    uplink.ack(2); // 1 and 2 delivered
    await expect.poll(() => uplink.published.length).toBe(6);
    uplink.drop(); // 3..6 lost in flight
    await fill(outbox, 2); // 11, 12 arrive while down
    uplink.reconnect();
    while (outbox.stats().depth > 0) {
      uplink.ack();
      await expect.poll(() => uplink.pending.length > 0 || outbox.stats().depth === 0).toBe(true);
    }
    await d.stop();
    expect(uplink.published.map(Number)).toEqual([1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(outbox.stats().acked).toBe(12);
  });

  it('waits for new events and publishes them as they arrive', async () => {
    const outbox = new MemoryOutbox();
    const uplink = new FakeUplink(5);
    const d = new Dispatcher(outbox, uplink, silentLogger(), 5);
    d.start();
    await fill(outbox, 1);
    await expect.poll(() => uplink.published).toEqual(['1']);
    uplink.ack();
    await expect.poll(() => outbox.stats().depth).toBe(0);
    await d.stop();
  });

  it('keeps order and acknowledges each entry it sent when a lane is topped up before it runs empty', async () => {
    const outbox = new MemoryOutbox();
    const uplink = new FakeUplink(4);
    await fill(outbox, 30);
    const acked: number[] = [];
    const ack = outbox.ack.bind(outbox);
    outbox.ack = (seq) => {
      acked.push(seq);
      ack(seq);
    };
    // Takes of at most 6 with a window of 4: each refill comes while the lane still holds entries.
    const d = new Dispatcher(outbox, uplink, silentLogger(), { window: 4, takeMax: 6 });
    d.start();
    while (outbox.stats().depth > 0) {
      await expect.poll(() => uplink.pending.length > 0 || outbox.stats().depth === 0).toBe(true);
      uplink.ack(1);
    }
    await d.stop();
    const all = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(uplink.published.map(Number)).toEqual(all);
    expect(acked).toEqual(all);
    expect(uplink.maxInflightSeen).toBe(4);
    expect(outbox.stats()).toMatchObject({ depth: 0, acked: 30 });
  });

  describe('replay after an outage (liveShare)', () => {
    /** Acknowledges everything outstanding, round by round, until the outbox is empty. */
    async function ackAll(outbox: MemoryOutbox, uplink: FakeUplink, eachRound?: () => void) {
      while (outbox.stats().depth > 0) {
        eachRound?.();
        uplink.ack();
        await expect.poll(() => uplink.pending.length > 0 || outbox.stats().depth === 0).toBe(true);
      }
    }

    it('sends live events beside the backlog, within their share, each lane in order', async () => {
      const outbox = new MemoryOutbox();
      const uplink = new FakeUplink(10);
      await fill(outbox, 50); // the backlog
      const d = new Dispatcher(outbox, uplink, silentLogger(), { window: 10, liveShare: 0.2 });
      d.start();
      await expect.poll(() => uplink.pending.length).toBe(10);
      await fill(outbox, 5); // read after the reconnect: 51..55
      let maxLiveInFlight = 0;
      await ackAll(outbox, uplink, () => {
        const live = uplink.pending.filter((p) => Number(p.payload) > 50).length;
        maxLiveInFlight = Math.max(maxLiveInFlight, live);
      });
      await d.stop();
      const order = uplink.published.map(Number);
      expect(order).toHaveLength(55);
      expect(order.filter((s) => s <= 50)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(order.filter((s) => s > 50)).toEqual([51, 52, 53, 54, 55]);
      // The live events did not wait for the backlog: all of them went before its last event.
      expect(order.indexOf(55)).toBeLessThan(order.indexOf(50));
      expect(maxLiveInFlight).toBe(2); // 20% of a window of 10
      expect(uplink.maxInflightSeen).toBe(10);
      expect(d.stats()).toMatchObject({ published: 55, replays: 1, livePublished: 5 });
    });

    it('with liveShare 0, everything goes in strict sequence order', async () => {
      const outbox = new MemoryOutbox();
      const uplink = new FakeUplink(10);
      await fill(outbox, 30);
      const d = new Dispatcher(outbox, uplink, silentLogger(), { window: 10, liveShare: 0 });
      d.start();
      await expect.poll(() => uplink.pending.length).toBe(10);
      await fill(outbox, 5);
      await ackAll(outbox, uplink);
      await d.stop();
      expect(uplink.published.map(Number)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
      expect(d.stats()).toMatchObject({ replays: 0, livePublished: 0 });
    });

    it('a connection lost mid-replay: all sent again, and the next connect splits again', async () => {
      const outbox = new MemoryOutbox();
      const uplink = new FakeUplink(10);
      await fill(outbox, 40);
      const { log, lines } = loggedLines();
      const d = new Dispatcher(outbox, uplink, log, { window: 10, liveShare: 0.3 });
      d.start();
      await expect.poll(() => uplink.pending.length).toBe(10);
      await fill(outbox, 6); // 41..46
      // Round by round until live events are in flight beside the backlog (the second round at the latest).
      for (let round = 0; round < 2 && !uplink.pending.some((p) => Number(p.payload) > 40); round++) {
        uplink.ack();
        await expect.poll(() => uplink.pending.length).toBe(10);
      }
      const inFlight = uplink.pending.map((p) => Number(p.payload));
      expect(inFlight.filter((s) => s > 40)).toEqual([41, 42, 43]); // the live share: 3 of 10
      expect(inFlight.filter((s) => s <= 40)).toHaveLength(7);
      const beforeDrop = uplink.published.length;
      uplink.drop(); // live and backlog events in flight are lost
      await fill(outbox, 4); // 47..50, read while down
      uplink.reconnect();
      await ackAll(outbox, uplink);
      await d.stop();
      const order = uplink.published.map(Number);
      expect(new Set(order)).toEqual(new Set(Array.from({ length: 50 }, (_, i) => i + 1)));
      expect(outbox.stats()).toMatchObject({ depth: 0, acked: 50 });
      expect(d.stats().replays).toBe(2);
      // After the reconnect everything not acknowledged (47..50, read while down, included) is the
      // new backlog, sent in strict sequence order; what was in flight at the drop went out twice.
      const after = order.slice(beforeDrop);
      expect(after).toEqual([...after].sort((a, b) => a - b));
      expect(after.at(-1)).toBe(50);
      for (const s of inFlight) expect(order.filter((x) => x === s)).toHaveLength(2);
      // The cut replay says nothing more; the second says once that its backlog (up to 50, all
      // sent after the reconnect) has drained.
      const starts = lines.filter((l) => l.msg === 'replaying the backlog beside live events');
      expect(starts.map((l) => l.backlogEnd)).toEqual([40, 50]);
      const drained = lines.filter((l) => l.msg === 'backlog drained');
      expect(drained).toEqual([
        expect.objectContaining({ backlogEnd: 50, replayed: after.length, depth: 0 }),
      ]);
      expect(lines.indexOf(drained[0]!)).toBeGreaterThan(lines.indexOf(starts[1]!));
    });
  });
});
