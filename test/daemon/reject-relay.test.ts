/**
 * RejectRelay (daemon/reject-relay.ts) with a hand-driven clock: a burst at once, then a steady
 * rate; the rejects held back are counted exactly in the next published one; a burst's last
 * reject goes out once a token is due, and on close; an uplink that cannot take a reject loses
 * none of the counts.
 */
import { describe, expect, it } from 'vitest';
import type { RejectPayload } from '../../daemon/contract/topics.js';
import { RejectRelay } from '../../daemon/reject-relay.js';
import { FakeClock } from '../support/fake-clock.js';
import { rejectErrors } from '../support/schemas.js';

function reject(n: number, code = 'non-printable'): RejectPayload {
  return {
    gateway: 'gw',
    reader: 'scanner-1',
    time: new Date(n).toISOString(),
    code,
    message: `reject ${n}`,
    rawHex: n.toString(16).padStart(2, '0'),
    rawLength: 1,
  };
}

function setup(burst: number, perSecond: number) {
  const clock = new FakeClock();
  const sent: { at: number; message: RejectPayload }[] = [];
  let up = true;
  const relay = new RejectRelay(
    (message) => {
      if (!up) return false;
      sent.push({ at: clock.time, message });
      return true;
    },
    { burst, perSecond, clock },
  );
  /** Rejects the published messages stand for, in all and by code. */
  const accounted = () => {
    const byCode: Record<string, number> = {};
    let total = 0;
    for (const { message: m } of sent) {
      total += 1 + (m.skipped?.total ?? 0);
      byCode[m.code] = (byCode[m.code] ?? 0) + 1;
      for (const [code, n] of Object.entries(m.skipped?.byCode ?? {})) byCode[code] = (byCode[code] ?? 0) + n;
    }
    return { total, byCode };
  };
  return { relay, clock, sent, accounted, setUp: (v: boolean) => (up = v) };
}

describe('RejectRelay', () => {
  it('publishes a burst at once, holds the rest and publishes the latest with the count of the others', () => {
    const { relay, clock, sent, accounted } = setup(3, 2);
    for (let n = 1; n <= 10; n++) relay.offer(reject(n, n % 2 === 0 ? 'overlong' : 'non-printable'));
    expect(sent.map((s) => s.message.message)).toEqual(['reject 1', 'reject 2', 'reject 3']);
    expect(sent.every((s) => s.message.skipped === undefined)).toBe(true);
    expect(relay.pending).toBe(7);

    // The next token is due after 1 / perSecond: the burst's last reject goes out with the count.
    clock.advance(499);
    expect(sent).toHaveLength(3);
    clock.advance(1);
    expect(sent).toHaveLength(4);
    expect(sent[3]).toEqual({
      at: 500,
      message: {
        ...reject(10, 'overlong'),
        skipped: { total: 6, byCode: { 'non-printable': 3, overlong: 3 } },
      },
    });
    expect(relay.pending).toBe(0);
    expect(accounted()).toEqual({ total: 10, byCode: { 'non-printable': 5, overlong: 5 } });
    expect(clock.pending).toBe(0); // nothing held, no timer left
    expect(sent.flatMap((s) => rejectErrors(s.message))).toEqual([]);
  });

  it('keeps a steady flood to the burst plus the rate, and its messages add up to every reject', () => {
    const { relay, clock, sent, accounted } = setup(20, 5);
    let offered = 0;
    for (let ms = 0; ms < 60_000; ms++) {
      relay.offer(reject(ms, ms % 3 === 0 ? 'overlong' : 'check-digit'));
      offered++;
      clock.advance(1);
    }
    // Within 60 s: the burst, then one every 200 ms.
    expect(sent.length).toBeLessThanOrEqual(20 + 5 * 60);
    expect(sent.length).toBeGreaterThanOrEqual(20 + 5 * 60 - 1);
    clock.advance(200); // the flood ended: its last reject goes out once a token is due
    expect(relay.pending).toBe(0);
    expect(accounted()).toEqual({ total: offered, byCode: { overlong: 20_000, 'check-digit': 40_000 } });
    // Steady state: no two messages closer than a token apart once the burst is spent.
    const gaps = sent.slice(21).map((s, i) => s.at - sent[20 + i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
  });

  it('refills the bucket while quiet, up to the burst', () => {
    const { relay, clock, sent } = setup(4, 1);
    for (let n = 0; n < 4; n++) relay.offer(reject(n));
    clock.advance(2500); // 2.5 tokens back
    for (let n = 4; n < 8; n++) relay.offer(reject(n));
    expect(sent.map((s) => s.message.message)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `reject ${n}`));
    clock.advance(600_000); // a long quiet spell refills to the burst, no more
    for (let n = 8; n < 20; n++) relay.offer(reject(n));
    expect(sent).toHaveLength(6 + 1 + 4); // the held one (7, counting 6) at the next token, then 4
    expect(sent[6]!.message).toEqual({ ...reject(7), skipped: { total: 1, byCode: { 'non-printable': 1 } } });
  });

  it('publishes the held reject on close, beyond the rate, and nothing is left', () => {
    const { relay, clock, sent, accounted } = setup(1, 1);
    for (let n = 0; n < 5; n++) relay.offer(reject(n));
    expect(sent).toHaveLength(1);
    relay.close();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.message.skipped).toEqual({ total: 3, byCode: { 'non-printable': 3 } });
    expect(accounted().total).toBe(5);
    expect(clock.pending).toBe(0);
    relay.close(); // twice: nothing more
    expect(sent).toHaveLength(2);
  });

  it('keeps the counts while the uplink cannot take a reject, and reports them with the next one', () => {
    const { relay, clock, sent, accounted, setUp } = setup(2, 10);
    relay.offer(reject(1));
    setUp(false);
    for (let n = 2; n <= 50; n++) {
      relay.offer(reject(n, 'overlong'));
      clock.advance(50);
    }
    expect(sent).toHaveLength(1);
    expect(relay.pending).toBe(49);
    setUp(true);
    relay.offer(reject(51));
    clock.advance(100); // within a token: published, carrying the 49 before it
    expect(sent).toHaveLength(2);
    expect(sent[1]!.message.message).toBe('reject 51');
    expect(sent[1]!.message.skipped).toEqual({ total: 49, byCode: { overlong: 49 } });
    expect(accounted()).toEqual({ total: 51, byCode: { 'non-printable': 2, overlong: 49 } });
  });

  it('refuses a bucket that could publish nothing', () => {
    const publish = () => true;
    expect(() => new RejectRelay(publish, { burst: 0, perSecond: 1 })).toThrow(TypeError);
    expect(() => new RejectRelay(publish, { burst: 1.5, perSecond: 1 })).toThrow(TypeError);
    expect(() => new RejectRelay(publish, { burst: 1, perSecond: 0 })).toThrow(TypeError);
    expect(() => new RejectRelay(publish, { burst: 1, perSecond: Number.NaN })).toThrow(TypeError);
  });
});
