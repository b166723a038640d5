import { describe, expect, it } from 'vitest';
import { SeenNames } from '../../../daemon/cli/seen-names.js';

describe('SeenNames', () => {
  it('says yes to each name the first time only, through the table growing', () => {
    const seen = new SeenNames();
    const names = Array.from({ length: 200_000 }, (_, i) => `l|09506000134352|LOT${i}`);
    expect(names.filter((n) => seen.add(n))).toHaveLength(200_000);
    expect(seen.size).toBe(200_000);
    expect(names.filter((n) => seen.add(n))).toHaveLength(0);
    // Names alike but for a character, and the empty one, are names of their own.
    expect(['l|09506000134352|LOT1 ', 'l|09506000134352|lot1', ''].map((n) => seen.add(n))).toEqual([
      true,
      true,
      true,
    ]);
    expect(seen.add('')).toBe(false);
    expect(seen.size).toBe(200_003);
  });
});
