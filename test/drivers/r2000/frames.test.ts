/**
 * R2000 frames: the checksum, encoding, and the streaming parser's resynchronisation.
 *
 * Vectors marked "definition" are built by hand from the protocol's definition (CHECK is the
 * two's complement of the byte sum of everything before it, so the whole frame sums to 0 mod 256).
 * Vectors marked "capture" are traffic of an IND903 (R2000-family) module published in
 * github.com/espinr/activioty, docs/checkpoints/rfid-reader-python/rfid-python.md.
 */
import { describe, expect, it } from 'vitest';
import {
  checksum,
  type Discarded,
  encodeFrame,
  type Frame,
  FrameParser,
  MAX_REJECT_BYTES,
} from '../../../drivers/r2000/frames.js';
import { DEFAULT_NOISE } from '../../../drivers/r2000/simulator.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** capture: a tag reply (antenna 1, PC 3000, 96-bit EPC, RSSI 0x45). */
const TAG = hex('A0 13 01 89 04 30 00 E2 00 30 16 66 13 01 21 15 50 74 EF 45 BF');
/** definition: an end-of-round reply, antenna 1, 29 reads/s, 1 read. */
const END = hex('A0 0A 01 89 00 00 1D 00 00 00 01 AE');
/** capture: the firmware version reply, v1.9. */
const VERSION = hex('A0 05 01 72 01 09 DE');

function parse(chunks: Buffer[], flush = false) {
  const out: (Frame | Discarded)[] = [];
  const parser = new FrameParser({ frame: (f) => out.push(f), discard: (d) => out.push(d) });
  for (const c of chunks) parser.push(c);
  if (flush) parser.flush();
  return { out, parser };
}

const frame = (address: number, command: number, data: string) => ({ address, command, data: hex(data) });

describe('checksum and encodeFrame', () => {
  it.each([
    ['definition: version request, broadcast', 'A0 03 FF 72', 0xec],
    ['definition: set antenna 1, broadcast', 'A0 04 FF 74 00', 0xe9],
    ['definition: real-time inventory, repeat 1, broadcast', 'A0 04 FF 89 01', 0xd3],
    ['definition: a sum already 0 mod 256 gives 0x00, not 0x100', 'A0 03 01 5C', 0x00],
    ['capture: version request, address 1', 'A0 03 01 72', 0xea],
    ['capture: version reply v1.9', 'A0 05 01 72 01 09', 0xde],
    ['capture: set antenna 1', 'A0 04 01 74 00', 0xe7],
    ['capture: set antenna reply, success', 'A0 04 01 74 10', 0xd7],
    ['capture: real-time inventory, repeat 1', 'A0 04 01 89 01', 0xd1],
    ['capture: a tag reply', 'A0 13 01 89 04 30 00 E2 00 30 16 66 13 01 21 15 50 74 EF 45', 0xbf],
  ])('%s', (_name, bytes, check) => {
    expect(checksum(hex(bytes))).toBe(check);
  });

  it('encodes command frames byte for byte', () => {
    expect(encodeFrame(frame(0xff, 0x72, ''))).toEqual(hex('A0 03 FF 72 EC'));
    expect(encodeFrame(frame(0x01, 0x74, '00'))).toEqual(hex('A0 04 01 74 00 E7'));
    expect(encodeFrame(frame(0x01, 0x89, '01'))).toEqual(hex('A0 04 01 89 01 D1'));
    expect(encodeFrame(frame(0x01, 0x89, '00 00 1D 00 00 00 01'))).toEqual(END);
  });

  it('refuses data that LEN cannot count, and non-byte fields', () => {
    expect(() => encodeFrame({ address: 1, command: 0x89, data: Buffer.alloc(253) })).toThrow(TypeError);
    expect(encodeFrame({ address: 1, command: 0x89, data: Buffer.alloc(252) })).toHaveLength(257);
    expect(() => encodeFrame({ address: 256, command: 0x89, data: Buffer.alloc(0) })).toThrow(TypeError);
  });
});

