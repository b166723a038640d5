import { describe, expect, it } from 'vitest';
import { type CpuProfile, formatSummary, packageOf, selfTimes, summarizeProfile } from './profile-summary.js';

const round = (n: number) => Math.round(n * 1e6) / 1e6;
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/** Root -> idle, GC, and three functions; samples every 100 µs from t = 1,000. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(garbage collector)') },
    { id: 4, callFrame: frame('build', 'file:///srv/readpoint/dist/daemon/read-points.js', 69) },
    {
      id: 5,
      callFrame: frame('handleAck', 'file:///srv/readpoint/node_modules/mqtt/build/lib/handlers/ack.js', 55),
    },
    { id: 6, callFrame: frame('_write', 'file:///x/node_modules/@scope/pkg/lib/w.js', 9) },
    { id: 7, callFrame: frame('stringify') },
    { id: 8, callFrame: frame('digest', 'node:internal/crypto/hash', 149) },
  ],
  startTime: 1000,
  // Sample i is taken at 1,000 + 100 (i + 1) and lasts until the next; the last until endTime.
  samples: [4, 4, 4, 5, 2, 2, 3, 6, 7, 8],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
  endTime: 2200,
};

describe('packageOf', () => {
  it('names readpoint folders, packages (scoped too), Node core, V8 and the GC', () => {
    expect(packageOf(profile.nodes[3]!.callFrame)).toBe('readpoint daemon/');
    expect(packageOf(profile.nodes[4]!.callFrame)).toBe('mqtt');
    expect(packageOf(profile.nodes[5]!.callFrame)).toBe('@scope/pkg');
    expect(packageOf(profile.nodes[6]!.callFrame)).toBe('V8 builtins and native addons');
    expect(packageOf(profile.nodes[7]!.callFrame)).toBe('Node core');
    expect(packageOf(profile.nodes[2]!.callFrame)).toBe('garbage collector');
    expect(packageOf(frame('(program)'))).toBe('(program)');
    expect(packageOf(frame('x', 'file:///srv/readpoint/dist/daemon/outbox/level-outbox.js'))).toBe(
      'readpoint daemon/outbox/',
    );
  });
});

describe('selfTimes', () => {
  it('gives each sample the time until the next, the last until the end', () => {
    const self = selfTimes(profile);
    expect(self.get(4)).toBe(300);
    expect(self.get(5)).toBe(100);
    expect(self.get(2)).toBe(200);
    expect(self.get(8)).toBe(200); // taken at 2,000, the profile ends at 2,200
  });

  it('keeps only the samples taken within the window', () => {
    const self = selfTimes(profile, 1150, 1450);
    expect([...self]).toEqual([
      [4, 200],
      [5, 100],
    ]);
  });
});

describe('summarizeProfile', () => {
  it('sums self time per package and function, leaves idle out, and ranks them', () => {
    const s = summarizeProfile(profile, { events: 4 });
    expect(s.busyMs).toBeCloseTo(0.9); // 1,100 µs sampled, 200 of them idle
    expect(s.usPerEvent).toBe(225);
    expect(s.sampledUsPerEvent).toBe(225);
    // Equal times keep the order the profile first gives them in.
    expect(s.packages.map((p) => [p.name, round(p.usPerEvent)])).toEqual([
      ['readpoint daemon/', 75],
      ['Node core', 50],
      ['garbage collector', 25],
      ['mqtt', 25],
      ['@scope/pkg', 25],
      ['V8 builtins and native addons', 25],
    ]);
    expect(s.functions[0]).toEqual({
      name: 'build daemon/read-points.js:70',
      pkg: 'readpoint daemon/',
      ms: 0.3,
      usPerEvent: 75,
      share: 1 / 3,
    });
    expect(s.functions.map((f) => f.name)).not.toContain('(idle)');
  });

  it('shares out the main thread CPU per event when given, and keeps the top rows', () => {
    const s = summarizeProfile(profile, { events: 4, mainUs: 90, top: 2 });
    expect(s.usPerEvent).toBe(90);
    expect(s.sampledUsPerEvent).toBe(225);
    expect(s.packages.map((p) => [p.name, round(p.usPerEvent)])).toEqual([
      ['readpoint daemon/', 30],
      ['Node core', 20],
    ]);
    expect(s.functions).toHaveLength(2);
    const text = formatSummary(s);
    expect(text).toContain('| readpoint daemon/ | 30.00 | 33.3 % |');
    expect(text).toContain('| `build daemon/read-points.js:70` | readpoint daemon/ | 30.00 | 33.3 % |');
    expect(text).toContain('Main thread CPU 90.00 µs per event');
  });
});
