/**
 * A network reader's login publishing JSON built to stall the gateway: a 1 MiB run of `{}{}...`
 * (524,288 events in one message) used to be split, parsed and judged event by event, blocking
 * the event loop for about a second (16 MiB: ~21 s, near the watchdog). Now a message is counted
 * in one linear scan and rejected whole, before any parsing, when it carries more events than
 * maxEventsPerMessage. The work is proven bounded by counting JSON.parse calls, not by a clock.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readerLogins, readerTopic } from '../../daemon/broker/reader-access.js';
import { silentLogger } from '../../daemon/log.js';
import { MqttReaderDriver } from '../../drivers/mqtt-reader/driver.js';
import { parseImpinjMessage } from '../../drivers/mqtt-reader/impinj.js';
import { countEvents } from '../../drivers/mqtt-reader/json-fields.js';
import { parseZebraMessage } from '../../drivers/mqtt-reader/zebra.js';
import { RecordingSink } from '../drivers/driver.contract.js';
import {
  connectReader,
  endClient,
  impinjEvent,
  readerConfig,
  startBroker,
  zebraEvent,
} from '../drivers/mqtt-reader/helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const step of cleanup.splice(0).reverse()) await step();
});

const MiB = 1024 * 1024;
const runOn = Buffer.from('{}'.repeat(MiB / 2)); // exactly 1 MiB, 524,288 empty events
const lines = Buffer.from('{}\n'.repeat(Math.floor(MiB / 3)));
const batch = Buffer.from(
  `[${Array(MiB / 4)
    .fill('{}')
    .join(',')}]`,
);
const EPC = '3034257BF7194E4000001A85';

/** Runs `fn` counting the JSON.parse calls it makes. */
function parsesIn<T>(fn: () => T): { result: T; parses: number } {
  const spy = vi.spyOn(JSON, 'parse');
  try {
    const result = fn();
    return { result, parses: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

describe('reader JSON is handled in bounded work', () => {
  it.each([
    ['zebra-fx, objects run together', parseZebraMessage, runOn, 524288],
    ['zebra-fx, one batch array', parseZebraMessage, batch, 262144],
    ['impinj-r700, JSON lines', parseImpinjMessage, lines, 349525],
    ['impinj-r700, one batch array', parseImpinjMessage, batch, 262144],
  ])(
    '%s: a message of more events than allowed is one reject, with no JSON parsed',
    (_, parse, payload, events) => {
      expect(countEvents(payload.toString(), Number.MAX_SAFE_INTEGER)).toBe(events);
      const { result, parses } = parsesIn(() => parse(payload, 10000));
      expect(parses).toBe(0);
      expect(result.reads).toEqual([]);
      expect(result.ignored).toBe(0);
      expect(result.rejects.map((r) => [r.code, r.message, r.data.length])).toEqual([
        ['too-many-events', 'the message carries more than 10000 events (maxEventsPerMessage)', 4096],
      ]);
    },
  );

  it('counts events exactly, so a full batch passes and one more is refused', () => {
    // Braces, brackets and quotes inside strings are not structure.
    const tricky = (i: number) => ({ ...zebraEvent(EPC, 1), note: `{[\\"${i}"]}` });
    const of = (n: number) => Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => tricky(i))));
    const full = parsesIn(() => parseZebraMessage(of(50), 50));
    expect(full.result.reads).toHaveLength(50);
    expect(full.result.rejects).toEqual([]);
    expect(full.parses).toBe(1);
    const over = parseZebraMessage(of(51), 50);
    expect(over.reads).toEqual([]);
    expect(over.rejects.map((r) => r.code)).toEqual(['too-many-events']);
    expect(countEvents('1 "a" [2, {"b": [3]}, "c"] {"d": 4}\ntrue', 100)).toBe(7);
    // The scan stops once past the limit: its work is bounded by the limit as well as by the size.
    expect(countEvents(runOn.toString(), 10)).toBe(11);
  });

  it("over the broker: a reader's run-on message is one too-many-events reject, and its next message is read", async () => {
    const zebra = readerConfig('zebra-fx', { username: 'fx-dock', password: 'fx-secret' });
    const tb = await startBroker(readerLogins([zebra]));
    cleanup.push(() => tb.stop());
    const driver = new MqttReaderDriver(zebra, { log: silentLogger(), broker: tb.broker });
    cleanup.push(() => driver.stop());
    const sink = new RecordingSink();
    await driver.start(sink);
    const client: MqttClient = await connectReader(tb.url, { username: 'fx-dock', password: 'fx-secret' });
    cleanup.push(() => endClient(client));
    const topic = readerTopic(zebra);
    await client.publishAsync(topic, runOn, { qos: 1 });
    await client.publishAsync(topic, JSON.stringify(zebraEvent(EPC, 2)), { qos: 1 });
    expect(sink.rejects.map((r) => [r.readerId, r.code, r.data.length])).toEqual([
      [zebra.id, 'too-many-events', 4096],
    ]);
    expect(sink.calls.map((r) => [r.data.toString('hex').toUpperCase(), r.antenna])).toEqual([[EPC, 2]]);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 1, rejects: 1 });
    // An ordinary Impinj message is still taken as before.
    expect(parseImpinjMessage(Buffer.from(impinjEvent(EPC))).reads).toHaveLength(1);
  });
});
