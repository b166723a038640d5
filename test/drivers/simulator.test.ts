/** The simulated conveyor: deterministic, realistic, paced, bounded by its limit. */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorConfig } from '../../config/schema.js';
import { hasValidCheckDigit } from '../../daemon/identity/check-digit.js';
import { decodeRead } from '../../daemon/identity/decode.js';
import { silentLogger } from '../../daemon/log.js';
import type { RawRead } from '../../drivers/driver.js';
import { noise, prng, unit } from '../../drivers/simulated-units.js';
import { SimulatorDriver } from '../../drivers/simulator.js';
import { RecordingSink } from './driver.contract.js';
import { simulatorConfig } from './fixtures.js';

const running: SimulatorDriver[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

/** Runs a simulator until `count` reads arrived; returns them and the ms it took. */
async function run(extra: Partial<SimulatorConfig>, count: number) {
  const driver = new SimulatorDriver(simulatorConfig(extra), { log: silentLogger() });
  running.push(driver);
  const sink = new RecordingSink();
  const started = performance.now();
  await driver.start(sink);
  await expect.poll(() => sink.reads.length, { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(count);
  const ms = performance.now() - started;
  return { driver, sink, ms };
}

const fingerprint = (r: RawRead) => `${r.kind}|${r.data.toString('hex')}|${r.antenna}|${r.rssi}`;

describe('prng', () => {
  it('is deterministic per seed, in [0, 1), and differs between seeds', () => {
    const a = prng(1);
    const b = prng(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    expect(prng(2)()).not.toBe(prng(1)());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('simulated units', () => {
  it('prints GS1 DataMatrix labels with a valid GTIN, a GS after the variable-length serial', () => {
    expect(unit(0, false).data.toString('latin1')).toBe(']d201095060001000051727010010L000\x1d21SN00000001');
    expect(unit(1, false).data.toString('latin1')).toBe(']d2010950600010001221SN00000002\x1d1728021510L001');
    for (let n = 0; n < 300; n++) {
      const text = unit(n, false).data.toString('latin1');
      expect(text).toMatch(
        /^\]d201\d{14}(21SN[0-9A-Z]{8}\x1d17\d{6}10L\d{3}|17\d{6}10L\d{3}\x1d21SN[0-9A-Z]{8})$/,
      );
      expect(hasValidCheckDigit(text.slice(5, 19))).toBe(true);
      expect(unit(n, false).data).toEqual(unit(n, false).data);
    }
  });

  it('tags units with SGTIN-96 EPCs', () => {
    const tag = unit(41, true);
    expect(tag.kind).toBe('epc');
    expect(tag.data).toHaveLength(12);
    expect(tag.data[0]).toBe(0x30);
    const decoded = decodeRead(tag);
    expect(decoded.ok && decoded.identity.uri).toBe('urn:epc:id:sgtin:9506000.010041.42');
  });

  it('makes noise the decoder rejects: random bytes, a torn read, a wrong check digit', () => {
    const random = prng(3);
    for (let i = 0; i < 300; i++) {
      const data = noise(random, i);
      expect(decodeRead({ kind: 'barcode', data }).ok).toBe(false);
    }
  });
});

describe('SimulatorDriver', () => {
  it('sends the same reads for the same seed, whatever the pace; another seed differs', async () => {
    const conveyor = { units: 50, repeats: 2, epcShare: 0.4, garbageShare: 0.1, limit: 300 };
    const slow = await run({ ...conveyor, readsPerSecond: 3000 }, 300);
    const fast = await run({ ...conveyor, readsPerSecond: 50_000 }, 300);
    const other = await run({ ...conveyor, readsPerSecond: 50_000, seed: 8 }, 300);
    expect(fast.sink.reads.map(fingerprint)).toEqual(slow.sink.reads.map(fingerprint));
    expect(other.sink.reads.map(fingerprint)).not.toEqual(slow.sink.reads.map(fingerprint));
  });

  it('passes units one after another, each read `repeats` times, with antenna and RSSI on tags', async () => {
    const { sink } = await run({ units: 10, repeats: 3, epcShare: 0.5, limit: 60 }, 60);
    const reads = sink.reads;
    expect(reads).toHaveLength(60);
    const uris: string[] = [];
    for (const r of reads) {
      const decoded = decodeRead(r);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) uris.push(decoded.identity.uri);
      expect(r.readerId).toBe('sim-1');
      if (r.kind === 'epc') {
        expect([1, 2]).toContain(r.antenna);
        expect(r.rssi).toBeGreaterThanOrEqual(-70);
        expect(r.rssi).toBeLessThanOrEqual(-40);
      } else {
        expect(r.antenna).toBeUndefined();
      }
    }
    // 20 passes: units 0..9 twice, three identical reads each.
    for (let pass = 0; pass < 20; pass++) {
      const run3 = uris.slice(pass * 3, pass * 3 + 3);
      expect(new Set(run3).size).toBe(1);
      expect(run3[0]).toBe(uris[(pass % 10) * 3]);
    }
    expect(new Set(uris).size).toBe(10);
    const kinds = new Set(reads.map((r) => r.kind));
    expect(kinds).toEqual(new Set(['barcode', 'epc']));
  });

  it('at a door reads each tag on one antenna then the other, even units 1 to 2, odd ones 2 to 1', async () => {
    const { sink } = await run({ units: 6, repeats: 4, epcShare: 1, door: true, limit: 24 }, 24);
    const antennas = sink.reads.map((r) => r.antenna);
    // Unit 4 (every fifth) is read last by the antenna it left: a reflection.
    expect(antennas).toEqual([1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 1, 2, 2, 1, 1]);
    // An odd count of repeats reads the first antenna once more than the second.
    const odd = await run({ units: 2, repeats: 3, epcShare: 1, door: true, limit: 6 }, 6);
    expect(odd.sink.reads.map((r) => r.antenna)).toEqual([1, 1, 2, 2, 2, 1]);
    // The same units as on the conveyor: only the antennas differ.
    const conveyor = await run({ units: 6, repeats: 4, epcShare: 1, limit: 24 }, 24);
    expect(sink.reads.map((r) => r.data.toString('hex'))).toEqual(
      conveyor.sink.reads.map((r) => r.data.toString('hex')),
    );
    expect(conveyor.sink.reads.map((r) => r.antenna)).toEqual(
      [1, 2, 1, 2, 1, 2].flatMap((a) => [a, a, a, a]),
    );
  });

  it('makes about garbageShare of its reads noise', async () => {
    const { sink } = await run(
      { garbageShare: 0.2, epcShare: 0.3, readsPerSecond: 50_000, limit: 3000 },
      3000,
    );
    const bad = sink.reads.filter((r) => !decodeRead(r).ok).length;
    expect(bad / 3000).toBeGreaterThan(0.17);
    expect(bad / 3000).toBeLessThan(0.23);
  });

  it('stops at its limit and stays connected', async () => {
    const { driver, sink } = await run({ limit: 25 }, 25);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 25 });
    await driver.stop();
    expect(sink.calls).toHaveLength(25);
    expect(driver.status()).toMatchObject({ state: 'stopped', reads: 25 });
  });

  it('keeps its pace: 10,000 reads at 20,000/s take about half a second', async () => {
    const { driver, ms } = await run({ readsPerSecond: 20_000, units: 5000 }, 10_000);
    await driver.stop();
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2000);
  });

  it('keeps a slow pace too: 10 reads at 50/s take about 200 ms', async () => {
    const { sink, ms } = await run({ readsPerSecond: 50 }, 10);
    expect(ms).toBeGreaterThanOrEqual(180);
    expect(ms).toBeLessThan(1000);
    const monos = sink.reads.map((r) => r.mono);
    expect([...monos].sort((a, b) => a - b)).toEqual(monos);
  });
});
