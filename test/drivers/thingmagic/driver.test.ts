/**
 * The ThingMagic driver against the module simulator over a real socat PTY: the start-up sequence,
 * tag reads, keep-alives, status errors, damaged input, and a clean stop.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ThingMagicConfig } from '../../../config/readers/thingmagic.js';
import type { ReaderStatus } from '../../../drivers/driver.js';
import { ThingMagicDriver } from '../../../drivers/thingmagic/driver.js';
import { commands, encodeResponse, STREAM_METADATA } from '../../../drivers/thingmagic/frames.js';
import { encodeTagRecord } from '../../../drivers/thingmagic/tag-record.js';
import { RecordingSink } from '../driver.contract.js';
import { type Bench, bench, thingMagicConfig } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const A = '300833b2ddd9014000000001';
const B = 'e2801160600002054cc4e2a1';
const hexOf = (sink: RecordingSink) => sink.texts((r) => r.data.toString('hex'));

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

async function started(options: Parameters<typeof bench>[0] = {}, extra: Partial<ThingMagicConfig> = {}) {
  const b: Bench = await bench(options);
  cleanup.push(() => b.close());
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const driver = new ThingMagicDriver(thingMagicConfig(b.pty.readerPath, extra), { log });
  const states: string[] = [];
  driver.on('state', (s: ReaderStatus) => states.push(s.state));
  const sink = new RecordingSink();
  await driver.start(sink);
  cleanup.push(() => driver.stop());
  return { b, sim: b.sim, driver, sink, states, lines };
}

describe('ThingMagic driver', () => {
  it('runs the start-up sequence in order, each command as the module expects it', async () => {
    const { sim, driver, lines } = await started({ model: 0x18 });
    expect(driver.status()).toMatchObject({
      id: 'rfid-1',
      driver: 'thingmagic',
      state: 'connected',
      reads: 0,
    });
    expect(sim.commandsReceived.map((c) => c.raw)).toEqual([
      commands.version(),
      commands.setRegion(0x08), // EU3
      commands.setGen2(),
      commands.setAntennas([1, 2]),
      commands.setReadPower(2500),
      commands.readFilterOff(),
      commands.startReading(STREAM_METADATA),
    ]);
    expect(sim.isReading()).toBe(true);
    expect(lines.find((l) => l.msg === 'module answered')).toMatchObject({
      model: '0x18 (M6e)',
      firmware: '01.03.01.47',
    });
    expect(lines.filter((l) => l.msg === 'reader connected')).toHaveLength(1);
  });

  it('hands over each tag record as an epc read with antenna, RSSI and PC', async () => {
    const { sim, driver, sink } = await started({
      tags: [
        {
          epc: A,
          seenOn: [
            { antenna: 1, rssi: -48 },
            { antenna: 2, rssi: -63 },
          ],
        },
      ],
    });
    await expect.poll(() => sink.reads.length).toBeGreaterThanOrEqual(4);
    sim.removeTag(A);
    await sim.report([{ epc: B, antenna: 2, rssi: -71, pc: 0x3400 }]);
    await expect.poll(() => hexOf(sink).at(-1)).toBe(B);
    const a = sink.reads.filter((r) => r.data.toString('hex') === A);
    for (let i = 0; i + 1 < a.length; i += 2) {
      expect([a[i]!.antenna, a[i]!.rssi, a[i + 1]!.antenna, a[i + 1]!.rssi]).toEqual([1, -48, 2, -63]);
    }
    for (const r of a) expect([r.kind, r.pc, r.readerId]).toEqual(['epc', 0x3000, 'rfid-1']);
    expect(sink.reads.at(-1)).toMatchObject({ kind: 'epc', antenna: 2, rssi: -71, pc: 0x3400 });
    expect(sink.rejects).toEqual([]);
    expect(driver.status()).toMatchObject({
      reads: sink.reads.length,
      rejects: 0,
      lastReadAt: sink.reads.at(-1)!.at,
    });
  });

  it('keep-alives keep an empty field connected well past the silence timeout, with no read or reject', async () => {
    const { sim, driver, sink, states } = await started();
    // 400 ms of silence would be a disconnect; 20 keep-alives at 50 ms span 1 s.
    await expect.poll(() => sim.keepAlives(), { timeout: 5000 }).toBeGreaterThanOrEqual(20);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 0, rejects: 0, reconnects: 0 });
    expect(states).toEqual(['connecting', 'connected']);
    expect(sink.calls).toEqual([]);
  });

  it('reports module status errors: a reject each, a log line per change, lastError', async () => {
    const { sim, driver, sink, lines } = await started();
    // One write: a keep-alive (every 50 ms) between the two 0x0504 would make the second news again.
    await sim.send(Buffer.concat([0x0504, 0x0504, 0x0505, 0x0123].map((s) => encodeResponse(0x22, s))));
    await expect.poll(() => sink.rejects.length).toBe(4);
    expect(sink.rejects.map((r) => [r.code, r.message, r.data.toString('hex'), r.readerId])).toEqual([
      [
        'temperature-limit',
        'module reported 0x0504 (temperature limit exceeded)',
        encodeResponse(0x22, 0x0504).toString('hex'),
        'rfid-1',
      ],
      [
        'temperature-limit',
        'module reported 0x0504 (temperature limit exceeded)',
        encodeResponse(0x22, 0x0504).toString('hex'),
        'rfid-1',
      ],
      [
        'high-return-loss',
        'module reported 0x0505 (high return loss (check the antenna and its cable))',
        encodeResponse(0x22, 0x0505).toString('hex'),
        'rfid-1',
      ],
      ['module-status', 'module reported 0x0123', encodeResponse(0x22, 0x0123).toString('hex'), 'rfid-1'],
    ]);
    expect(driver.status()).toMatchObject({
      state: 'connected',
      rejects: 4,
      lastError: 'module reported 0x0123',
    });
    const warned = () => lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warned()).toEqual([
      'module reported 0x0504 (temperature limit exceeded)',
      'module reported 0x0505 (high return loss (check the antenna and its cable))',
      'module reported 0x0123',
    ]);
    // The next keep-alive means the module is well again; the same error later is news again.
    await expect.poll(() => lines.some((l) => l.msg === 'module status back to normal')).toBe(true);
    await sim.sendStatus(0x0504);
    await expect.poll(() => warned().length).toBe(4);
  });

  it('rejects noise, bad CRCs, misheard tags and cut records, and loses none of the reads after them', async () => {
    const { sim, driver, sink } = await started();
    const garbage = Buffer.from('0013374255aa', 'hex');
    const badCrc = encodeResponse(0x22, 0x0400);
    badCrc[badCrc.length - 1]! ^= 0x5a;
    const misheard = encodeResponse(
      0x22,
      0,
      encodeTagRecord(0x0006, { epc: Buffer.from(A, 'hex'), tagCrc: 0x1234 }),
    );
    const cut = encodeResponse(
      0x22,
      0,
      encodeTagRecord(0x0006, { epc: Buffer.from(A, 'hex') }).subarray(0, 12),
    );
    for (const bytes of [garbage, badCrc, misheard, cut]) await sim.send(bytes);
    await sim.report([{ epc: A }, { epc: B }]);
    await expect.poll(() => hexOf(sink)).toEqual([A, B]);
    expect(sink.rejects.map((r) => [r.code, r.data.toString('hex')])).toEqual([
      ['garbage', garbage.toString('hex')],
      ['bad-crc', badCrc.toString('hex')],
      ['tag-crc', misheard.toString('hex')],
      ['truncated', cut.toString('hex')],
    ]);
    expect(sink.rejects.map((r) => r.message)).toEqual([
      'bytes outside any frame were discarded',
      'a frame failed its CRC check and was discarded',
      expect.stringMatching(/^tag CRC 0x1234 does not match its PC and EPC \(0x[0-9a-f]{4}\)$/),
      'truncated tag record: record ends at byte 12, needed 26',
    ]);
    expect(driver.status()).toMatchObject({ state: 'connected', reads: 2, rejects: 4 });
  });

  it('stop() sends the stop command, waits for its answer, and closes', async () => {
    const { sim, driver, sink, states, lines } = await started({ tags: [{ epc: A }] });
    await expect.poll(() => sink.reads.length).toBeGreaterThan(0);
    await driver.stop();
    expect(sim.commandsReceived.at(-1)!.raw).toEqual(commands.stopReading());
    expect(sim.isReading()).toBe(false);
    expect(driver.status()).toMatchObject({ state: 'stopped', discardedOnStop: 0 });
    expect(states).toEqual(['connecting', 'connected', 'stopped']);
    expect(lines.some((l) => l.msg === 'module did not confirm the stop of reading')).toBe(false);
  });

  it('stop() reads through a backlog held back by a slow sink to the stop answer, and loses no read', async () => {
    const { sim, driver, sink, lines } = await started();
    sink.gate();
    const epcs = Array.from({ length: 200 }, (_, i) => `30000000000000000000${(0x1000 + i).toString(16)}`);
    await sim.report(epcs.map((epc) => ({ epc })));
    await expect.poll(() => sink.concurrent).toBe(64);
    const stopped = driver.stop();
    await expect.poll(() => sim.isReading()).toBe(false);
    // Not synchronisation but the window under test: held past commandTimeoutMs (300 ms), the sink
    // must not keep the stop answer unread (the port is not paused while stopping).
    await new Promise((resolve) => setTimeout(resolve, 600));
    sink.release();
    await stopped;
    expect(hexOf(sink)).toEqual(epcs);
    expect(driver.status()).toMatchObject({ state: 'stopped', reads: 200 });
    expect(lines.some((l) => l.msg === 'module did not confirm the stop of reading')).toBe(false);
  });

  it('stop() closes anyway when the module does not answer the stop command', async () => {
    const { sim, driver, lines } = await started();
    sim.answer(0x2f, 'silent');
    await driver.stop();
    expect(sim.commandsReceived.at(-1)!.raw).toEqual(commands.stopReading());
    expect(driver.status().state).toBe('stopped');
    expect(lines.find((l) => l.msg === 'module did not confirm the stop of reading')).toMatchObject({
      reason: 'no answer to stop reading within 300 ms',
    });
  });
});
