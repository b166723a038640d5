/** Failed logins per source address: blocked after a run of failures, for longer each time, bounded memory. */
import { describe, expect, it } from 'vitest';
import { ClientIds } from '../../../daemon/broker/client-ids.js';
import { LoginThrottle } from '../../../daemon/broker/login-throttle.js';

function throttle(maxAddresses = 100) {
  const clock = { now: 0 };
  const t = new LoginThrottle({
    failures: 3,
    windowMs: 1000,
    blockMs: 100,
    maxBlockMs: 350,
    maxAddresses,
    now: () => clock.now,
  });
  return { t, clock };
}

describe('LoginThrottle', () => {
  it('blocks an address after the failures within the window, doubling each block up to the cap', () => {
    const { t, clock } = throttle();
    expect([t.failed('a'), t.failed('a')]).toEqual([0, 0]);
    expect(t.blockedFor('a')).toBe(0);
    expect(t.failed('a')).toBe(100);
    expect(t.blockedFor('a')).toBe(100);
    expect(t.blockedFor('b')).toBe(0);
    clock.now = 60;
    expect(t.blockedFor('a')).toBe(40);
    clock.now = 100;
    expect(t.blockedFor('a')).toBe(0);
    expect([t.failed('a'), t.failed('a'), t.failed('a')]).toEqual([0, 0, 200]);
    clock.now = 300;
    expect([t.failed('a'), t.failed('a'), t.failed('a')]).toEqual([0, 0, 350]);
  });

  it('forgets failures outside the window and after a success', () => {
    const { t, clock } = throttle();
    t.failed('a');
    t.failed('a');
    clock.now = 1001;
    expect([t.failed('a'), t.failed('a')]).toEqual([0, 0]);
    t.succeeded('a');
    expect([t.failed('a'), t.failed('a')]).toEqual([0, 0]);
    expect(t.failed('a')).toBe(100);
  });

  it('remembers at most maxAddresses, the least recently seen forgotten first', () => {
    const { t } = throttle(2);
    for (const a of ['a', 'b', 'c']) t.failed(a);
    expect(t.size).toBe(2);
    t.failed('b');
    t.failed('b');
    expect(t.blockedFor('b')).toBe(100);
  });
});

describe('ClientIds', () => {
  it('keeps a reserved id for its login, and a live id for the login holding it', () => {
    const ids = new ClientIds();
    ids.reserve('readpoint-s-gw', 'gateway');
    expect(ids.heldAgainst('readpoint-s-gw', 'anonymous', undefined)).toBe('gateway');
    expect(ids.heldAgainst('readpoint-s-gw', 'gateway', 'gateway')).toBeUndefined();
    expect(ids.heldAgainst('dash-1', 'anonymous', 'consumer:erp')).toBe('consumer:erp');
    expect(ids.heldAgainst('dash-1', 'consumer:erp', 'consumer:erp')).toBeUndefined();
    expect(ids.heldAgainst('free', 'anonymous', undefined)).toBeUndefined();
  });

  it('keeps the last few ids of a login and frees them all when it is released', () => {
    const ids = new ClientIds();
    for (let i = 1; i <= 6; i++) ids.reserve(`r-${i}`, 'reader:door-1');
    const held = (id: string) => ids.heldAgainst(id, 'anonymous', undefined);
    expect(['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6'].map(held)).toEqual([
      undefined,
      undefined,
      'reader:door-1',
      'reader:door-1',
      'reader:door-1',
      'reader:door-1',
    ]);
    ids.release('reader:door-1');
    expect(held('r-6')).toBeUndefined();
  });
});
