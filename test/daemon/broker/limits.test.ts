/** The pure pieces of the broker's limits: the packet header scanner, the publish bucket, the retained budget, the config checks. */
import { describe, expect, it } from 'vitest';
import { brokerLimits } from '../../../config/broker-limit-defaults.js';
import { ConfigError, formatProblem, parseConfig } from '../../../config/load.js';
import { PacketSizeScanner } from '../../../daemon/broker/packet-guard.js';
import { PublishBucket } from '../../../daemon/broker/publish-rate.js';
import { RetainedBudget } from '../../../daemon/broker/retained-store.js';

/** A PUBLISH fixed header announcing `remaining` bytes. */
function header(remaining: number): number[] {
  const bytes = [0x30];
  do {
    let b = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) b |= 0x80;
    bytes.push(b);
  } while (remaining > 0);
  return bytes;
}

describe('PacketSizeScanner', () => {
  it('follows packets across any chunking and names the first one over the limit', () => {
    const stream = Buffer.from([
      ...header(3),
      1,
      2,
      3,
      0xc0,
      0x00, // PINGREQ: no body
      ...header(100),
      ...Array(100).fill(7),
      ...header(200_000),
      9,
      9,
    ]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const scanner = new PacketSizeScanner(1000);
      const verdicts: (number | undefined)[] = [];
      for (let i = 0; i < stream.length; i += size) verdicts.push(scanner.feed(stream.subarray(i, i + size)));
      expect(verdicts.filter((v) => v !== undefined)).toEqual([1 + 3 + 200_000]);
    }
  });

  it('lets a packet of exactly the limit through, and one byte more not', () => {
    expect(new PacketSizeScanner(102).feed(Buffer.from(header(100)))).toBeUndefined();
    expect(new PacketSizeScanner(101).feed(Buffer.from(header(100)))).toBe(102);
    expect(new PacketSizeScanner(2 ** 28).feed(Buffer.from(header(268_435_455)))).toBe(268_435_460);
  });

  it('refuses a bad limit', () => {
    expect(() => new PacketSizeScanner(0)).toThrow('maxBytes must be a positive integer, got 0');
  });
});

describe('PublishBucket', () => {
  it('lets a burst through, then paces at the rate, then refuses a client more than a burst ahead', () => {
    let now = 0;
    const bucket = new PublishBucket({ publishRate: 10, publishBurst: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([100, 200, 300]);
    expect(bucket.take()).toBe('too-fast');
    now = 300; // three tokens back: the waiting ones have gone
    expect(bucket.take()).toBe(100);
    now = 10_000; // idle for long: a full burst again, never more
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0, 100]);
  });
});

describe('RetainedBudget', () => {
  it('counts topics and bytes, frees what an empty payload clears, and forgets a refused topic', () => {
    const budget = new RetainedBudget({ maxRetained: 2, maxRetainedBytes: 100 });
    expect(budget.admit({ topic: 'a', payload: Buffer.alloc(40) })).toBeUndefined();
    expect(budget.admit({ topic: 'b', payload: 'x'.repeat(40) })).toBeUndefined();
    expect(budget.admit({ topic: 'c', payload: 'x' })).toEqual({
      topic: 'c',
      bytes: 2,
      limit: 'maxRetained',
    });
    expect(budget.admit({ topic: 'a', payload: Buffer.alloc(50) })).toBeUndefined(); // replaces: 51 + 41
    expect([budget.count, budget.bytes]).toEqual([2, 92]);
    expect(budget.admit({ topic: 'b', payload: Buffer.alloc(60) })).toEqual({
      topic: 'b',
      bytes: 61,
      limit: 'maxRetainedBytes',
    });
    expect([budget.count, budget.bytes]).toEqual([1, 51]);
    expect(budget.admit({ topic: 'a', payload: '' })).toBeUndefined();
    expect([budget.count, budget.bytes]).toEqual([0, 0]);
  });
});

const config = (limits: string, maxMessageBytes = 1048576) => `gateway: { id: gw-1, site: s-1 }
broker: { limits: ${limits} }
readPoints: [{ id: rp-1 }]
readers:
  - { id: door-1, driver: zebra-fx, readPoint: rp-1, username: fx, password: pw, maxMessageBytes: ${maxMessageBytes} }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'f.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

describe('broker.limits in the config', () => {
  it('has defaults for a small box, filled in when the section is absent', () => {
    expect(parseConfig(config('{}'), 'f.yaml', {}).broker.limits).toEqual(brokerLimits());
    expect(brokerLimits()).toEqual({
      maxPacketBytes: 2097152,
      maxConnections: 100,
      maxPendingConnections: 16,
      maxPendingPerAddress: 4,
      maxConsumers: 32,
      connectTimeoutS: 10,
      maxRetained: 1000,
      maxRetainedBytes: 8388608,
      publishRate: 5000,
      publishBurst: 10000,
    });
  });

  it('fills the defaults of a broker started without a config section around the limits given', () => {
    expect(brokerLimits({ maxConnections: 40 })).toEqual({ ...brokerLimits(), maxConnections: 40 });
    // Taken as given: the loader checks a configuration's ranges, a broker made in code sets its own.
    expect(brokerLimits({ maxRetained: 1 })).toEqual({ ...brokerLimits(), maxRetained: 1 });
    expect(Object.isFrozen(brokerLimits())).toBe(true);
  });

  it("refuses limits that do not hold together, or that a reader's largest message would pass", () => {
    expect(
      problems(config('{ maxConnections: 10, maxPendingConnections: 20, maxPendingPerAddress: 30 }')),
    ).toEqual([
      'f.yaml:2:37 broker.limits.maxConnections: must be at least 53: maxConsumers (32) + ' +
        'maxPendingConnections (20) + one per network reader (1)',
      'f.yaml:2:64 broker.limits.maxPendingConnections: must not exceed maxConnections (10)',
      'f.yaml:2:90 broker.limits.maxPendingPerAddress: must not exceed maxPendingConnections (20)',
    ]);
    // 8 consumers + 4 pending + 1 network reader = 13 connections kept apart (the gateway's own
    // session takes none: it runs in process).
    expect(problems(config('{ maxConnections: 13, maxPendingConnections: 4, maxConsumers: 8 }'))).toEqual([]);
    expect(problems(config('{ maxConnections: 12, maxPendingConnections: 4, maxConsumers: 8 }'))).toEqual([
      'f.yaml:2:37 broker.limits.maxConnections: must be at least 13: maxConsumers (8) + ' +
        'maxPendingConnections (4) + one per network reader (1)',
    ]);
    // Topic readpoint/v1/readers/door-1/tags is 32 bytes: 65536 - 1024 - 32 = 64480.
    expect(problems(config('{ maxPacketBytes: 65536 }', 64480))).toEqual([]);
    expect(problems(config('{ maxPacketBytes: 65536 }', 64481))).toEqual([
      'f.yaml:5:99 readers[0].maxMessageBytes: with its topic, a message this long would pass ' +
        'broker.limits.maxPacketBytes (65536); keep it at most 64480',
    ]);
  });
});
