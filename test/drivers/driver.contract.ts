/**
 * The driver contract (drivers/driver.ts), run against every driver: give it a setup that makes a
 * started-able driver and a way to make its device produce reads.
 */
import { describe, expect, it } from 'vitest';
import type { SerialLineConfig } from '../../config/schema.js';
import type { Driver, RawRead, RawReject, ReaderStatus, ReadSink } from '../../drivers/driver.js';
import { HANDOVER_WINDOW } from '../../drivers/handover.js';

export interface DriverHarness {
  driver: Driver;
  /** Makes the device produce the harness's reads; returns their texts, in order. */
  feed(): Promise<string[]>;
  teardown(): Promise<void>;
}

/** Builds a driver whose device will produce `count` barcode reads when fed. */
export type DriverSetup = (count: number) => Promise<DriverHarness>;

export class RecordingSink implements ReadSink {
  readonly reads: RawRead[] = [];
  readonly rejects: RawReject[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  constructor(private readonly delayMs = 0) {}
  async read(read: RawRead): Promise<void> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.reads.push(read);
    this.concurrent--;
  }
  reject(reject: RawReject): void {
    this.rejects.push(reject);
  }
  texts(): string[] {
    return this.reads.map((r) => r.data.toString('latin1'));
  }
}

export function driverContract(name: string, setup: DriverSetup) {
  describe(`Driver contract: ${name}`, () => {
    it('hands over reads in order, within the handover window, stamped with reader id and times', async () => {
      const h = await setup(20);
      const sink = new RecordingSink(2);
      const states: string[] = [];
      h.driver.on('state', (s: ReaderStatus) => states.push(s.state));
      try {
        const before = Date.now();
        await h.driver.start(sink);
        const lines = await h.feed();
        expect(lines).toHaveLength(20);
        await expect.poll(() => sink.reads.length, { timeout: 10_000 }).toBe(20);
        expect(sink.texts()).toEqual(lines);
        expect(sink.maxConcurrent).toBeGreaterThanOrEqual(1);
        expect(sink.maxConcurrent).toBeLessThanOrEqual(HANDOVER_WINDOW);
        for (const r of sink.reads) {
          expect(r.readerId).toBe(h.driver.id);
          expect(r.kind).toBe('barcode');
          expect(r.at).toBeGreaterThanOrEqual(before);
          expect(r.mono).toBeGreaterThan(0);
        }
        const monos = sink.reads.map((r) => r.mono);
        expect([...monos].sort((a, b) => a - b)).toEqual(monos);
        const st = h.driver.status();
        expect(st).toMatchObject({ id: h.driver.id, state: 'connected', reads: 20 });
        expect(st.lastReadAt).toBe(sink.reads.at(-1)!.at);
        expect(states).toContain('connected');
      } finally {
        await h.driver.stop();
        await h.teardown();
      }
      expect(h.driver.status().state).toBe('stopped');
      expect(states.at(-1)).toBe('stopped');
    });

    it('stop() works before start and twice', async () => {
      const h = await setup(1);
      await h.driver.stop();
      await h.driver.stop();
      expect(h.driver.status().reads).toBe(0);
      await h.teardown();
    });

    it('keeps reading after a sink that throws', async () => {
      const h = await setup(2);
      let calls = 0;
      const got: string[] = [];
      const sink: ReadSink = {
        async read(r) {
          calls++;
          if (calls === 1) throw new Error('outbox hiccup');
          got.push(r.data.toString('latin1'));
        },
        reject() {},
      };
      try {
        await h.driver.start(sink);
        const lines = await h.feed();
        await expect.poll(() => got, { timeout: 10_000 }).toEqual(lines.slice(1));
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
  format: { data: 'aim', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
  ...extra,
});
