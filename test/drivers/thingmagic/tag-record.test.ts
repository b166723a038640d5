/**
 * The streamed tag record, parsed by its metadata flags.
 *
 * "capture": records an M6e Nano streamed while reading continuously, published in the SparkFun
 * Simultaneous RFID Tag Reader library (`Example Communication Logs/3-Ant Select - Reading.txt`);
 * the data below is each frame without FF, LEN, OP, STATUS and CRC. Every other record is built
 * by `encodeTagRecord` from the field layout in READERS.md section 2 and the Mercury API's
 * metadata order, and checked field by field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gen2Crc } from '../../../drivers/thingmagic/crc.js';
import {
  encodeTagRecord,
  Metadata,
  parseStreamRecord,
  plainPc,
  type TagRecord,
} from '../../../drivers/thingmagic/tag-record.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const EPC = hex('30 14 2C 3B 40 01 0B 40 00 00 00 2A');
const ALL = Object.values(Metadata).reduce((a, f) => a | f, 0);

function tagOf(data: Buffer): TagRecord {
  const parsed = parseStreamRecord(data);
  if (parsed.type !== 'tag') throw new Error(`expected a tag, got ${JSON.stringify(parsed)}`);
  return parsed.tag;
}

describe('parseStreamRecord on captured records', () => {
  it('reads every field of a record with metadata flags 0x01FF', () => {
    const data = hex(
      '10 00 1B 01 FF 01 01 C7 11 0E 08 30 00 00 00 0F 00 00 05 00 00 0F 00 40 10 00 59 6F 59 6F F3 13',
    );
    expect(tagOf(data)).toEqual({
      metadataFlags: 0x01ff,
      readCount: 1,
      rssi: -57,
      antenna: { tx: 1, rx: 1 },
      frequencyKhz: 919600,
      timestampMs: 15,
      phase: 0,
      protocol: 5,
      embeddedData: { bits: 0, bytes: Buffer.alloc(0) },
      gpio: 0x0f,
      pc: 0x1000,
      xpc: [],
      epc: hex('59 6F 59 6F'),
      tagCrc: 0xf313,
    });
  });

  it('reads a 96-bit EPC', () => {
    const data = hex(
      '10 00 1B 01 FF 01 01 C9 11 0E 08 30 00 00 00 13 00 00 05 00 00 0F 00 80 30 00 E2 00 10 26 76 0E 01 79 15 90 71 25 19 85',
    );
    const tag = tagOf(data);
    expect([tag.rssi, tag.pc, tag.epc.toString('hex'), tag.tagCrc, tag.timestampMs]).toEqual([
      -55,
      0x3000,
      'e2001026760e017915907125',
      0x1985,
      0x13,
    ]);
  });
});

describe('parseStreamRecord by flag', () => {
  const values = {
    readCount: 7,
    rssi: -61,
    antenna: { tx: 3, rx: 4 },
    frequencyKhz: 902750,
    timestampMs: 0x01020304,
    phase: 0x0b5a,
    protocol: 5,
    embeddedData: { bits: 12, bytes: hex('AB C0') },
    gpio: 0x21,
    gen2Q: 4,
    gen2LinkFrequency: 2,
    gen2Target: 1,
    brandId: 0xbeef,
  } as const;
  // The bytes each field takes: READERS.md section 2; Gen2 Q, link frequency, target: one each.
  const sizes = {
    readCount: 1,
    rssi: 1,
    antenna: 1,
    frequencyKhz: 3,
    timestampMs: 4,
    phase: 2,
    protocol: 1,
    embeddedData: 4,
    gpio: 1,
    gen2Q: 1,
    gen2LinkFrequency: 1,
    gen2Target: 1,
    brandId: 2,
  } as const;
  const field = {
    readCount: 'readCount',
    rssi: 'rssi',
    antenna: 'antenna',
    frequency: 'frequencyKhz',
    timestamp: 'timestampMs',
    phase: 'phase',
    protocol: 'protocol',
    embeddedData: 'embeddedData',
    gpio: 'gpio',
    gen2Q: 'gen2Q',
    gen2LinkFrequency: 'gen2LinkFrequency',
    gen2Target: 'gen2Target',
    brandId: 'brandId',
  } as const;
  const base = encodeTagRecord(0, { epc: EPC }).length;

  it.each(Object.entries(Metadata))('flag %s alone: its field, its size, nothing else', (name, flag) => {
    const key = field[name as keyof typeof field];
    const data = encodeTagRecord(flag, { epc: EPC, ...values });
    expect(data.length - base).toBe(sizes[key]);
    expect(tagOf(data)).toEqual({
      metadataFlags: flag,
      [key]: values[key],
      pc: 0x3000,
      xpc: [],
      epc: EPC,
      tagCrc: gen2Crc(Buffer.concat([hex('30 00'), EPC])),
    });
  });

  it('all flags at once, in flag-bit order', () => {
    const data = encodeTagRecord(ALL, { epc: EPC, ...values });
    const crc = gen2Crc(Buffer.concat([hex('30 00'), EPC]))
      .toString(16)
      .padStart(4, '0');
    expect(data.toString('hex')).toBe(
      [
        '10 001b 1fff 01',
        '07 c3 34 0dc65e 01020304 0b5a 05 000c abc0 21 04 02 01 beef',
        '0080 3000',
        EPC,
        crc,
      ]
        .map((part) => (typeof part === 'string' ? part.replace(/ /g, '') : part.toString('hex')))
        .join(''),
    );
    expect(tagOf(data)).toEqual({
      metadataFlags: ALL,
      ...values,
      pc: 0x3000,
      xpc: [],
      epc: EPC,
      tagCrc: expect.any(Number),
    });
  });

  it('any combination of flags round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ALL }),
        fc.uint8Array({ minLength: 0, maxLength: 62 }).filter((a) => a.length % 2 === 0),
        fc.integer({ min: -128, max: 127 }),
        (flags, epcBytes, rssi) => {
          const epc = Buffer.from(epcBytes);
          const tag = tagOf(encodeTagRecord(flags & ALL, { epc, ...values, rssi }));
          expect(tag.metadataFlags).toBe(flags & ALL);
          expect(tag.epc).toEqual(epc);
          expect(tag.pc).toBe(plainPc(epc));
          expect(tag.rssi).toBe(flags & Metadata.rssi ? rssi : undefined);
          expect(tag.antenna).toEqual(flags & Metadata.antenna ? values.antenna : undefined);
          expect(tag.brandId).toBe(flags & Metadata.brandId ? values.brandId : undefined);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads RSSI as signed and the antenna byte as tx/rx nibbles', () => {
    const flags = Metadata.rssi | Metadata.antenna;
    expect(tagOf(encodeTagRecord(flags, { epc: EPC, rssi: -128, antenna: { tx: 15, rx: 2 } }))).toMatchObject(
      {
        rssi: -128,
        antenna: { tx: 15, rx: 2 },
      },
    );
    expect(tagOf(encodeTagRecord(flags, { epc: EPC, rssi: 127 })).rssi).toBe(127);
  });

  it('reads XPC_W1 and XPC_W2 when the PC announces them, and keeps them out of the EPC', () => {
    const w1 = tagOf(encodeTagRecord(0, { epc: EPC, pc: 0x3200, xpc: [0x0001] }));
    expect([w1.pc, w1.xpc, w1.epc]).toEqual([0x3200, [0x0001], EPC]);
    const w2 = tagOf(encodeTagRecord(0, { epc: EPC, pc: 0x3200, xpc: [0x8001, 0x0002] }));
    expect([w2.xpc, w2.epc]).toEqual([[0x8001, 0x0002], EPC]);
  });

  it('reads a record sent without metadata (option bit 0x10 clear)', () => {
    const body = Buffer.concat([hex('30 00'), EPC]);
    const crc = gen2Crc(body);
    const data = Buffer.concat([hex('00 00 1B 01 00 80'), body, Buffer.from([crc >> 8, crc & 0xff])]);
    expect(tagOf(data)).toEqual({ metadataFlags: 0, pc: 0x3000, xpc: [], epc: EPC, tagCrc: crc });
  });
});

describe('parseStreamRecord on records it cannot trust', () => {
  it('every cut of a full record is truncated, never a tag', () => {
    const data = encodeTagRecord(ALL, { epc: EPC, embeddedData: { bits: 16, bytes: hex('AB CD') } });
    for (let cut = 0; cut < data.length; cut++) {
      const parsed = parseStreamRecord(data.subarray(0, cut));
      expect(parsed.type, `cut at ${cut}`).toBe('invalid');
      expect(parsed, `cut at ${cut}`).toMatchObject({ code: 'truncated' });
    }
    expect(parseStreamRecord(data).type).toBe('tag');
  });

  it('a tag CRC that does not match is tag-crc', () => {
    const parsed = parseStreamRecord(encodeTagRecord(Metadata.rssi, { epc: EPC, tagCrc: 0x1234 }));
    const good = gen2Crc(Buffer.concat([hex('30 00'), EPC]));
    expect(parsed).toEqual({
      type: 'invalid',
      code: 'tag-crc',
      message: `tag CRC 0x1234 does not match its PC and EPC (0x${good.toString(16).padStart(4, '0')})`,
    });
  });

  it('a record with misread flags fails its tag CRC instead of yielding a wrong EPC', () => {
    const data = encodeTagRecord(Metadata.rssi | Metadata.antenna, { epc: EPC, rssi: -40 });
    data.writeUInt16BE(Metadata.rssi, 3); // the antenna byte now reads as the start of the EPC length
    expect(parseStreamRecord(data)).toMatchObject({ type: 'invalid' });
  });

  it.each([
    ['an unknown metadata flag', '10 00 1B 20 00 01', 'unknown metadata flags 0x2000'],
    ['an unknown response type', '10 00 1B 00 00 07', 'unknown response type 0x07'],
    [
      'a tag too short for PC and CRC',
      '10 00 1B 00 00 01 00 10 30 00',
      'a tag of 16 bits cannot hold a PC and a CRC',
    ],
    ['a protocol other than Gen2', '10 00 1B 00 40 01 03 00 20 00 00 00 00', 'protocol 0x03 is not Gen2'],
  ])('%s is a bad-record', (_what, data, message) => {
    expect(parseStreamRecord(hex(data))).toEqual({ type: 'invalid', code: 'bad-record', message });
  });

  it('tells the end of a search cycle and status reports from tags', () => {
    expect(parseStreamRecord(hex('10 00 1B 01 FF 00'))).toEqual({ type: 'cycle-end' });
    expect(parseStreamRecord(hex('10 00 1B 00 00 02 00 00'))).toEqual({ type: 'status-report' });
  });
});
