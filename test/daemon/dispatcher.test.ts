import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../daemon/dispatcher.js';
import { silentLogger } from '../../daemon/log.js';
import { FakeUplink } from '../support/fake-uplink.js';
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
});
