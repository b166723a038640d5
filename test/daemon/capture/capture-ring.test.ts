/** The ring of a reader's last minutes (capture/capture-ring.ts): bounded by its window and by bytes. */
import { describe, expect, it } from 'vitest';
import { readLine } from '../../../daemon/capture/capture-format.js';
import { CaptureRing } from '../../../daemon/capture/capture-ring.js';
import { tagRead } from '../../support/captures.js';

const MINUTE = 60_000;
const line = (serial: number, m: number) => readLine(tagRead(serial, m, 1), 0);
const serialsIn = (lines: readonly string[]) =>
  lines.map((l) => JSON.parse(l) as { m: number }).map((r) => r.m);

describe('the capture ring', () => {
  it('holds the reads of the last N minutes and lets older ones go as time moves on', () => {
    const ring = new CaptureRing({ windowMs: 2 * MINUTE, maxBytes: 1 << 20 });
    // A read every 10 s for 5 minutes.
    for (let m = 0; m <= 5 * MINUTE; m += 10_000) ring.add(line(1, m), m);
    const kept = serialsIn(ring.snapshot(5 * MINUTE));
    expect(kept[0]).toBe(3 * MINUTE);
    expect(kept.at(-1)).toBe(5 * MINUTE);
    expect(kept).toHaveLength(13);
    // Nothing let go before its time: the bytes were never the limit.
    expect(ring.dropped).toBe(0);
    // A minute later with no read, the window holds a minute of them.
    expect(serialsIn(ring.snapshot(6 * MINUTE))).toEqual(
      Array.from({ length: 7 }, (_, i) => 4 * MINUTE + i * 10_000),
    );
    // Three minutes later, none.
    expect(ring.snapshot(8 * MINUTE + 1)).toEqual([]);
    expect(ring.bytes).toBe(0);
  });

  it('stays within its bytes, letting the oldest go early and counting them', () => {
    // Lines of the same length (five-digit offsets), so the bound is a count.
    const one = line(1, 19_999).length + 1;
    const ring = new CaptureRing({ windowMs: 10 * MINUTE, maxBytes: 50 * one });
    for (let i = 10_000; i < 20_000; i++) ring.add(line(1, i), i);
    expect(ring.size).toBe(50);
    expect(ring.bytes).toBeLessThanOrEqual(50 * one);
    expect(ring.dropped).toBe(10_000 - 50);
    expect(serialsIn(ring.snapshot(19_999))).toEqual(Array.from({ length: 50 }, (_, i) => 19_950 + i));
  });
});
