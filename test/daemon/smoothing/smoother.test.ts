import { describe, expect, it } from 'vitest';
import { Smoother } from '../../../daemon/smoothing/smoother.js';

describe('Smoother', () => {
  it('starts one pass per unit per read point and suppresses repeats within the window', () => {
    const s = new Smoother({ maxTracked: 100 });
    expect(s.observe('rp1', 'u1', 0, 1000)).toBe(true);
    expect(s.observe('rp1', 'u1', 500, 1000)).toBe(false);
    expect(s.observe('rp1', 'u1', 1400, 1000)).toBe(false); // window slides from the last read
    expect(s.observe('rp2', 'u1', 1400, 1000)).toBe(true); // another read point is another pass
    expect(s.observe('rp1', 'u2', 1400, 1000)).toBe(true);
    expect(s.observe('rp1', 'u1', 2401, 1000)).toBe(true); // quiet for longer than the window
    expect(s.stats()).toEqual({ tracked: 3, passes: 4, suppressed: 2, evicted: 0 });
  });

  it('treats a window of 0 as no suppression except for the very same instant', () => {
    const s = new Smoother({ maxTracked: 10 });
    expect(s.observe('rp', 'u', 10, 0)).toBe(true);
    expect(s.observe('rp', 'u', 10.5, 0)).toBe(true);
  });

  it('never suppresses when the monotonic time goes backwards (a new clock source)', () => {
    const s = new Smoother({ maxTracked: 10 });
    expect(s.observe('rp', 'u', 1000, 5000)).toBe(true);
    expect(s.observe('rp', 'u', 10, 5000)).toBe(true);
  });

  it('stays bounded: the least recently read unit is evicted first and counted', () => {
    const s = new Smoother({ maxTracked: 3 });
    for (const u of ['a', 'b', 'c']) s.observe('rp', u, 0, 1000);
    s.observe('rp', 'a', 10, 1000); // a is now the most recent
    s.observe('rp', 'd', 20, 1000); // evicts b
    expect(s.stats().tracked).toBe(3);
    expect(s.stats().evicted).toBe(1);
    expect(s.observe('rp', 'a', 30, 1000)).toBe(false);
    expect(s.observe('rp', 'b', 30, 1000)).toBe(true);
  });

  it('holds a million units within a bounded number of entries', () => {
    const s = new Smoother({ maxTracked: 1000 });
    for (let i = 0; i < 1_000_000; i++) s.observe('rp', `u${i}`, i, 1e9);
    expect(s.stats()).toEqual({ tracked: 1000, passes: 1_000_000, suppressed: 0, evicted: 999_000 });
  });

  it('prunes ended passes', () => {
    const s = new Smoother({ maxTracked: 100 });
    s.observe('rp', 'a', 0, 100);
    s.observe('rp', 'b', 50, 1000);
    expect(s.prune(200)).toBe(1);
    expect(s.stats().tracked).toBe(1);
    expect(s.observe('rp', 'b', 300, 1000)).toBe(false);
  });
});
