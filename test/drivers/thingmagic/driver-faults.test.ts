/**
 * The ThingMagic driver when things go wrong, against the simulator over a real socat PTY: the
 * device vanishing and coming back, a module gone silent, a start-up command refused or left
 * unanswered, a module still reading from an earlier session, and a device absent at start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ThingMagicConfig } from '../../../config/readers/thingmagic.js';
import { silentLogger } from '../../../daemon/log.js';
import type { ReaderStatus } from '../../../drivers/driver.js';
import { ThingMagicDriver } from '../../../drivers/thingmagic/driver.js';
import { startThingMagicSimulator } from '../../../drivers/thingmagic/simulator.js';
import { openPtyDevice } from '../../support/pty-device.js';
import { RecordingSink } from '../driver.contract.js';
import { bench, thingMagicConfig } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const A = '300833b2ddd9014000000001';
const B = 'e2801160600002054cc4e2a1';
const opcodes = (sim: { commandsReceived: readonly { opcode: number }[] }) =>
  sim.commandsReceived.map((c) => c.opcode);
const SEQUENCE = [0x03, 0x97, 0x93, 0x91, 0x92, 0x9a, 0x2f];

async function started(options: Parameters<typeof bench>[0] = {}, extra: Partial<ThingMagicConfig> = {}) {
  const b = await bench(options);
  cleanup.push(() => b.close());
  const driver = new ThingMagicDriver(thingMagicConfig(b.pty.readerPath, extra), { log: silentLogger() });
  const states: string[] = [];
  driver.on('state', (s: ReaderStatus) => states.push(s.state));
  const sink = new RecordingSink();
  await driver.start(sink);
  cleanup.push(() => driver.stop());
  return { b, sim: b.sim, driver, sink, states };
}

describe('ThingMagic driver faults', () => {
  it('survives the device vanishing and reconnects, with the start-up sequence again, when it is back', async () => {
    const { b, sim, driver, sink, states } = await started();
    await sim.report([{ epc: A }]);
    await expect.poll(() => sink.reads.length).toBe(1);
    await b.pty.kill();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('disconnected');
    expect(driver.status().lastError).toMatch(/^(device|cannot open|module silent)/);
    await b.pty.restart();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    expect(sim.opens()).toBe(2);
    expect(opcodes(sim)).toEqual([...SEQUENCE, ...SEQUENCE]);
    await sim.report([{ epc: B }]);
    await expect.poll(() => sink.texts((r) => r.data.toString('hex'))).toEqual([A, B]);
    expect(driver.status()).toMatchObject({ reconnects: 1, reads: 2 });
    expect(driver.status().lastError).toBeUndefined();
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
  });

  it('treats a module silent past silenceTimeoutMs as lost; stops its old session and starts again', async () => {
    const { sim, driver, sink, states } = await started({ tags: [{ epc: A }] });
    await expect.poll(() => sink.reads.length).toBeGreaterThan(0);
    // Counted from before the silence: on a busy machine the driver's first attempt to start
    // again can come before this test sees it disconnected.
    const before = sim.commandsReceived.length;
    sim.setSilent(true);
    await expect.poll(() => driver.status().state).toBe('disconnected');
    expect(driver.status().lastError).toBe('module silent for 400 ms (no tag, no keep-alive)');
    sim.setSilent(false);
    // Still reading from the first session, the module ignores the version command until stopped.
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    const after = opcodes(sim).slice(before);
    expect(after.length).toBeGreaterThan(SEQUENCE.length + 1);
    expect(after.slice(-SEQUENCE.length - 1)).toEqual([0x2f, ...SEQUENCE]);
    expect(after.slice(0, -SEQUENCE.length - 1).every((op) => op === 0x03)).toBe(true);
    expect(sim.commandsReceived.at(-SEQUENCE.length - 1)!.data).toEqual(Buffer.from([0x00, 0x00, 0x02]));
    const reads = sink.reads.length;
    await expect.poll(() => sink.reads.length).toBeGreaterThan(reads);
    expect(driver.status().reconnects).toBe(1);
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
  });

  it('takes a stall of its own process past silenceTimeoutMs for what it is, not a silent module', async () => {
    // Budgets no loaded machine exceeds unless the process itself stalls: only the stall is tested.
    const extra = { commandTimeoutMs: 2000, silenceTimeoutMs: 1000 };
    const { sim, driver, sink, states } = await started({ tags: [{ epc: A }] }, extra);
    await expect.poll(() => sink.reads.length).toBeGreaterThan(0);
    const keepAlivesBefore = sim.keepAlives();
    // The event loop held up for 2.5 silence timeouts, as on a loaded machine or in a long GC
    // pause: the timers that fell due run before the module's bytes that came meanwhile are read.
    const end = performance.now() + 2500;
    while (performance.now() < end) {}
    const reads = sink.reads.length;
    await expect.poll(() => sink.reads.length).toBeGreaterThan(reads + 2);
    expect(states).toEqual(['connecting', 'connected']);
    expect(driver.status()).toMatchObject({ state: 'connected', reconnects: 0 });
    expect(driver.status().lastError).toBeUndefined();
    expect(sim.keepAlives()).toBe(keepAlivesBefore); // the tag stayed in the field throughout
  });

  it('a start-up command the module refuses is a failed connect; it retries with backoff until accepted', async () => {
    const b = await bench();
    cleanup.push(() => b.close());
    b.sim.answer(0x97, 0x010b);
    const driver = new ThingMagicDriver(thingMagicConfig(b.pty.readerPath, { region: 'NA' }), {
      log: silentLogger(),
    });
    const states: string[] = [];
    driver.on('state', (s: ReaderStatus) => states.push(s.state));
    await driver.start(new RecordingSink());
    cleanup.push(() => driver.stop());
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'start-up failed: set region: the module answered 0x010B (invalid region)',
    });
    expect(opcodes(b.sim)).toEqual([0x03, 0x97]);
    expect(b.sim.commandsReceived[1]!.data).toEqual(Buffer.from([0x01]));
    await expect.poll(() => opcodes(b.sim).filter((op) => op === 0x97).length).toBeGreaterThanOrEqual(3);
    b.sim.answer(0x97, 'normal');
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    expect(states).toEqual(['connecting', 'disconnected', 'connected']);
    expect(driver.status()).toMatchObject({ reconnects: 0 });
  });

  it('a start-up command left unanswered times out into a failed connect', async () => {
    const b = await bench();
    cleanup.push(() => b.close());
    b.sim.answer(0x92, 'silent');
    const driver = new ThingMagicDriver(thingMagicConfig(b.pty.readerPath), { log: silentLogger() });
    await driver.start(new RecordingSink());
    cleanup.push(() => driver.stop());
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: 'start-up failed: no answer to set read power within 300 ms',
    });
    b.sim.answer(0x92, 'normal');
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
  });

  it('stops a module left reading by an earlier session before configuring it', async () => {
    const { sim, driver, sink } = await started({ reading: true, tags: [{ epc: A }] });
    expect(driver.status().state).toBe('connected');
    expect(opcodes(sim)).toEqual([0x03, 0x2f, ...SEQUENCE]);
    expect(sim.commandsReceived[1]!.data).toEqual(Buffer.from([0x00, 0x00, 0x02]));
    await expect.poll(() => sink.reads.length).toBeGreaterThan(0);
    expect(sink.rejects).toEqual([]);
  });

  it('stop() during a start-up command gives up at once and leaves nothing open', async () => {
    const b = await bench();
    cleanup.push(() => b.close());
    b.sim.answer(0x03, 'silent');
    const driver = new ThingMagicDriver(thingMagicConfig(b.pty.readerPath, { commandTimeoutMs: 10_000 }), {
      log: silentLogger(),
    });
    const starting = driver.start(new RecordingSink());
    await expect.poll(() => opcodes(b.sim)).toEqual([0x03]);
    const t0 = performance.now();
    await driver.stop();
    await starting;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(driver.status().state).toBe('stopped');
    expect(opcodes(b.sim)).toEqual([0x03]);
  });

  it('starts without the device, reports it disconnected, and connects when it appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-tm-late-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const driver = new ThingMagicDriver(thingMagicConfig(join(dir, 'late')), { log: silentLogger() });
    await driver.start(new RecordingSink());
    cleanup.push(() => driver.stop());
    expect(driver.status()).toMatchObject({
      state: 'disconnected',
      lastError: expect.stringMatching(/^cannot open .*late/),
    });
    const back = await openPtyDevice(dir, 'late');
    cleanup.push(() => back.close());
    const sim = await startThingMagicSimulator({ path: back.devicePath, cycleMs: 50 });
    cleanup.push(() => sim.close());
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    expect(driver.status().reconnects).toBe(0);
  });
});
