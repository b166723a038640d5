/** What appeared and what went missing between two sorted counts. */
import { describe, expect, it } from 'vitest';
import { sortedDiff } from '../../../../daemon/inventory/cycle-count/sorted-diff.js';

describe('sortedDiff', () => {
  it('finds the units only in the new count and only in the old one, in order', () => {
    expect(sortedDiff(['a', 'c', 'd', 'f'], ['b', 'c', 'e', 'f', 'g'])).toEqual({
      appeared: ['a', 'd'],
      missing: ['b', 'e', 'g'],
    });
    expect(sortedDiff([], ['a'])).toEqual({ appeared: [], missing: ['a'] });
    expect(sortedDiff(['a'], [])).toEqual({ appeared: ['a'], missing: [] });
    expect(sortedDiff(['a', 'b'], ['a', 'b'])).toEqual({ appeared: [], missing: [] });
  });

  it('agrees with set differences over URIs sorted by Array.sort (non-ASCII included)', () => {
    const uris = (n: number, salt: number) =>
      Array.from(
        { length: n },
        (_, i) => `https://id.gs1.org/01/09506000134352/21/S${(i * salt) % 997}é${i % 7}`,
      );
    const now = [...new Set(uris(400, 7))].sort();
    const before = [...new Set(uris(300, 11))].sort();
    expect(sortedDiff(now, before)).toEqual({
      appeared: now.filter((u) => !before.includes(u)),
      missing: before.filter((u) => !now.includes(u)),
    });
  });
});
