/**
 * The driver contract (drivers/driver.ts), run against every driver: give it a setup that makes
 * a driver and a way to make its device produce reads.
 */
import { describe, expect, it } from 'vitest';
import type { SerialLineConfig } from '../../config/schema.js';
import type { Driver, RawRead, RawReject, ReaderStatus, ReadKind, ReadSink } from '../../drivers/driver.js';
import { HANDOVER_WINDOW } from '../../drivers/handover.js';

export interface DriverHarness {
  driver: Driver;
  /** Makes the device produce these reads, in this order. */
  feed(lines: string[]): Promise<void>;
  /**
   * For a device that makes up its own reads (the simulator): the texts of its first `count`
   * reads, which the contract then expects instead of the lines it fed.
   */
  expected?(count: number): Promise<string[]>;
  /** The kind of read this driver produces (default `barcode`). */
  readonly kind?: ReadKind;
  /**
   * A read as the text `feed`/`expected` speak of (default: its bytes as latin1). An RFID
   * harness maps each fed line to a tag of its own and gives, say, the EPC in hex here.
   */
  text?(read: RawRead): string;
  teardown(): Promise<void>;
}

/** Builds a driver; `reads` is how many reads the test will feed (the simulator's limit). */
export type DriverSetup = (reads: number) => Promise<DriverHarness>;

/** A sink that records what it gets; `gate()` holds every call until released. */
export class RecordingSink implements ReadSink {
  readonly reads: RawRead[] = [];
  readonly rejects: RawReject[] = [];
  /** Reads in the order `read()` was called (the contract: call order is read order). */
  readonly calls: RawRead[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  private held: (() => void)[] | undefined;

  constructor(private readonly delayMs = 0) {}

  async read(read: RawRead): Promise<void> {
    this.calls.push(read);
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      if (this.held) await new Promise<void>((resolve) => this.held?.push(resolve));
      else if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      this.reads.push(read);
    } finally {
      this.concurrent--;
    }
  }

  reject(reject: RawReject): void {
    this.rejects.push(reject);
  }

  /** From now on every call waits for release(). */
  gate(): void {
    this.held ??= [];
  }

  /** Lets the held calls finish (`count` of them, or all and lifts the gate). */
  release(count?: number): void {
    const held = this.held ?? [];
    if (count === undefined) this.held = undefined;
    for (const wake of held.splice(0, count ?? held.length)) wake();
  }

  texts(text: (read: RawRead) => string = latin1): string[] {
    return this.reads.map(text);
  }
}

const latin1 = (read: RawRead) => read.data.toString('latin1');

/** Barcode lines a scanner might send: AIM id, GTIN, serial, GS, lot. */
export const contractLines = (count: number, tag = 'C'): string[] =>
  Array.from({ length: count }, (_, i) => `]d2010950600013435221${tag}${i}\x1d10LOT${i % 3}`);

const textOf = (h: DriverHarness) => (read: RawRead) => (h.text ? h.text(read) : latin1(read));

async function fed(h: DriverHarness, lines: string[]): Promise<string[]> {
  await h.feed(lines);
  return h.expected ? h.expected(lines.length) : lines;
}

