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
import { eventTopic, publishAll, range, sequenceOf, until, uplinkKinds, uplinkOptions } from './helpers.js';
import { wireProxy } from './wire-proxy.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

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

    let crashed = false;
    // The restarted broker has forgotten the collector: republish once it is subscribed again.
    const stream = publishAll(uplink, {
      total,
      holdAt: 700,
      hold: () => proxy.hold(),
      ready: () => !crashed || events.subscribed >= 2,
    });
    const { acked, rejections } = stream;
    cleanup.push(async () => stream.abandon());

    // A full window on the wire, every message of it already forwarded to the subscriber.
    await until(
      () => stream.held() && proxy.outstanding === inflight && !uplink.canPublish(),
      'a full in-flight window',
    );
    const ackedAtCrash = acked.size;
    expect(ackedAtCrash).toBeGreaterThanOrEqual(700);
    await events.waitFor(ackedAtCrash + inflight, 5000);
    crashed = true;
    await broker.kill();
    await broker.restart();
    await stream.done;

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
