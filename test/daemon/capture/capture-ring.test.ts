/** The ring of a reader's last minutes (capture/capture-ring.ts): bounded by its window and by bytes. */
import { describe, expect, it } from 'vitest';
import { CaptureRing, RECORD_HEAD } from '../../../daemon/capture/capture-ring.js';
import type { RawRead } from '../../../drivers/driver.js';
import { ORIGIN_AT, tagEpc, tagRead } from '../../support/captures.js';

const MINUTE = 60_000;
/** The reads' offsets, from the wall-clock times of their lines. */
const offsets = (lines: readonly string[]) =>
  lines.map((l) => (JSON.parse(l) as { t: number }).t - ORIGIN_AT);
const linesOf = (ring: CaptureRing, now: number) => ring.lines(now, 0, 'rfid-1');

describe('the capture ring', () => {
  it('holds the reads of the last N minutes and lets older ones go as time moves on', () => {
    const ring = new CaptureRing({ windowMs: 2 * MINUTE, maxBytes: 1 << 20 });
    // A read every 10 s for 5 minutes.
    for (let m = 0; m <= 5 * MINUTE; m += 10_000) ring.add(tagRead(1, m, 1));
    const kept = offsets(linesOf(ring, 5 * MINUTE));
    expect(kept).toEqual(Array.from({ length: 13 }, (_, i) => 3 * MINUTE + i * 10_000));
    // Nothing let go before its time: the bytes were never the limit.
    expect(ring.dropped).toBe(0);
    // A minute later with no read, the window holds a minute of them; three minutes later, none.
    expect(offsets(linesOf(ring, 6 * MINUTE))).toEqual(
      Array.from({ length: 7 }, (_, i) => 4 * MINUTE + i * 10_000),
    );
    expect(linesOf(ring, 8 * MINUTE + 1)).toEqual([]);
    expect(ring.size).toBe(0);
  });

  it('writes each read back as it came: bytes, antenna, RSSI, PC, kind', () => {
    const ring = new CaptureRing({ windowMs: MINUTE, maxBytes: 4096 });
    const barcode: RawRead = {
      readerId: 'rfid-1',
      kind: 'barcode',
      data: Buffer.from(']C1010950600013435221SN1\x1d10L1', 'latin1'),
      at: ORIGIN_AT + 5,
      mono: 5,
    };
    ring.add(tagRead(101, 0, 3, -61.5));
    ring.add(barcode);
    const [tag, scan] = linesOf(ring, 10).map((l) => JSON.parse(l));
    expect(tag).toEqual({
      t: ORIGIN_AT,
      m: 0,
      k: 'epc',
      d: tagEpc(101).toString('hex'),
      a: 3,
      r: -61.5,
      p: 0x3000,
    });
    expect(scan).toEqual({ t: ORIGIN_AT + 5, m: 5, k: 'barcode', d: barcode.data.toString('hex') });
  });

  it('stays within its bytes, letting the oldest go early and counting them, wrapping around', () => {
    const record = RECORD_HEAD + tagEpc(1).length;
    const ring = new CaptureRing({ windowMs: 10 * MINUTE, maxBytes: 50 * record + record / 2 });
    for (let i = 0; i < 20_000; i++) ring.add(tagRead(1 + (i % 7), i, 1 + (i % 4)));
    expect(ring.size).toBe(50);
    expect(ring.dropped).toBe(20_000 - 50);
    const lines = linesOf(ring, 19_999);
    expect(offsets(lines)).toEqual(Array.from({ length: 50 }, (_, i) => 19_950 + i));
    // The records that wrapped around the buffer's end read back whole.
    for (const [i, l] of lines.entries()) {
      const m = 19_950 + i;
      expect(JSON.parse(l)).toMatchObject({ d: tagEpc(1 + (m % 7)).toString('hex'), a: 1 + (m % 4) });
    }
  });

  it('keeps reads of mixed sizes in order through many wraps', () => {
    const ring = new CaptureRing({ windowMs: 10 * MINUTE, maxBytes: 1000 });
    const read = (i: number): RawRead => ({
      readerId: 'r',
      kind: 'barcode',
      data: Buffer.alloc(1 + ((i * 37) % 120), i % 256),
      at: ORIGIN_AT + i,
      mono: i,
    });
    for (let i = 0; i < 5000; i++) ring.add(read(i));
    const got = linesOf(ring, 4999).map((l) => JSON.parse(l) as { t: number; d: string });
    const first = got[0]!.t - ORIGIN_AT;
    expect(got.map((g) => g.t - ORIGIN_AT)).toEqual(Array.from({ length: got.length }, (_, i) => first + i));
    expect(got.at(-1)!.t - ORIGIN_AT).toBe(4999);
    for (const g of got) expect(g.d).toBe(read(g.t - ORIGIN_AT).data.toString('hex'));
    const held = got.reduce((n, g) => n + RECORD_HEAD + g.d.length / 2, 0);
    expect(held).toBeLessThanOrEqual(1000);
    expect(ring.dropped).toBe(5000 - got.length);
  });
});
