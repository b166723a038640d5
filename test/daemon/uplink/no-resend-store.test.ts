/** mqtt.js's outgoing store as the uplink gives it: keeps nothing, so a connect resends nothing. */
import type { Packet } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { NoResendStore } from '../../../daemon/uplink/no-resend-store.js';

const publish = {
  cmd: 'publish',
  messageId: 7,
  qos: 1,
  topic: 't',
  payload: Buffer.from('e'),
  dup: false,
  retain: false,
} as Packet;

describe('NoResendStore', () => {
  it('settles put and del at once and hands nothing out afterwards', async () => {
    const store = new NoResendStore();
    const calls: unknown[] = [];
    store.put(publish, (err) => calls.push(['put', err]));
    store.del({ messageId: 7 }, (err, packet) => calls.push(['del', err, packet?.messageId]));
    store.get({ messageId: 7 }, (err) => calls.push(['get', err?.message]));
    expect(calls).toEqual([
      ['put', undefined],
      ['del', undefined, 7],
      ['get', 'the uplink keeps no copies of what it sent'],
    ]);
    const resent: unknown[] = [];
    for await (const p of store.createStream() as unknown as AsyncIterable<unknown>) resent.push(p);
    expect(resent).toEqual([]);
    await new Promise<void>((resolve) => store.close(() => resolve()));
  });
});
