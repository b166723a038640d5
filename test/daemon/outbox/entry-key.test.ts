/**
 * Entry keys are `e!` and the sequence number as 16 lowercase hex digits: stores written before
 * hold their entries under exactly these keys, and keys must sort by sequence.
 */
import { describe, expect, it } from 'vitest';
import { seqOf } from '../../../daemon/outbox/batch-plan.js';
import { entryKey } from '../../../daemon/outbox/entry-key.js';

describe('entryKey', () => {
  it('writes the sequence as 16 zero-padded hex digits, across the 32-bit boundary and up to 2^53 - 1', () => {
    expect(entryKey(0)).toBe('e!0000000000000000');
    expect(entryKey(1)).toBe('e!0000000000000001');
    expect(entryKey(0xabcdef)).toBe('e!0000000000abcdef');
    expect(entryKey(0xffffffff)).toBe('e!00000000ffffffff');
    expect(entryKey(0x100000000)).toBe('e!0000000100000000');
    expect(entryKey(0x1234_5678_9abcd)).toBe('e!000123456789abcd');
    expect(entryKey(Number.MAX_SAFE_INTEGER)).toBe('e!001fffffffffffff');
  });

  it('gives the same key as the padded hex text for sequences spread over the whole range, in sort order', () => {
    const keys: string[] = [];
    for (let i = 0; i < 2000; i++) {
      // Dense at the low end, where stores live, and on up to the largest safe integer.
      const seq = Math.floor((Number.MAX_SAFE_INTEGER - 2000) * (i / 1999) ** 8) + i;
      const key = entryKey(seq);
      expect(key).toBe(`e!${seq.toString(16).padStart(16, '0')}`);
      expect(seqOf(key)).toBe(seq);
      keys.push(key);
    }
    expect(keys.length).toBe(2000);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
