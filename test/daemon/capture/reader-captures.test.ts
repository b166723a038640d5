/**
 * The daemon's side of `readpoint record` (capture/reader-captures.ts), through its control
 * commands and a real ReadTaps: a session takes only its reader's reads, in order, is answered in
 * bounded pages, drops what it cannot hold and says how many, and leaves the read path when done.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { readLine } from '../../../daemon/capture/capture-format.js';
import {
  ANSWER_MAX_BYTES,
  type CaptureAnswer,
  MAX_SESSIONS,
  ReaderCaptures,
  SESSION_MAX_BYTES,
} from '../../../daemon/capture/reader-captures.js';
import type { ControlHandler } from '../../../daemon/inventory/control.js';
import { ReadTaps } from '../../../daemon/taps/read-taps.js';
import { ORIGIN_AT, tagRead } from '../../support/captures.js';

const config = parseConfig(
  `gateway: { id: gw, site: s }
readPoints: [{ id: dock-1 }]
readers:
  - { id: rfid-1, driver: thingmagic, path: /dev/null, region: NA2, readPoint: dock-1 }
  - { id: rfid-2, driver: thingmagic, path: /dev/null, region: NA2, readPoint: dock-1, capture: { ringMinutes: 1 } }
`,
  't.yaml',
);

function setup() {
  const taps = new ReadTaps();
  const captures = new ReaderCaptures('gw', taps, config.readers);
  const handlers = new Map<string, ControlHandler>();
  captures.register({ register: (name, handler) => handlers.set(name, handler) });
  const ask = (command: string, args: unknown) => handlers.get(command)!(args);
  return { taps, captures, ask };
}

/** The reads' offsets in the test capture, from their wall-clock times (the lines' `m` count from the daemon's start). */
const ms = (lines: readonly string[]) => lines.map((l) => (JSON.parse(l) as { t: number }).t - ORIGIN_AT);

describe('reader captures', () => {
  it("keeps a session's reader's reads in order, pages them, and leaves the read path at stop", async () => {
    const { taps, ask } = setup();
    // Only the ring of rfid-2 watches before a session starts.
    expect(taps.wantsRaw).toBe(true);
    const { session, header } = (await ask('capture.start', { reader: 'rfid-1' })) as {
      session: string;
      header: { source: string; reader: { id: string } };
    };
    expect(header).toMatchObject({ source: 'daemon', reader: { id: 'rfid-1' } });
    for (let i = 0; i < 3; i++) {
      taps.raw(tagRead(1, i, 1, -50, 'rfid-1'));
      taps.raw(tagRead(2, i, 1, -50, 'rfid-2'));
    }
    const first = (await ask('capture.next', { session })) as CaptureAnswer;
    expect(ms(first.lines)).toEqual([0, 1, 2]);
    expect(first).toMatchObject({ reads: 3, dropped: 0, ended: false });
    expect((await ask('capture.next', { session })) as CaptureAnswer).toMatchObject({ lines: [], reads: 3 });
    taps.raw(tagRead(1, 3, 1, -50, 'rfid-1'));
    const last = (await ask('capture.stop', { session })) as CaptureAnswer;
    expect(ms(last.lines)).toEqual([3]);
    expect(last).toMatchObject({ reads: 4, dropped: 0, ended: true });
    await expect(ask('capture.next', { session })).rejects.toThrow(`no capture session ${session}`);
  });

  it('drops reads past its bound and counts them, and answers at most a page at a time', async () => {
    const { taps, ask } = setup();
    const { session } = (await ask('capture.start', { reader: 'rfid-1' })) as { session: string };
    let fed = 0;
    // Twice what the session holds, with no `capture.next` in between.
    const total = Math.ceil((2 * SESSION_MAX_BYTES) / readBytes(0));
    for (; fed < total; fed++) taps.raw(tagRead(1, fed, 1, -50, 'rfid-1'));
    let answer = (await ask('capture.next', { session })) as CaptureAnswer;
    expect(answer.dropped).toBeGreaterThan(0);
    expect(answer.reads + answer.dropped).toBe(total);
    const pageBytes = answer.lines.reduce((n, l) => n + l.length + 1, 0);
    expect(pageBytes).toBeLessThanOrEqual(ANSWER_MAX_BYTES);
    // The reads kept are the first ones, in order, with no gap among them.
    const got = ms(answer.lines);
    while (!answer.ended) {
      answer = (await ask(answer.lines.length > 0 ? 'capture.next' : 'capture.stop', {
        session,
      })) as CaptureAnswer;
      got.push(...ms(answer.lines));
    }
    expect(got).toHaveLength(answer.reads);
    expect(got.filter((m, i) => m !== i)).toEqual([]);
    expect(got.reduce((n, m) => n + readBytes(m), 0)).toBeLessThanOrEqual(SESSION_MAX_BYTES);
  });

  it("writes a reader's ring as a finished session, and refuses what it cannot do", async () => {
    const { taps, ask } = setup();
    for (let i = 0; i < 5; i++) taps.raw(tagRead(7, performance.now(), 2, -60, 'rfid-2'));
    const ring = (await ask('capture.ring', { reader: 'rfid-2' })) as {
      session: string;
      header: object;
      dropped: number;
    };
    expect(ring.header).toMatchObject({
      source: 'ring',
      reader: { id: 'rfid-2', capture: { ringMinutes: 1, ringMaxMb: 16 } },
    });
    const answer = (await ask('capture.next', { session: ring.session })) as CaptureAnswer;
    expect(answer).toMatchObject({ reads: 5, dropped: 0, ended: true });
    expect(answer.lines).toHaveLength(5);
    await expect(ask('capture.ring', { reader: 'rfid-1' })).rejects.toThrow(
      'reader rfid-1 keeps no ring: set capture.ringMinutes on it',
    );
    await expect(ask('capture.start', { reader: 'rfid-9' })).rejects.toThrow(
      'no reader "rfid-9" on this gateway (its readers: rfid-1, rfid-2)',
    );
    await expect(ask('capture.start', {})).rejects.toThrow('give the reader');
    for (let i = 0; i < MAX_SESSIONS; i++) await ask('capture.start', { reader: 'rfid-1' });
    await expect(ask('capture.start', { reader: 'rfid-1' })).rejects.toThrow(
      `${MAX_SESSIONS} captures are running already`,
    );
  });

  it('leaves the read path when no session runs and no reader keeps a ring', () => {
    const taps = new ReadTaps();
    const captures = new ReaderCaptures('gw', taps, config.readers);
    expect(taps.wantsRaw).toBe(true);
    captures.reconfigure([config.readers[0]!]);
    expect(taps.wantsRaw).toBe(false);
  });
});

/** The bytes a read line at offset `m` takes in a session (its line and newline). */
function readBytes(m: number): number {
  return readLine(tagRead(1, m, 1, -50, 'rfid-1'), 0).length + 1;
}
