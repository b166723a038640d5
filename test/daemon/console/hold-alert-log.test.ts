/** The hold alerts the console keeps, and the listener list the holds feature tells them through. */
import { describe, expect, it } from 'vitest';
import { HoldAlertLog } from '../../../daemon/console/hold-alert-log.js';
import {
  HoldAlertListeners,
  type HoldAlertNotice,
  MAX_HOLD_ALERT_LISTENERS,
} from '../../../daemon/inventory/holds/hold-alert-listeners.js';

const notice = (n: number): HoldAlertNotice => ({
  unit: `urn:epc:id:sgtin:9506000.010001.${n}`,
  readPoint: 'dock-3',
  reader: 'sim-door',
  time: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  list: 'local',
  kind: 'unit',
  reason: 'recall',
  reference: `R-${n}`,
  sequence: n,
  eventSequence: 100 + n,
  repeated: 0,
});

describe('HoldAlertLog', () => {
  it('keeps the newest alerts, newest first, and counts them all', () => {
    const log = new HoldAlertLog(3);
    expect(log.recent()).toEqual([]);
    log.take(notice(1));
    log.take(notice(2));
    expect(log.recent()).toEqual([notice(2), notice(1)]);
    for (let n = 3; n <= 7; n++) log.take(notice(n));
    expect(log.recent()).toEqual([notice(7), notice(6), notice(5)]);
    expect(log.total).toBe(7);
  });
});

describe('HoldAlertListeners', () => {
  it('tells every listener in order, goes on past one that throws, and removes a listener', () => {
    const listeners = new HoldAlertListeners();
    const heard: string[] = [];
    const removeA = listeners.add((n) => heard.push(`a${n.sequence}`));
    listeners.add(() => {
      throw new Error('broken');
    });
    const log = new HoldAlertLog(4);
    listeners.add(log.take);
    listeners.notify(notice(1));
    removeA();
    removeA();
    listeners.notify(notice(2));
    expect(heard).toEqual(['a1']);
    expect(log.recent().map((n) => n.reference)).toEqual(['R-2', 'R-1']);
    expect(listeners.failures).toBe(2);
  });

  it('takes a bounded number of listeners', () => {
    const listeners = new HoldAlertListeners();
    for (let i = 0; i < MAX_HOLD_ALERT_LISTENERS; i++) listeners.add(() => {});
    expect(() => listeners.add(() => {})).toThrow(RangeError);
  });
});
