/**
 * The Mercury message CRC and the Gen2 tag CRC, against bytes from real modules.
 *
 * "capture" vectors: frames an M6e Nano exchanged with the Mercury API, published in the SparkFun
 * Simultaneous RFID Tag Reader library, `Example Communication Logs/1-Connect to serial port.txt`
 * and `3-Ant Select - Reading.txt`. The CRC of a frame covers every byte but the leading FF and
 * the CRC itself, so each frame's last two bytes are the expected value.
 */
import { describe, expect, it } from 'vitest';
import { gen2Crc, messageCrc } from '../../../drivers/thingmagic/crc.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('messageCrc', () => {
  it('gives 1D0C for 00 03 (READERS.md), where CRC-16/CCITT-FALSE gives 2D6C', () => {
    expect(messageCrc(hex('00 03'))).toBe(0x1d0c);
  });

  it.each([
    ['version command', 'FF 00 03 1D 0C'],
    [
      'version answer (M6e Nano, firmware 01.03.01.47)',
      'FF 14 03 00 00 14 12 08 00 30 00 00 02 20 15 03 10 01 03 01 47 00 00 00 10 EB FF',
    ],
    ['set region NA2', 'FF 01 97 0D 4B B0'],
    ['set region answer', 'FF 00 97 00 00 77 9E'],
    ['set read power 27.00 dBm', 'FF 02 92 0A 8C 4B D5'],
    ['read filter off', 'FF 03 9A 01 0C 00 A3 5D'],
    ['antenna search list 1/1', 'FF 03 91 02 01 01 42 C5'],
    ['start continuous reading', 'FF 10 2F 00 00 01 22 00 00 05 07 22 10 00 1B 03 E8 01 FF DD 2B'],
    ['start answer', 'FF 04 2F 00 00 01 22 00 00 6D C3'],
    ['stop continuous reading', 'FF 03 2F 00 00 02 5E 86'],
    ['stop answer', 'FF 01 2F 00 00 02 30 E6'],
    ['keep-alive (no tag, status 0400)', 'FF 00 22 04 00 84 E0'],
    [
      'streamed tag record',
      'FF 20 22 00 00 10 00 1B 01 FF 01 01 C7 11 0E 08 30 00 00 00 0F 00 00 05 00 00 0F 00 40 10 00 59 6F 59 6F F3 13 89 90',
    ],
  ])('matches the capture: %s', (_what, frame) => {
    const bytes = hex(frame);
    expect(messageCrc(bytes, 1, bytes.length - 2)).toBe(bytes.readUInt16BE(bytes.length - 2));
  });

  it('covers exactly the range it is given', () => {
    const bytes = hex('AA 00 03 BB');
    expect(messageCrc(bytes, 1, 3)).toBe(0x1d0c);
    expect(messageCrc(hex(''))).toBe(0xffff);
  });
});

describe('gen2Crc', () => {
  it('gives the CRC-16/GENIBUS check value D64E for "123456789" (CRC catalogue)', () => {
    expect(gen2Crc(Buffer.from('123456789', 'latin1'))).toBe(0xd64e);
  });

  it.each([
    ['4-byte EPC 596F596F', '10 00 59 6F 59 6F', 0xf313],
    ['96-bit EPC E2001026760E017915907125', '30 00 E2 00 10 26 76 0E 01 79 15 90 71 25', 0x1985],
    ['96-bit EPC 000000000000000000001545', '30 00 00 00 00 00 00 00 00 00 00 00 15 45', 0xe94a],
  ])('matches the tag CRC a module reported (capture): %s', (_what, pcAndEpc, crc) => {
    expect(gen2Crc(hex(pcAndEpc))).toBe(crc);
  });
});
