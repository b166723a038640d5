/**
 * The R2000 driver against the simulated module over a real socat PTY: antennas in order, tag
 * reads with antenna / RSSI / PC, end of round, module errors, line noise, a vanishing device, a
 * module that hangs, and a clean stop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { R2000Config } from '../../../config/readers/r2000.js';
import type { ReaderStatus } from '../../../drivers/driver.js';
import { R2000Driver } from '../../../drivers/r2000/driver.js';
import { Command, encodeFrame } from '../../../drivers/r2000/frames.js';
import {
  DEFAULT_NOISE,
  type R2000Simulator,
  type R2000SimulatorOptions,
  startR2000Simulator,
} from '../../../drivers/r2000/simulator.js';
import { openPtyDevice } from '../../support/pty-device.js';
import { RecordingSink } from '../driver.contract.js';
import { epcHex, r2000Config, recordingLogger } from './fixtures.js';

let dir: string;
const cleanup: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-r2000-'));
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function rig(config: Partial<R2000Config> = {}, simulator: Partial<R2000SimulatorOptions> = {}) {
  const pty = await openPtyDevice(dir, 'r2000');
  cleanup.push(() => pty.close());
  const sim = await startR2000Simulator({ path: pty.devicePath, roundMs: 5, ...simulator });
  cleanup.push(() => sim.close());
  const { log, lines } = recordingLogger();
  const driver = new R2000Driver(r2000Config(pty.readerPath, config), { log });
  const states: string[] = [];
  // Each state as it happened, with the error it carried then (a retry may replace it at once).
  const changes: { state: string; lastError?: string }[] = [];
  driver.on('state', (s: ReaderStatus) => {
    states.push(s.state);
    changes.push({ state: s.state, ...(s.lastError !== undefined ? { lastError: s.lastError } : {}) });
  });
  const sink = new RecordingSink();
  await driver.start(sink);
  cleanup.push(() => driver.stop());
  return { pty, sim, driver, sink, states, changes, logs: lines };
}

const commands = (sim: R2000Simulator, command?: number) =>
  sim.commandsReceived.filter((c) => command === undefined || c.command === command);
const ofReads = (sink: RecordingSink) =>
  sink.reads.map((r) => ({
    epc: r.data.toString('hex').toUpperCase(),
    antenna: r.antenna,
    rssi: r.rssi,
    pc: r.pc,
  }));
const A = epcHex(0xa);
const B = epcHex(0xb);
const C = epcHex(0xc);
const D = epcHex(0xd);

describe('R2000 driver on a socat PTY', () => {
  it('asks the firmware version, sets the power, then cycles the antennas in order', async () => {
    const { sim, driver, sink, logs } = await rig({ antennas: [1, 3, 2], repeat: 3, outputPowerDbm: 26 });
    expect(driver.status().state).toBe('connected');
    await expect.poll(() => commands(sim).length).toBeGreaterThanOrEqual(14);
    expect(
      commands(sim)
        .slice(0, 14)
        .map((c) => [c.address, c.command, [...c.data]]),
    ).toEqual([
      [0xff, Command.firmwareVersion, []],
      [0xff, Command.setOutputPower, [26]],
      ...[0, 2, 1, 0, 2, 1].flatMap((port) => [
        [0xff, Command.setWorkAntenna, [port]],
        [0xff, Command.realTimeInventory, [3]],
      ]),
    ]);
    // An empty field answers "no tag": not an error.
    expect(sink.rejects).toEqual([]);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 0, rejects: 0 });
    expect(driver.status().lastError).toBeUndefined();
    expect(logs.find((l) => l.msg === 'reader connected')).toMatchObject({ firmware: '1.9', reconnects: 0 });
  });

  it('hands over each tag reply with antenna, RSSI and PC, and starts the next antenna after the round ends', async () => {
    const { sim, sink, driver } = await rig({ antennas: [1, 2] }, { roundMs: 40 });
    sim.addTag({ epc: A, seenBy: { 1: -58, 2: -71 }, reads: 2 });
    sim.addTag({ epc: B, seenBy: { 2: -64 }, pc: 0x3400, reads: 1 });
    await expect.poll(() => sink.reads.length).toBe(3);
    const first = sink.reads[0]!.antenna === 1 ? 0 : 1; // the tags may arrive mid-cycle
    const expected = [
      { epc: A, antenna: 1, rssi: -58, pc: 0x3000 },
      { epc: A, antenna: 2, rssi: -71, pc: 0x3000 },
      { epc: B, antenna: 2, rssi: -64, pc: 0x3400 },
    ];
    expect(ofReads(sink)).toEqual(first === 0 ? expected : [expected[1], expected[2], expected[0]]);
    expect(sink.reads.every((r) => r.kind === 'epc' && r.readerId === 'dock-door-1')).toBe(true);
    // Tags gone: rounds go on, nothing more is read, nothing is rejected.
    const seen = commands(sim, Command.realTimeInventory).length;
    await expect.poll(() => commands(sim, Command.realTimeInventory).length).toBeGreaterThanOrEqual(seen + 3);
    expect(sink.reads).toHaveLength(3);
    expect(driver.status()).toMatchObject({ reads: 3, rejects: 0, lastReadAt: sink.reads[2]!.at });
    // Every antenna switch came after the previous round's replies were in (rounds take 40 ms).
    const log = commands(sim);
    for (let i = 1; i < log.length; i++) {
      if (log[i]!.command === Command.setWorkAntenna && log[i - 1]!.command === Command.realTimeInventory) {
        expect(log[i]!.at - log[i - 1]!.at).toBeGreaterThanOrEqual(39);
      }
    }
  });

  it('reports a missing antenna once per change, keeps reading the others, and notes the recovery', async () => {
    const { sim, sink, driver, logs } = await rig({ antennas: [1, 2] }, { missingAntennas: [2] });
    sim.addTag({ epc: A, seenBy: { 1: -60, 2: -60 } });
    await expect.poll(() => commands(sim, Command.realTimeInventory).length).toBeGreaterThanOrEqual(8);
    const message = 'antenna 2: antenna missing (nothing connected to the port) (0x22)';
    expect(sink.rejects.map((r) => [r.readerId, r.code, r.message, r.data])).toEqual([
      [
        'dock-door-1',
        'antenna-missing',
        message,
        encodeFrame({ address: 1, command: 0x89, data: Buffer.from([0x22]) }),
      ],
    ]);
    expect(driver.status()).toMatchObject({ state: 'connected', lastError: message, rejects: 1 });
    expect(logs.filter((l) => l.msg === message)).toHaveLength(1);
    expect(sink.reads.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sink.reads.map((r) => r.antenna))).toEqual(new Set([1]));

    sim.setMissingAntennas([]);
    await expect.poll(() => driver.status().lastError).toBeUndefined();
    await expect.poll(() => sink.reads.some((r) => r.antenna === 2)).toBe(true);
    expect(logs.filter((l) => l.msg === 'antenna 2: the module reports no error any more')).toHaveLength(1);

    sim.setMissingAntennas([2]);
    await expect.poll(() => sink.rejects.length).toBe(2);
    expect(driver.status().lastError).toBe(message);
  });

  it('reports a port the module refuses, and keeps inventorying the others', async () => {
    const { sim, sink, driver } = await rig({ antennas: [1, 6] }, { ports: 4 });
    sim.addTag({ epc: A, seenBy: { 1: -60 } });
    await expect.poll(() => commands(sim, Command.setWorkAntenna).length).toBeGreaterThanOrEqual(6);
    expect(sink.rejects.map((r) => [r.code, r.message, r.data])).toEqual([
      [
        'parameter-invalid',
        'antenna 6: invalid parameter (0x41)',
        encodeFrame({ address: 1, command: Command.setWorkAntenna, data: Buffer.from([0x41]) }),
      ],
    ]);
    // Port 6 is never inventoried; port 1 is, and its tag is read.
    const log = commands(sim);
    for (let i = 1; i < log.length; i++) {
      if (log[i]!.command === Command.realTimeInventory) expect([...log[i - 1]!.data]).toEqual([0]);
    }
    expect(sink.reads.length).toBeGreaterThan(0);
    expect(driver.status()).toMatchObject({
      state: 'connected',
      lastError: 'antenna 6: invalid parameter (0x41)',
    });
  });

  it('rejects line noise and a frame with a bad checksum, and loses none of the reads that follow', async () => {
    const { sim, sink, driver } = await rig();
    await sim.injectGarbage();
    sim.addTag({ epc: A, seenBy: { 1: -50 }, reads: 1 });
    sim.addTag({ epc: B, seenBy: { 1: -51 }, reads: 1 });
    await expect.poll(() => sink.reads.length).toBe(2);
    expect(sink.rejects.map((r) => [r.code, r.message, r.data])).toEqual([
      ['garbage', '9 bytes discarded: noise between frames', DEFAULT_NOISE],
    ]);

    sim.corruptNextTagReplies(1);
    sim.addTag({ epc: C, seenBy: { 1: -52 }, reads: 1 });
    sim.addTag({ epc: D, seenBy: { 1: -53 }, reads: 1 });
    await expect.poll(() => sink.reads.length).toBe(3);
    const bad = sink.rejects[1]!;
    expect([bad.code, bad.message, bad.data.length]).toEqual([
      'bad-checksum',
      '21 bytes discarded: a frame whose checksum does not match',
      21,
    ]);
    expect(bad.data.subarray(0, 4)).toEqual(Buffer.from([0xa0, 0x13, 0x01, 0x89]));
    expect(bad.data.subarray(7, 19).toString('hex').toUpperCase()).toBe(C);
    expect(ofReads(sink).map((r) => r.epc)).toEqual([A, B, D]);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 3, rejects: 2, reconnects: 0 });
  });

  it('goes disconnected when the device vanishes, and reads again when it is back', async () => {
    const { pty, sim, sink, driver, states, changes } = await rig();
    sim.addTag({ epc: A, seenBy: { 1: -60 } });
    await expect.poll(() => sink.reads.length).toBeGreaterThan(0);
    await pty.kill();
    // Either the port's I/O error or, failing that, the 2 s round timeout says the module is gone
    // (a first retry may already have replaced that error with its own `cannot open`).
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('disconnected');
    expect(changes.find((c) => c.state === 'disconnected')?.lastError).toMatch(/^(device|module)/);
    await pty.restart();
    await sim.reopen();
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    const before = sink.reads.length;
    await expect.poll(() => sink.reads.length).toBeGreaterThan(before);
    expect(driver.status()).toMatchObject({ reconnects: 1, rejects: 0 });
    expect(driver.status().lastError).toBeUndefined();
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
  });

  it('takes a module that stops answering for a lost one, and reconnects once it answers again', async () => {
    const { sim, driver, sink, states, changes } = await rig({ roundTimeoutMs: 200 });
    sim.addTag({ epc: A, seenBy: { 1: -60 } });
    await expect.poll(() => sink.reads.length).toBeGreaterThan(0);
    sim.mute(true);
    await expect.poll(() => driver.status().state).toBe('disconnected');
    expect(changes.find((c) => c.state === 'disconnected')?.lastError).toMatch(
      /^module stopped answering: no reply to command 0x(74|89) within 200 ms$/,
    );
    // Retries open the port but find no module behind it.
    await expect
      .poll(() => driver.status().lastError)
      .toBe('module does not answer: no reply to command 0x72 within 200 ms');
    expect(driver.status().state).toBe('disconnected');
    sim.mute(false);
    await expect.poll(() => driver.status().state, { timeout: 5000 }).toBe('connected');
    expect(driver.status().reconnects).toBe(1);
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
  });

  it('stops mid-round without waiting for the round, and lets go of the port', async () => {
    const { pty, sim, driver, states } = await rig({ roundTimeoutMs: 10_000 }, { roundMs: 5000 });
    await expect.poll(() => commands(sim, Command.realTimeInventory).length).toBe(1);
    const t0 = performance.now();
    await driver.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(driver.status()).toMatchObject({ state: 'stopped', reads: 0, discardedOnStop: 0 });
    expect(states.at(-1)).toBe('stopped');
    // The exclusive lock is released: another process could open the reader now.
    const port = new SerialPort({ path: pty.readerPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => port.close(() => resolve()));
    await driver.start(new RecordingSink());
    expect(driver.status().state).toBe('stopped');
  });
});
