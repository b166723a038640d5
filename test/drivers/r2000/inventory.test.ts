/**
 * Replies to real-time inventory, told apart by data length. "capture" vectors are the data of
 * frames an IND903 (R2000-family) module sent, published in github.com/espinr/activioty
 * (docs/checkpoints/rfid-reader-python/rfid-python.md); "definition" vectors are built from the
 * field layout (FreqAnt, PC, EPC, RSSI; antenna, read rate u16, total reads u32).
 */
import { describe, expect, it } from 'vitest';
import {
  classifyInventoryReply,
  describeStatus,
  encodeRoundEnd,
  encodeTagReply,
  pcFor,
  rssiByte,
  rssiDbm,
  statusCode,
} from '../../../drivers/r2000/inventory.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('classifyInventoryReply', () => {
  it('capture: a tag: antenna 1, channel 1, PC 3000, the EPC, RSSI 0x45 = -60 dBm', () => {
    expect(classifyInventoryReply(hex('04 30 00 E2 00 30 16 66 13 01 21 15 50 74 EF 45'))).toEqual({
      type: 'tag',
      antenna: 1,
      channel: 1,
      pc: 0x3000,
      epc: hex('E2 00 30 16 66 13 01 21 15 50 74 EF'),
      rssi: -60,
    });
  });

  it('definition: FreqAnt bits 1-0 are antenna - 1, bits 7-2 the channel; bit 7 of RSSI is antennas 5-8', () => {
    const tag = (freqAnt: number, raw: number) =>
      classifyInventoryReply(Buffer.from([freqAnt, 0x34, 0x00, 0xaa, 0xbb, raw]));
    expect(tag(0x03, 0x3e)).toMatchObject({
      antenna: 4,
      channel: 0,
      pc: 0x3400,
      epc: hex('AA BB'),
      rssi: -67,
    });
    expect(tag(0xfe, 0x62)).toMatchObject({ antenna: 3, channel: 63, rssi: -31 });
    expect(tag(0x07, 0xc5)).toMatchObject({ antenna: 8, channel: 1, rssi: -60 });
    expect(tag(0x00, 0x9f)).toMatchObject({ antenna: 5, rssi: -98 });
  });

  it('capture: the end of a round: antenna 1, 29 reads/s, 1 read in all', () => {
    expect(classifyInventoryReply(hex('00 00 1D 00 00 00 01'))).toEqual({
      type: 'round-end',
      antenna: 1,
      readRate: 29,
      totalReads: 1,
    });
    expect(classifyInventoryReply(hex('03 01 2C 00 01 00 00'))).toEqual({
      type: 'round-end',
      antenna: 4,
      readRate: 300,
      totalReads: 65536,
    });
  });

  it('definition: one byte is a status code', () => {
    expect(classifyInventoryReply(hex('22'))).toEqual({ type: 'status', status: 0x22 });
    expect(classifyInventoryReply(hex('36'))).toEqual({ type: 'status', status: 0x36 });
    expect(classifyInventoryReply(hex('31'))).toEqual({ type: 'status', status: 0x31 });
  });

  it('calls a reply too short for a tag malformed', () => {
    for (const data of ['', '30 00', '04 30 00']) {
      expect(classifyInventoryReply(hex(data))).toEqual({
        type: 'malformed',
        reason: `an inventory reply of ${hex(data).length} data bytes is neither a status nor a tag`,
      });
    }
  });
});

describe('status codes', () => {
  it('name the errors the driver reports', () => {
    expect([0x22, 0x31, 0x36, 0x11, 0x99].map(statusCode)).toEqual([
      'antenna-missing',
      'inventory-error',
      'no-tag',
      'command-failed',
      'module-error-0x99',
    ]);
    expect(describeStatus(0x22)).toBe('antenna missing (nothing connected to the port) (0x22)');
    expect(describeStatus(0x31)).toBe('inventory error (0x31)');
    expect(describeStatus(0xfe)).toBe('unknown module error (0xFE)');
  });
});

describe('the simulator side', () => {
  it('encodes what classifyInventoryReply reads back', () => {
    const epc = hex('30 74 25 7B F7 19 4E 40 00 00 00 2A');
    const data = encodeTagReply({ antenna: 6, channel: 17, pc: pcFor(epc), epc, rssi: -58 });
    expect(data).toEqual(hex('45 30 00 30 74 25 7B F7 19 4E 40 00 00 00 2A C7'));
    expect(classifyInventoryReply(data)).toEqual({
      type: 'tag',
      antenna: 6,
      channel: 17,
      pc: 0x3000,
      epc,
      rssi: -58,
    });
    expect(encodeRoundEnd({ antenna: 2, readRate: 29, totalReads: 1 })).toEqual(hex('01 00 1D 00 00 00 01'));
  });

  it('maps dBm to the RSSI byte within its 7 bits', () => {
    expect([rssiByte(-60, 1), rssiByte(-200, 1), rssiByte(0, 1), rssiByte(-60, 5)]).toEqual([
      0x45, 0x00, 0x7f, 0xc5,
    ]);
    expect([rssiDbm(0x45), rssiDbm(0xc5), rssiDbm(0x00)]).toEqual([-60, -60, -129]);
    expect([pcFor(Buffer.alloc(12)), pcFor(Buffer.alloc(16)), pcFor(Buffer.alloc(0))]).toEqual([
      0x3000, 0x4000, 0,
    ]);
  });
});
