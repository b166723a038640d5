/** Joining HID POS input reports into codes: vectors for the hid-pos layout and explicit offsets; its config. */
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { UsbHidReader } from '../../../config/readers/usb-hid.js';
import {
  HID_POS_LAYOUT,
  parseReport,
  ReportAssembler,
  reportLayout,
} from '../../../drivers/usb-hid/report.js';

/** A 64-byte hid-pos report: id 2, length, AIM id, data, vendor symbology id 0x3f, more flag. */
function report(aim: string, data: string, more = false, id = 2): Buffer {
  const r = Buffer.alloc(64);
  r[0] = id;
  r[1] = data.length;
  r.write(aim, 2, 'latin1');
  r.write(data, 5, 'latin1');
  r[61] = 0x3f;
  r[63] = more ? 0x01 : 0x00;
  return r;
}

const hex = (b: Buffer) => b.toString('hex');

describe('parseReport', () => {
  it('reads the hid-pos layout: AIM id, data bytes, flag', () => {
    const bytes = Buffer.from(
      // id 02, length 0b, "]C1", "0123456789A", padding, symbology 3f00, flags 00
      `020b5d4331${'30313233343536373839'}41${'00'.repeat(45)}3f0000`,
      'hex',
    );
    expect(bytes).toHaveLength(64);
    const parsed = parseReport(bytes, HID_POS_LAYOUT);
    expect(parsed).toEqual({
      ok: true,
      report: { aim: Buffer.from(']C1'), data: Buffer.from('0123456789A'), more: false },
    });
  });

  it('takes the "more data follows" flag from its bit only', () => {
    const r = report(']d2', 'AB', false);
    r[63] = 0xfe; // every bit but bit 0
    expect(parseReport(r, HID_POS_LAYOUT)).toMatchObject({ ok: true, report: { more: false } });
    r[63] = 0x01;
    expect(parseReport(r, HID_POS_LAYOUT)).toMatchObject({ ok: true, report: { more: true } });
  });

  it('ignores other report ids and empty reports', () => {
    expect(parseReport(report(']C1', 'X', false, 4), HID_POS_LAYOUT)).toEqual({ ok: false, ignored: true });
    expect(parseReport(new Uint8Array(0), HID_POS_LAYOUT)).toEqual({ ok: false, ignored: true });
  });

  it('explains a length past the report, over the maximum, or a report cut short', () => {
    const long = report(']C1', 'X');
    long[1] = 57;
    expect(parseReport(long, HID_POS_LAYOUT)).toEqual({
      ok: false,
      ignored: false,
      reason: 'data length 57 exceeds the 56 bytes a report holds',
    });
    const short = report(']C1', 'ABCDEFGHIJ').subarray(0, 12);
    expect(parseReport(short, HID_POS_LAYOUT)).toEqual({
      ok: false,
      ignored: false,
      reason: 'data length 10 runs past the end of a 12-byte report',
    });
    const noFlag = report(']C1', 'AB').subarray(0, 40);
    expect(parseReport(noFlag, HID_POS_LAYOUT)).toEqual({
      ok: false,
      ignored: false,
      reason: 'a 40-byte report ends before its "more data" flag',
    });
    expect(parseReport(Buffer.from([2]), HID_POS_LAYOUT)).toEqual({
      ok: false,
      ignored: false,
      reason: 'a 1-byte report ends before its length byte',
    });
  });

  it('reads explicit offsets: no AIM id, flag in bit 7 of byte 1', () => {
    const layout = reportLayout({
      reportId: 1,
      lengthOffset: 2,
      dataOffset: 3,
      maxDataLength: 8,
      moreDataOffset: 1,
      moreDataBit: 7,
    });
    const bytes = Buffer.from([1, 0x80, 4, 0x54, 0x45, 0x53, 0x54, 0, 0, 0, 0]);
    expect(parseReport(bytes, layout)).toEqual({
      ok: true,
      report: { aim: Buffer.alloc(0), data: Buffer.from('TEST'), more: true },
    });
  });

  it('leaves out an AIM id of zeros (AIM ids switched off on the scanner)', () => {
    const r = report('\0\0\0', '4006381333931');
    expect(parseReport(r, HID_POS_LAYOUT)).toMatchObject({ ok: true, report: { aim: Buffer.alloc(0) } });
  });
});

