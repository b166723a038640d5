/**
 * The threaded uplink's worker thread dies of an uncaught exception with a full in-flight window
 * of publishes the broker has received but not acknowledged. The test plays the dispatcher, as in
 * broker-restart.test.ts: a rejected publish is sent again after the next `up`, from the lowest
 * unacknowledged sequence. Every message must arrive; duplicates come only from the window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ThreadedUplink } from '../../../daemon/uplink/threaded-uplink.js';
import { startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import {
  built,
  eventTopic,
  memoryLogger,
  publishAll,
  range,
  sequenceOf,
  statusTopic,
  until,
  uplinkOptions,
} from './helpers.js';
import { wireProxy } from './wire-proxy.js';

/** The status topic on which test/support/crashing-uplink-thread.ts throws. */
const CRASH_TOPIC = 'readpoint-test/uplink-thread/crash';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('ThreadedUplink when its thread dies', () => {
  it('rejects the window as disconnected, starts a new thread and loses nothing', async () => {
    const total = 2000;
    const inflight = 100;
    const broker = await startMosquitto();
    cleanup.push(() => broker.stop());
    const proxy = await wireProxy(broker.port, eventTopic);
    cleanup.push(() => proxy.close());
    const events = await collect(broker.url, eventTopic);
    cleanup.push(() => events.close());
    const status = await collect(broker.url, statusTopic);
    cleanup.push(() => status.close());
    const { log, lines } = memoryLogger();
    const uplink = new ThreadedUplink(
      uplinkOptions(proxy.url, { inflight, retry: { minMs: 50, maxMs: 300 } }),
      log,
      built('test/support/crashing-uplink-thread.js'),
    );
    cleanup.push(() => uplink.stop());
    await uplink.start();
    const downs: number[] = [];
    uplink.on('down', () => downs.push(uplink.status().inflight));

    const stream = publishAll(uplink, { total, holdAt: 700, hold: () => proxy.hold() });
    const { acked, rejections } = stream;
    cleanup.push(async () => stream.abandon());

    await until(
      () => stream.held() && proxy.outstanding === inflight && !uplink.canPublish(),
      'a full in-flight window',
    );
    const ackedAtCrash = acked.size;
    await events.waitFor(ackedAtCrash + inflight, 5000);
    uplink.publishStatus(CRASH_TOPIC, 'now');
    await stream.done;

    const distinct = () => new Set(events.messages.map((m) => sequenceOf(m.payload))).size;
    await until(() => distinct() === total, `all ${total} sequences at the collector`, 10_000);
    const received = events.messages.map((m) => sequenceOf(m.payload));
    // Everything up to the crash, the rejected window once more, then the rest.
    expect(received).toEqual([...range(1, ackedAtCrash + inflight), ...range(ackedAtCrash + 1, total)]);
    expect(rejections).toEqual(Array(inflight).fill('UplinkDisconnectedError'));
    expect(downs).toEqual([0]);
    expect(uplink.status()).toMatchObject({ state: 'connected', connects: 2, inflight: 0 });
    expect(uplink.status().lastError).toBe('uplink thread failed: the uplink thread broke');

    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; lastError?: string });
    const failed = records.filter((r) => r.msg === 'uplink thread failed; starting a new one');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 50,
      lastError: 'uplink thread failed: the uplink thread broke',
    });
    // The new thread's own lines reach the same logger, as they would in process.
    expect(records.filter((r) => r.msg === 'uplink connected')).toHaveLength(2);
    // The broker saw the dead thread's connection go (its last will) and the new one come.
    await status.waitFor(3, 5000);
    expect(status.messages.map((m) => m.payload.toString())).toEqual(['online', 'offline', 'online']);
  });
});
