/**
 * The module simulator, spoken to byte by byte over a socat PTY (no driver in between): its
 * answers, its stream of tag records and keep-alives, scripted arrivals and departures, faults.
 */
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  commands,
  encodeCommand,
  encodeResponse,
  type Frame,
  FrameParser,
  type FrameRejectCode,
} from '../../../drivers/thingmagic/frames.js';
import { Metadata, parseStreamRecord, type TagRecord } from '../../../drivers/thingmagic/tag-record.js';
import { type Bench, bench } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const A = '300833b2ddd9014000000001';
const B = 'e2801160600002054cc4e2a1';
const KEEP_ALIVE = encodeResponse(0x22, 0x0400);

/** The reader end, driven by hand: frames in, commands out. */
async function wire(b: Bench) {
  const port = new SerialPort({ path: b.pty.readerPath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  cleanup.push(() => new Promise((resolve) => port.close(() => resolve(undefined))));
  const frames: Frame[] = [];
  const rejects: FrameRejectCode[] = [];
  const parser = new FrameParser('response', {
    frame: (f) => frames.push(f),
    reject: (code) => rejects.push(code),
  });
  port.on('data', (chunk: Buffer) => parser.push(chunk));
  return {
    frames,
    rejects,
    send: (bytes: Buffer) => void port.write(bytes),
    /** Sends a command and returns the first frame of its opcode that follows. */
    async ask(bytes: Buffer): Promise<Frame> {
      const from = frames.length;
      port.write(bytes);
      const mine = () => frames.slice(from).find((f) => f.opcode === bytes[2] && f.opcode !== 0x22);
      await expect.poll(() => mine() !== undefined).toBe(true);
      return mine()!;
    },
    tags: (from = 0): TagRecord[] =>
      frames.slice(from).flatMap((f) => {
        const r = f.opcode === 0x22 && f.status === 0 ? parseStreamRecord(f.data) : undefined;
        return r?.type === 'tag' ? [r.tag] : [];
      }),
  };
}

async function started(options = {}) {
  const b = await bench(options);
  cleanup.push(() => b.close());
  return { b, w: await wire(b) };
}

describe('ThingMagic module simulator', () => {
  it('answers the start-up commands, refuses unknown ones, and records every command in order', async () => {
    const { b, w } = await started();
    const version = await w.ask(commands.version());
    expect(version.raw).toEqual(
      encodeResponse(0x03, 0, Buffer.from('1412080030000002201503100103014700000010', 'hex')),
    );
    const setters = [
      commands.setRegion(8),
      commands.setGen2(),
      commands.setAntennas([1, 2]),
      commands.setReadPower(2500),
      commands.readFilterOff(),
    ];
    for (const bytes of setters) expect((await w.ask(bytes)).raw).toEqual(encodeResponse(bytes[2]!, 0));
    expect((await w.ask(encodeCommand(0x42))).raw).toEqual(encodeResponse(0x42, 0x0101));
    expect(b.sim.commandsReceived.map((c) => c.opcode)).toEqual([0x03, 0x97, 0x93, 0x91, 0x92, 0x9a, 0x42]);
    expect(b.sim.commandsReceived[3]!.data).toEqual(Buffer.from([0x02, 1, 1, 2, 2]));
    expect(b.sim.isReading()).toBe(false);
  });

  it('streams keep-alives while the field is empty, and nothing after the stop answer', async () => {
    const { b, w } = await started();
    expect((await w.ask(commands.startReading())).raw).toEqual(
      encodeResponse(0x2f, 0, [0x01, 0x22, 0x00, 0x00]),
    );
    await expect.poll(() => b.sim.keepAlives()).toBeGreaterThanOrEqual(3);
    const stop = await w.ask(commands.stopReading());
    expect(stop.raw).toEqual(encodeResponse(0x2f, 0, [0x02]));
    const afterStop = w.frames.indexOf(stop);
    // The next frame after the stop answer is the answer to the next command: no record, no keep-alive.
    await w.ask(commands.version());
    expect(w.frames.slice(afterStop + 1).map((f) => f.opcode)).toEqual([0x03]);
    expect(
      w.frames
        .slice(0, afterStop)
        .filter((f) => f.opcode === 0x22)
        .map((f) => f.raw),
    ).toEqual(Array.from({ length: b.sim.keepAlives() }, () => KEEP_ALIVE));
    expect(w.rejects).toEqual([]);
  });

  it('reports each tag in the field per antenna every cycle, and honours its arrival and departure', async () => {
    const { w } = await started({
      tags: [
        {
          epc: A,
          seenOn: [
            { antenna: 1, rssi: -48 },
            { antenna: 2, rssi: -63 },
          ],
        },
        { epc: B, arriveMs: 150, leaveMs: 350 },
      ],
    });
    await w.ask(commands.startReading());
    // Cycles run on a timer that drifts on a loaded machine: wait for eight of them, not for 400 ms.
    const ofA = () => w.tags().filter((t) => t.epc.toString('hex') === A);
    await expect.poll(() => ofA().length).toBeGreaterThanOrEqual(16);
    await expect.poll(() => w.tags().filter((t) => t.timestampMs! >= 450).length).toBeGreaterThan(0);
    const tags = w.tags();
    const a = ofA();
    const bs = tags.filter((t) => t.epc.toString('hex') === B);
    // Per cycle: antenna 1 then antenna 2, each with its own RSSI.
    for (let i = 0; i + 1 < a.length; i += 2) {
      expect([a[i]!.antenna, a[i]!.rssi, a[i + 1]!.antenna, a[i + 1]!.rssi]).toEqual([
        { tx: 1, rx: 1 },
        -48,
        { tx: 2, rx: 2 },
        -63,
      ]);
    }
    expect(bs.length).toBeGreaterThanOrEqual(2);
    for (const t of bs) {
      expect(t.timestampMs).toBeGreaterThanOrEqual(150);
      expect(t.timestampMs).toBeLessThan(350);
      expect([t.antenna, t.rssi, t.pc, t.metadataFlags]).toEqual([{ tx: 1, rx: 1 }, -55, 0x3000, 0x01ff]);
    }
  });

  it("stamps each record within its tag's time in the field, never rounded up to its departure", async () => {
    // Cycles every millisecond against 20 windows of 5 ms: some cycle lands in the last half
    // millisecond of nearly every window. A tag that never leaves tells how far reading has got.
    const hex = (n: number) => `3000000000000000000000${n.toString(16)}`;
    const windows = Array.from({ length: 20 }, (_, i) => ({
      epc: hex(0x10 + i),
      arriveMs: 20 + i * 10,
      leaveMs: 25 + i * 10,
    }));
    const { w } = await started({ cycleMs: 1, tags: [{ epc: A }, ...windows] });
    await w.ask(commands.startReading());
    await expect.poll(() => w.tags().some((t) => t.timestampMs! >= 230)).toBe(true);
    const byEpc = new Map(windows.map((t) => [t.epc, t]));
    const stamped = w.tags().filter((t) => byEpc.has(t.epc.toString('hex')));
    expect(stamped.length).toBeGreaterThan(0);
    const outside = stamped.filter((t) => {
      const { arriveMs, leaveMs } = byEpc.get(t.epc.toString('hex'))!;
      return t.timestampMs! < arriveMs || t.timestampMs! >= leaveMs;
    });
    expect(outside.map((t) => [t.epc.toString('hex'), t.timestampMs])).toEqual([]);
  });

  it('adds, removes and reports tags on request, with the metadata the start command asked for', async () => {
    const { b, w } = await started();
    const flags = Metadata.rssi | Metadata.antenna;
    const start = Buffer.from(commands.startReading(flags));
    expect((await w.ask(start)).status).toBe(0);
    await b.sim.report([{ epc: B, antenna: 2, rssi: -70, pc: 0x3400 }, { epc: A }]);
    await expect.poll(() => w.tags().length).toBe(2);
    expect(w.tags()).toEqual([
      {
        metadataFlags: flags,
        rssi: -70,
        antenna: { tx: 2, rx: 2 },
        pc: 0x3400,
        xpc: [],
        epc: Buffer.from(B, 'hex'),
        tagCrc: expect.any(Number),
      },
      {
        metadataFlags: flags,
        rssi: -55,
        antenna: { tx: 1, rx: 1 },
        pc: 0x3000,
        xpc: [],
        epc: Buffer.from(A, 'hex'),
        tagCrc: expect.any(Number),
      },
    ]);
    b.sim.addTag({ epc: A });
    await expect.poll(() => w.tags().length).toBeGreaterThan(3);
    b.sim.removeTag(A);
    const keepAlives = b.sim.keepAlives();
    await expect.poll(() => b.sim.keepAlives()).toBeGreaterThan(keepAlives);
  });

  it('sends noise, bad frames and status errors on request; refuses or ignores commands when told', async () => {
    const { b, w } = await started();
    b.sim.answer(0x97, 0x010b);
    expect((await w.ask(commands.setRegion(1))).raw).toEqual(encodeResponse(0x97, 0x010b));
    b.sim.answer(0x97, 'normal');
    expect((await w.ask(commands.setRegion(1))).status).toBe(0);
    // Answers come in command order: the version answer proves the power command got none.
    b.sim.answer(0x92, 'silent');
    const from = w.frames.length;
    w.send(commands.setReadPower(2000));
    await w.ask(commands.version());
    expect(w.frames.slice(from).map((f) => f.opcode)).toEqual([0x03]);
    await w.ask(commands.startReading());
    await b.sim.injectGarbage();
    await b.sim.injectBadCrc();
    await b.sim.sendStatus(0x0504);
    await expect.poll(() => w.frames.some((f) => f.status === 0x0504)).toBe(true);
    expect(w.frames.find((f) => f.status === 0x0504)!.raw).toEqual(encodeResponse(0x22, 0x0504));
    expect(w.rejects).toEqual(['garbage', 'bad-crc']);
  });

  it('listens for nothing but stop while reading (a module left reading by another session)', async () => {
    const { b, w } = await started({ reading: true });
    await expect.poll(() => b.sim.keepAlives()).toBeGreaterThan(0);
    w.send(commands.version());
    const stop = await w.ask(commands.stopReading());
    expect(stop.data).toEqual(Buffer.from([0x02]));
    expect(w.frames.filter((f) => f.opcode === 0x03)).toEqual([]);
    expect((await w.ask(commands.version())).status).toBe(0);
    expect(b.sim.commandsReceived.map((c) => c.opcode)).toEqual([0x03, 0x2f, 0x03]);
  });
});