describe('FrameParser', () => {
  it('frames replies back to back, and the same one byte at a time', () => {
    const stream = Buffer.concat([VERSION, TAG, END]);
    const whole = parse([stream]).out;
    expect(whole).toEqual([
      frame(0x01, 0x72, '01 09'),
      frame(0x01, 0x89, '04 30 00 E2 00 30 16 66 13 01 21 15 50 74 EF 45'),
      frame(0x01, 0x89, '00 00 1D 00 00 00 01'),
    ]);
    const bytewise = parse([...stream].map((b) => Buffer.from([b])));
    expect(bytewise.out).toEqual(whole);
    expect(bytewise.parser.pending()).toBe(0);
  });

  it('discards noise before a frame as one garbage run, then frames on', () => {
    const { out } = parse([Buffer.concat([DEFAULT_NOISE, TAG, DEFAULT_NOISE.subarray(0, 3), END])]);
    expect(out).toEqual([
      { code: 'garbage', data: DEFAULT_NOISE },
      frame(0x01, 0x89, '04 30 00 E2 00 30 16 66 13 01 21 15 50 74 EF 45'),
      { code: 'garbage', data: DEFAULT_NOISE.subarray(0, 3) },
      frame(0x01, 0x89, '00 00 1D 00 00 00 01'),
    ]);
  });

  it('rejects a frame whose checksum fails, and frames the next one', () => {
    const bad = Buffer.from(TAG);
    bad[10] = 0x67; // one EPC byte changed on the line
    const { out } = parse([Buffer.concat([bad, END])]);
    expect(out).toEqual([{ code: 'bad-checksum', data: bad }, frame(0x01, 0x89, '00 00 1D 00 00 00 01')]);
  });

  it('capture: the end-of-round frame as printed in the capture does not verify, and is rejected', () => {
    // Its bytes sum to 0x0E, not 0: a transcription slip in the published text (the checksum
    // for these bytes is 0xAE, END above). A real-world bad-checksum vector all the same.
    const printed = hex('A0 0A 01 89 00 00 1D 00 00 00 01 BC');
    expect(parse([printed, VERSION]).out).toEqual([
      { code: 'bad-checksum', data: printed },
      frame(0x01, 0x72, '01 09'),
    ]);
  });

  it('reports a frame cut short by the next one as truncated, without losing the next', () => {
    const cut = TAG.subarray(0, 8);
    const { out } = parse([Buffer.concat([cut, END, VERSION])]);
    expect(out).toEqual([
      { code: 'truncated', data: cut },
      frame(0x01, 0x89, '00 00 1D 00 00 00 01'),
      frame(0x01, 0x72, '01 09'),
    ]);
  });

  it('on flush (the line went quiet) gives up a partial frame and frames what it held back', () => {
    // A stray header announcing 255 bytes holds the end-of-round back until the line is quiet.
    const { out, parser } = parse([hex('A0 FF'), END]);
    expect(out).toEqual([]);
    expect(parser.pending()).toBe(14);
    parser.flush();
    expect(out).toEqual([
      { code: 'truncated', data: hex('A0 FF') },
      frame(0x01, 0x89, '00 00 1D 00 00 00 01'),
    ]);
    expect(parser.pending()).toBe(0);
    expect(parse([TAG.subarray(0, 5)], true).out).toEqual([{ code: 'truncated', data: TAG.subarray(0, 5) }]);
  });

  it('takes a header with an impossible length (< 3) as noise', () => {
    expect(parse([Buffer.concat([hex('A0 02'), VERSION])]).out).toEqual([
      { code: 'garbage', data: hex('A0 02') },
      frame(0x01, 0x72, '01 09'),
    ]);
  });

  it('keeps its memory bounded: a long noise run is reported in pieces of at most 256 bytes', () => {
    const noise = Buffer.alloc(600, 0x55);
    const { out } = parse([noise, VERSION]);
    expect(out).toEqual([
      { code: 'garbage', data: noise.subarray(0, MAX_REJECT_BYTES) },
      { code: 'garbage', data: noise.subarray(0, MAX_REJECT_BYTES) },
      { code: 'garbage', data: noise.subarray(0, 88) },
      frame(0x01, 0x72, '01 09'),
    ]);
  });

  it('reset() forgets a partial frame and says how many bytes it held', () => {
    const { out, parser } = parse([TAG.subarray(0, 6)]);
    expect(parser.reset()).toBe(6);
    parser.push(VERSION);
    expect(out).toEqual([frame(0x01, 0x72, '01 09')]);
  });
});
