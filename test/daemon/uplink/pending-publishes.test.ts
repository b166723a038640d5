import { describe, expect, it } from 'vitest';
import { PendingPublishes, type Settled } from '../../../daemon/uplink/pending-publishes.js';

/** A callback that records its name and error in `calls`. */
const recorder =
  (calls: string[]) =>
  (name: string): Settled =>
  (err) =>
    calls.push(err ? `${name}:${err.message}` : name);

describe('PendingPublishes', () => {
  it('settles each publish once, in any order, and counts what is pending', () => {
    const calls: string[] = [];
    const cb = recorder(calls);
    const p = new PendingPublishes();
    const a = p.add(cb('a'), 1);
    const b = p.add(cb('b'), 2);
    const c = p.add(cb('c'), 3);
    expect(p.size).toBe(3);
    expect(p.sentAtOf(b)).toBe(2);
    p.take(b)?.();
    expect(p.take(b)).toBeUndefined();
    expect(p.sentAtOf(b)).toBeNaN();
    p.take(a)?.();
    p.take(c)?.();
    expect(calls).toEqual(['b', 'a', 'c']);
    expect(p.size).toBe(0);
  });

  it('keeps every publish when one stays unacknowledged while thousands after it settle', () => {
    const calls: string[] = [];
    const cb = recorder(calls);
    const p = new PendingPublishes();
    const stuck = p.add(cb('stuck'), 0.5);
    const held: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = p.add(cb(`e${i}`), i);
      // Every fifth stays pending across the ring's growth; the others settle at once.
      if (i % 5 === 0) held.push(t);
      else p.take(t)?.();
    }
    expect(p.size).toBe(1 + held.length);
    expect(p.sentAtOf(stuck)).toBe(0.5);
    expect(p.sentAtOf(held[7]!)).toBe(35);
    calls.length = 0;
    for (const t of held.slice(0, 3)) p.take(t)?.();
    expect(calls).toEqual(['e0', 'e5', 'e10']);
    calls.length = 0;
    for (const settled of p.takeAll()) settled(new Error('gone'));
    expect(calls[0]).toBe('stuck:gone');
    expect(calls[1]).toBe('e15:gone');
    expect(calls).toHaveLength(held.length - 3 + 1);
    expect(p.size).toBe(0);
    expect(p.take(stuck)).toBeUndefined();
  });

  it('reuses its slots for a window that settles in order', () => {
    const calls: string[] = [];
    const cb = recorder(calls);
    const p = new PendingPublishes();
    const window: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      window.push(p.add(cb(`e${i}`), i));
      if (window.length === 100) p.take(window.shift()!)?.();
    }
    expect(p.size).toBe(99);
    expect(calls).toHaveLength(100_000 - 99);
    expect(calls.at(-1)).toBe(`e${100_000 - 100}`);
    expect(p.sentAtOf(window[0]!)).toBe(100_000 - 99);
  });
});