describe('ReportAssembler', () => {
  it('gives a code of one report as AIM id followed by data', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 4096);
    expect(a.push(report(']E0', '4006381333931'))).toEqual({
      kind: 'code',
      data: Buffer.from(']E04006381333931'),
    });
    expect(a.pending()).toBe(0);
  });

  it('joins a code spanning three reports, taking the AIM id once', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 4096);
    const d1 = `0109506000134352${'A'.repeat(40)}`;
    const d2 = 'B'.repeat(56);
    const d3 = '\x1d10LOT7';
    expect(a.push(report(']d2', d1, true))).toEqual({ kind: 'partial' });
    expect(a.pending()).toBe(59);
    expect(a.push(report(']d2', d2, true))).toEqual({ kind: 'partial' });
    expect(a.pending()).toBe(115);
    const out = a.push(report(']d2', d3, false));
    expect(out).toEqual({ kind: 'code', data: Buffer.from(`]d2${d1}${d2}${d3}`, 'latin1') });
    expect(a.pending()).toBe(0);
  });

  it('ignores reports of other ids between the parts of a code', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 4096);
    expect(a.push(report(']C1', 'PART1-', true))).toEqual({ kind: 'partial' });
    expect(a.push(report('\0\0\0', 'status', false, 4))).toEqual({ kind: 'ignored' });
    expect(a.push(report(']C1', 'PART2', false))).toEqual({
      kind: 'code',
      data: Buffer.from(']C1PART1-PART2'),
    });
  });

  it('ignores a code with no data', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 4096);
    expect(a.push(report(']C1', ''))).toEqual({ kind: 'ignored' });
  });

  it('rejects a malformed report with its bytes and drops the code it continued', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 4096);
    a.push(report(']C1', 'HALF', true));
    const bad = report(']C1', 'X');
    bad[1] = 200;
    const out = a.push(bad);
    expect(out).toEqual({
      kind: 'reject',
      code: 'bad-report',
      message:
        'malformed input report: data length 200 exceeds the 56 bytes a report holds; ' +
        'the 7 bytes of the code it continued were dropped',
      data: bad,
    });
    expect(a.pending()).toBe(0);
    expect(a.push(report(']C1', 'NEXT'))).toEqual({ kind: 'code', data: Buffer.from(']C1NEXT') });
  });

  it('rejects an overlong code with its first maxLength bytes, then skips to its last report', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 20);
    expect(a.push(report(']C1', '0123456789', true))).toEqual({ kind: 'partial' });
    const out = a.push(report(']C1', 'ABCDEFGHIJ', true));
    expect(out).toMatchObject({ kind: 'reject', code: 'overlong' });
    if (out.kind === 'reject') expect(out.data.toString()).toBe(']C10123456789ABCDEFG');
    expect(a.pending()).toBe(0);
    expect(a.push(report(']C1', 'KLMNOP', true))).toEqual({ kind: 'partial' });
    expect(a.push(report(']C1', 'QRS', false))).toEqual({ kind: 'ignored' });
    expect(a.push(report(']C1', 'OK'))).toEqual({ kind: 'code', data: Buffer.from(']C1OK') });
  });

  it('drop() hands back an unfinished code and forgets it', () => {
    const a = new ReportAssembler(HID_POS_LAYOUT, 4096);
    a.push(report(']C1', 'TORN', true));
    expect(hex(a.drop())).toBe(hex(Buffer.from(']C1TORN')));
    expect(a.pending()).toBe(0);
    expect(a.push(report(']C1', 'WHOLE'))).toEqual({ kind: 'code', data: Buffer.from(']C1WHOLE') });
  });
});

describe('UsbHidReader schema', () => {
  const Ajv = AjvModule.default ?? AjvModule;
  const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(
    JSON.parse(JSON.stringify(UsbHidReader)),
  );
  const base = { id: 'usb-1', readPoint: 'dock-1', driver: 'usb-hid', vendorId: 3118, productId: 2913 };

  it('fills the defaults: interface 0, the hid-pos layout, 4096-byte codes', () => {
    const reader: Record<string, unknown> = { ...base };
    expect(validate(reader)).toBe(true);
    expect(reader).toEqual({
      ...base,
      interface: 0,
      report: 'hid-pos',
      maxReadLength: 4096,
      format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
      retry: { minMs: 500, maxMs: 30000 },
    });
  });

  it('takes explicit offsets and refuses unknown keys and ids out of range', () => {
    const offsets = { reportId: 1, lengthOffset: 2, dataOffset: 3, maxDataLength: 60, moreDataOffset: 63 };
    expect(validate({ ...base, serialNumber: 'S1', report: offsets })).toBe(true);
    expect(validate({ ...base, report: { ...offsets, moreDataBits: 1 } })).toBe(false);
    expect(validate({ ...base, report: 'hid-pos2' })).toBe(false);
    expect(validate({ ...base, vendorId: 0x10000 })).toBe(false);
    expect(validate({ ...base, path: '/dev/hidraw0' })).toBe(false);
  });
});
