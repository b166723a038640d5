/**
 * Mosquitto is SIGKILLed mid-stream, with a full in-flight window of publishes it has received
 * but not yet acknowledged, and restarted on the same port. The test plays the dispatcher: a
 * rejected publish is sent again after the next `up`, from the lowest unacknowledged sequence,
 * in order. Every message must arrive; duplicates come only from the in-flight window.
 *
 * The window is filled on purpose (a proxy withholds the PUBACKs) because a crash at an arbitrary
 * instant can also lose messages Mosquitto had already acknowledged but not yet written to a
 * busy subscriber: that is the broker's loss, not the uplink's, and would make the count flaky.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import { eventPayload, eventTopic, sequenceOf, until, uplinkKinds, uplinkOptions } from './helpers.js';
import { wireProxy } from './wire-proxy.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(uplinkKinds)('$name across a broker crash', ({ make }) => {
  it('loses nothing when Mosquitto is SIGKILLed mid-stream and restarted on the same port', async () => {
    const total = 2000;
    const inflight = 100;
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const events = await collect(broker.url, eventTopic);
    cleanup.push(() => events.close());
    const uplink = make(
      uplinkOptions(proxy.url, { inflight, retry: { minMs: 50, maxMs: 300 } }),
      silentLogger(),
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();

    const acked = new Set<number>();
    const rejections: string[] = [];
    let cursor = 1;
    let outstanding = 0;
    let rewind = false;
    let held = false;
    let crashed = false;
    let fail: (err: Error) => void = () => {};
    const allAcked = new Promise<void>((resolve, reject) => {
      fail = reject;
      const pump = (): void => {
        // The restarted broker has forgotten the collector: republish once it is subscribed again.
        if (crashed && events.subscribed < 2) {
          setTimeout(pump, 10);
          return;
        }
        if (rewind) {
          if (outstanding > 0) return; // the last rejection rewinds
          rewind = false;
          cursor = range(1, total).find((s) => !acked.has(s)) ?? total + 1;
        }
        while (cursor <= total && uplink.canPublish()) {
          const seq = cursor++;
          if (acked.has(seq)) continue;
          outstanding++;
          uplink.publish(eventTopic, eventPayload(seq)).then(
            () => {
              outstanding--;
              acked.add(seq);
              if (acked.size === 700) {
                held = true;
                proxy.hold();
              }
              if (acked.size === total) resolve();
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
    cleanup.push(async () => fail(new Error('test ended')));

    // A full window on the wire, every message of it already forwarded to the subscriber.
    await until(
      () => held && proxy.outstanding === inflight && !uplink.canPublish(),
      'a full in-flight window',
    );
    const ackedAtCrash = acked.size;
    expect(ackedAtCrash).toBeGreaterThanOrEqual(700);
    await events.waitFor(ackedAtCrash + inflight, 5000);
    crashed = true;
    await broker.kill();
    await broker.restart();
    await allAcked;

    const distinct = () => new Set(events.messages.map((m) => sequenceOf(m.payload))).size;
    await until(() => distinct() === total, `all ${total} sequences at the collector`, 10_000);
    const received = events.messages.map((m) => sequenceOf(m.payload));
    // Exactly: everything up to the crash, then the rejected window once more, then the rest.
    expect(received).toEqual([...range(1, ackedAtCrash + inflight), ...range(ackedAtCrash + 1, total)]);
    expect(rejections).toEqual(Array(inflight).fill('UplinkDisconnectedError'));
    expect(proxy.maxOutstanding).toBe(inflight);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 2, inflight: 0 });
    console.log(
      `broker restart: ${total} delivered, ${rejections.length} publishes rejected and resent, ${received.length - total} duplicates`,
    );
  });
});
