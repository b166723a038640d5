/**
 * Mercury frames: the commands the driver sends, byte for byte, and the streaming parser.
 *
 * "capture": bytes an M6e Nano exchanged with the Mercury API, published in the SparkFun
 * Simultaneous RFID Tag Reader library (`Example Communication Logs/1-Connect to serial port.txt`,
 * `3-Ant Select - Reading.txt`). "computed": no public capture at hand; the CRC is computed from
 * its definition (crc.ts, itself checked against the captures in crc.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { messageCrc } from '../../../drivers/thingmagic/crc.js';
import {
  commands,
  describeStatus,
  encodeCommand,
  encodeResponse,
  type Frame,
  FrameParser,
  type FrameRejectCode,
  startupSequence,
} from '../../../drivers/thingmagic/frames.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const spaced = (b: Buffer) =>
  b
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
const withCrc = (text: string) => {
  const b = hex(text);
  return spaced(Buffer.concat([b, hex(messageCrc(b, 1).toString(16).padStart(4, '0'))]));
};

describe('commands', () => {
  it.each([
    ['version (capture)', commands.version(), 'FF 00 03 1D 0C'],
    ['set region NA2 = 0x0D (capture)', commands.setRegion(0x0d), 'FF 01 97 0D 4B B0'],
    ['set read power 2700 cdBm (capture)', commands.setReadPower(2700), 'FF 02 92 0A 8C 4B D5'],
    ['read filter off (capture)', commands.readFilterOff(), 'FF 03 9A 01 0C 00 A3 5D'],
    ['antenna 1 (capture)', commands.setAntennas([1]), 'FF 03 91 02 01 01 42 C5'],
    [
      'start continuous reading (capture)',
      commands.startReading(),
      'FF 10 2F 00 00 01 22 00 00 05 07 22 10 00 1B 03 E8 01 FF DD 2B',
    ],
    ['stop continuous reading (capture)', commands.stopReading(), 'FF 03 2F 00 00 02 5E 86'],
    ['set protocol Gen2 (computed)', commands.setGen2(), withCrc('FF 02 93 00 05')],
    [
      'antennas 1, 2, 4 (computed)',
      commands.setAntennas([1, 2, 4]),
      withCrc('FF 07 91 02 01 01 02 02 04 04'),
    ],
    ['read power 5.00 dBm (computed)', commands.setReadPower(500), withCrc('FF 02 92 01 F4')],
    ['read power -1.00 dBm, signed (computed)', commands.setReadPower(-100), withCrc('FF 02 92 FF 9C')],
  ])('%s', (_what, bytes, expected) => {
    expect(spaced(bytes)).toBe(expected);
  });

  it('start-up sequence: version, region, Gen2, antennas, power, read filter off, start', () => {
    const steps = startupSequence({ regionCode: 0x08, antennas: [1, 2], readPowerCdBm: 2600 });
    expect(steps.map((s) => [s.name, s.opcode])).toEqual([
      ['version', 0x03],
      ['set region', 0x97],
      ['set protocol Gen2', 0x93],
      ['set antennas', 0x91],
      ['set read power', 0x92],
      ['read filter off', 0x9a],
      ['start reading', 0x2f],
    ]);
    expect(steps[1]!.bytes).toEqual(commands.setRegion(0x08));
    expect(steps[3]!.bytes).toEqual(commands.setAntennas([1, 2]));
    expect(steps[4]!.bytes).toEqual(commands.setReadPower(2600));
  });

  it('encodes responses and refuses data a length byte cannot say', () => {
    expect(spaced(encodeResponse(0x22, 0x0400))).toBe('FF 00 22 04 00 84 E0'); // capture: keep-alive
    expect(spaced(encodeResponse(0x2f, 0, [0x02]))).toBe('FF 01 2F 00 00 02 30 E6'); // capture: stop answer
    expect(encodeCommand(0x22, Buffer.alloc(255))).toHaveLength(260);
    expect(() => encodeCommand(0x22, Buffer.alloc(256))).toThrow(RangeError);
  });

  it('names status words', () => {
    expect(describeStatus(0x0504)).toBe('0x0504 (temperature limit exceeded)');
    expect(describeStatus(0x0505)).toBe('0x0505 (high return loss (check the antenna and its cable))');
    expect(describeStatus(0x010b)).toBe('0x010B (invalid region)');
    expect(describeStatus(0x0abc)).toBe('0x0ABC');
  });
});

// A capture of the module answering and streaming: the start answer, two tag records, a keep-alive.
const START_ANSWER = hex('FF 04 2F 00 00 01 22 00 00 6D C3');
const RECORD_A = hex(
  'FF 20 22 00 00 10 00 1B 01 FF 01 01 C7 11 0E 08 30 00 00 00 0F 00 00 05 00 00 0F 00 40 10 00 59 6F 59 6F F3 13 89 90',
);
const RECORD_B = hex(
  'FF 28 22 00 00 10 00 1B 01 FF 01 01 C9 11 0E 08 30 00 00 00 13 00 00 05 00 00 0F 00 80 30 00 E2 00 10 26 76 0E 01 79 15 90 71 25 19 85 57 97',
);
const KEEP_ALIVE = hex('FF 00 22 04 00 84 E0');

function parser(kind: 'response' | 'command' = 'response', options = {}) {
  const frames: Frame[] = [];
  const rejects: [FrameRejectCode, string][] = [];
  const p = new FrameParser(
    kind,
    { frame: (f) => frames.push(f), reject: (code, bytes) => rejects.push([code, spaced(bytes)]) },
    options,
  );
  return { p, frames, rejects, raws: () => frames.map((f) => f.raw) };
}

describe('FrameParser', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cuts a captured stream into its frames: opcode, status, data, raw', () => {
    const { p, frames, rejects } = parser();
    p.push(Buffer.concat([START_ANSWER, RECORD_A, RECORD_B, KEEP_ALIVE]));
    expect(frames.map((f) => [f.opcode, f.status, f.data.length])).toEqual([
      [0x2f, 0x0000, 4],
      [0x22, 0x0000, 0x20],
      [0x22, 0x0000, 0x28],
      [0x22, 0x0400, 0],
    ]);
    expect(frames[0]!.data).toEqual(hex('01 22 00 00'));
    expect(frames[1]!.raw).toEqual(RECORD_A);
    expect(rejects).toEqual([]);
    expect(p.pending()).toBe(0);
  });

  it('reassembles frames delivered one byte at a time', () => {
    const { p, raws, rejects } = parser();
    const stream = Buffer.concat([RECORD_A, KEEP_ALIVE, RECORD_B]);
    for (const byte of stream) p.push(Buffer.from([byte]));
    expect(raws()).toEqual([RECORD_A, KEEP_ALIVE, RECORD_B]);
    expect(rejects).toEqual([]);
  });

  it('frames commands too (the simulator side)', () => {
    const { p, frames } = parser('command');
    p.push(Buffer.concat([commands.version(), commands.startReading(), commands.stopReading()]));
    expect(frames.map((f) => [f.opcode, spaced(f.data)])).toEqual([
      [0x03, ''],
      [0x2f, '00 00 01 22 00 00 05 07 22 10 00 1B 03 E8 01 FF'],
      [0x2f, '00 00 02'],
    ]);
  });

  it('rejects garbage before, between and after frames as garbage, keeping every frame', () => {
    const { p, raws, rejects } = parser();
    p.push(Buffer.concat([hex('00 13 37'), RECORD_A, hex('AA BB'), KEEP_ALIVE, hex('01 02')]));
    expect(raws()).toEqual([RECORD_A, KEEP_ALIVE]);
    expect(rejects).toEqual([
      ['garbage', '00 13 37'],
      ['garbage', 'AA BB'],
      ['garbage', '01 02'],
    ]);
  });

  it('rejects a frame with a bad CRC once, whole, and keeps the frame after it', () => {
    const { p, raws, rejects } = parser();
    const bad = Buffer.from(RECORD_B);
    bad[bad.length - 1]! ^= 0x01;
    p.push(Buffer.concat([bad, RECORD_A]));
    expect(raws()).toEqual([RECORD_A]);
    expect(rejects).toEqual([['bad-crc', spaced(bad)]]);
  });

  it('rejects a frame with a flipped data bit as bad-crc (CRC catches what the length cannot)', () => {
    const { p, raws, rejects } = parser();
    const bad = Buffer.from(RECORD_A);
    bad[20]! ^= 0x10;
    p.push(Buffer.concat([KEEP_ALIVE, bad, KEEP_ALIVE]));
    expect(raws()).toEqual([KEEP_ALIVE, KEEP_ALIVE]);
    expect(rejects).toEqual([['bad-crc', spaced(bad)]]);
  });

  it('finds the good frame inside the length of a frame cut short by noise', () => {
    const { p, raws, rejects } = parser();
    // A record torn after 12 bytes; its length byte claims the next 27 bytes, which hold the next frames.
    const torn = RECORD_B.subarray(0, 12);
    p.push(Buffer.concat([torn, KEEP_ALIVE, RECORD_A]));
    expect(raws()).toEqual([KEEP_ALIVE, RECORD_A]);
    expect(rejects).toEqual([['bad-crc', spaced(torn)]]);
  });

  it('gives up on a frame the line went quiet in, and rescans the bytes after its FF', () => {
    vi.useFakeTimers();
    const { p, raws, rejects } = parser('response', { stallMs: 100 });
    // Torn after 10 bytes, the last a FF whose length byte (the keep-alive's FF) claims 262 bytes:
    // no CRC can be checked before they come, so only the quiet line ends each wait.
    const torn = RECORD_A.subarray(0, 10);
    expect(torn.at(-1)).toBe(0xff);
    p.push(Buffer.concat([torn, KEEP_ALIVE]));
    vi.advanceTimersByTime(99);
    expect([raws(), rejects]).toEqual([[], []]);
    vi.advanceTimersByTime(1);
    expect(raws()).toEqual([]);
    expect(rejects).toEqual([['truncated', spaced(torn.subarray(0, 9))]]);
    vi.advanceTimersByTime(100);
    expect(raws()).toEqual([KEEP_ALIVE]);
    expect(rejects).toEqual([
      ['truncated', spaced(torn.subarray(0, 9))],
      ['truncated', 'FF'],
    ]);
    expect(p.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps memory bounded: a reject holds at most maxRejectBytes, however long the noise', () => {
    const { p, raws, rejects } = parser('response', { maxRejectBytes: 64 });
    p.push(Buffer.concat([Buffer.alloc(100_000, 0x55), KEEP_ALIVE]));
    expect(raws()).toEqual([KEEP_ALIVE]);
    expect(rejects).toEqual([['garbage', spaced(Buffer.alloc(64, 0x55))]]);
    p.push(Buffer.alloc(10, 0x55));
    expect(rejects.at(-1)).toEqual(['garbage', spaced(Buffer.alloc(10, 0x55))]);
  });

  it('does not give up on a frame while the driver holds the line (back-pressure), however long', () => {
    vi.useFakeTimers();
    const { p, raws, rejects } = parser('response', { stallMs: 100 });
    p.push(RECORD_A.subarray(0, 20));
    p.hold();
    vi.advanceTimersByTime(10_000);
    expect([raws(), rejects, p.pending()]).toEqual([[], [], 20]);
    // Released: the rest arrives and the frame is whole.
    p.release();
    p.push(RECORD_A.subarray(20));
    expect(raws()).toEqual([RECORD_A]);
    expect(rejects).toEqual([]);
    // Released with a part still missing, the stall is timed from the release.
    p.push(RECORD_A.subarray(0, 20));
    p.hold();
    vi.advanceTimersByTime(500);
    p.release();
    vi.advanceTimersByTime(99);
    expect(rejects).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(rejects.map((r) => r[0])).toEqual(['truncated']);
  });

  it('reset() forgets a partial frame and its timer', () => {
    vi.useFakeTimers();
    const { p, raws, rejects } = parser();
    p.push(RECORD_A.subarray(0, 20));
    expect(p.pending()).toBe(20);
    p.reset();
    expect(p.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    p.push(KEEP_ALIVE);
    expect(raws()).toEqual([KEEP_ALIVE]);
    expect(rejects).toEqual([]);
  });
});