export function driverContract(name: string, setup: DriverSetup): void {
  describe(`Driver contract: ${name}`, () => {
    it('starts, hands over reads in order stamped with reader id, kind and times, and stops', async () => {
      const h = await setup(20);
      const sink = new RecordingSink(2);
      const states: ReaderStatus[] = [];
      h.driver.on('state', (s: ReaderStatus) => states.push(s));
      try {
        const before = Date.now();
        const monoBefore = performance.now();
        await h.driver.start(sink);
        expect(h.driver.status().state).toBe('connected');
        const expected = await fed(h, contractLines(20));
        expect(expected).toHaveLength(20);
        await expect.poll(() => sink.reads.length, { timeout: 10_000 }).toBe(20);
        expect(sink.calls.map(textOf(h))).toEqual(expected);
        expect(sink.texts(textOf(h))).toEqual(expected);
        expect(sink.rejects).toEqual([]);
        for (const r of sink.calls) {
          expect(r.readerId).toBe(h.driver.id);
          expect(r.kind).toBe(h.kind ?? 'barcode');
          expect(r.at).toBeGreaterThanOrEqual(before);
          expect(r.at).toBeLessThanOrEqual(Date.now());
          expect(r.mono).toBeGreaterThanOrEqual(monoBefore);
        }
        const monos = sink.calls.map((r) => r.mono);
        expect([...monos].sort((a, b) => a - b)).toEqual(monos);
        expect(h.driver.status()).toMatchObject({
          id: h.driver.id,
          state: 'connected',
          reads: 20,
          rejects: 0,
          reconnects: 0,
          lastReadAt: sink.calls.at(-1)!.at,
        });
        expect(sink.maxConcurrent).toBeLessThanOrEqual(HANDOVER_WINDOW);
      } finally {
        await h.driver.stop();
        await h.teardown();
      }
      expect(h.driver.status().state).toBe('stopped');
      // Every state event carries the status of the moment; the last one is 'stopped'.
      expect(states.map((s) => s.state)).toContain('connected');
      expect(states.at(-1)).toMatchObject({ id: h.driver.id, state: 'stopped', reads: 20 });
      for (let i = 1; i < states.length; i++) expect(states[i]!.state).not.toBe(states[i - 1]!.state);
    });

    it('stops pulling reads while the sink holds a full handover window, and loses none', async () => {
      const count = HANDOVER_WINDOW * 3;
      const h = await setup(count);
      const sink = new RecordingSink();
      sink.gate();
      try {
        await h.driver.start(sink);
        const expected = await fed(h, contractLines(count, 'W'));
        await expect.poll(() => sink.concurrent, { timeout: 10_000 }).toBe(HANDOVER_WINDOW);
        expect(sink.calls).toHaveLength(HANDOVER_WINDOW);
        // One settles: exactly one more is taken.
        sink.release(1);
        await expect.poll(() => sink.calls.length, { timeout: 10_000 }).toBe(HANDOVER_WINDOW + 1);
        expect(sink.concurrent).toBe(HANDOVER_WINDOW);
        sink.release();
        await expect.poll(() => sink.reads.length, { timeout: 10_000 }).toBe(count);
        expect(sink.maxConcurrent).toBe(HANDOVER_WINDOW);
        expect(sink.texts(textOf(h))).toEqual(expected);
        expect(h.driver.status().reads).toBe(count);
      } finally {
        sink.release();
        await h.driver.stop();
        await h.teardown();
      }
    });

    it('stop() waits for a read the sink has not settled yet', async () => {
      const h = await setup(1);
      const sink = new RecordingSink();
      sink.gate();
      const order: string[] = [];
      try {
        await h.driver.start(sink);
        await fed(h, contractLines(1, 'S'));
        await expect.poll(() => sink.concurrent, { timeout: 10_000 }).toBe(1);
        const stopped = h.driver.stop().then(() => order.push('stop resolved'));
        setTimeout(() => {
          order.push('read released');
          sink.release();
        }, 30);
        await stopped;
        expect(order).toEqual(['read released', 'stop resolved']);
        expect(sink.reads).toHaveLength(1);
        expect(h.driver.status().state).toBe('stopped');
      } finally {
        sink.release();
        await h.driver.stop();
        await h.teardown();
      }
    });

    it('stop() resolves before start, twice, and concurrently; a stopped driver stays stopped', async () => {
      const h = await setup(1);
      const sink = new RecordingSink();
      try {
        await h.driver.stop();
        await Promise.all([h.driver.stop(), h.driver.stop()]);
        expect(h.driver.status()).toMatchObject({ id: h.driver.id, state: 'stopped', reads: 0 });
        await h.driver.start(sink);
        expect(h.driver.status().state).toBe('stopped');
      } finally {
        await h.driver.stop();
        await h.teardown();
      }
      expect(sink.calls).toEqual([]);
    });

    it('keeps reading after the sink rejects a read or throws', async () => {
      const h = await setup(4);
      const got: string[] = [];
      let calls = 0;
      const sink: ReadSink = {
        read(r) {
          calls++;
          if (calls === 1) return Promise.reject(new Error('outbox hiccup'));
          if (calls === 2) throw new Error('decoder bug');
          got.push(textOf(h)(r));
          return Promise.resolve();
        },
        reject() {},
      };
      try {
        await h.driver.start(sink);
        const expected = await fed(h, contractLines(4, 'T'));
        await expect.poll(() => got, { timeout: 10_000 }).toEqual(expected.slice(2));
        expect(h.driver.status()).toMatchObject({ state: 'connected', reads: 4 });
      } finally {
        await h.driver.stop();
        await h.teardown();
      }
    });
  });
}

/** A serial-line reader's config with every default filled, for tests. */
export const serialConfig = (path: string, extra: Partial<SerialLineConfig> = {}): SerialLineConfig => ({
  id: 'scanner-1',
  driver: 'serial-line',
  readPoint: 'rp',
  path,
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  delimiter: 'CR',
  silenceMs: 50,
  maxReadLength: 256,
  format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
  ...extra,
});
