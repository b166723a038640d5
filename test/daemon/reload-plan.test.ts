import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.js';
import { describePlan, planReload } from '../../daemon/reload-plan.js';

const base = {
  gateway: 'gateway: { id: gw-1, site: site-1 }',
  uplink: 'uplink: { url: "mqtt://127.0.0.1:1883", healthIntervalS: 30 }',
  points: `readPoints:
  - { id: line-1 }
  - { id: dock-1, suppressionS: 5 }`,
  readers: `readers:
  - { id: scan-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: line-1 }
  - { id: scan-2, driver: serial-line, path: /dev/ttyUSB1, readPoint: dock-1 }`,
  extra: '',
};

const config = (over: Partial<typeof base> = {}) =>
  parseConfig(Object.values({ ...base, ...over }).join('\n'), 'f.yaml', {});

describe('planReload', () => {
  it('sees nothing to do in the same file', () => {
    const plan = planReload(config(), config());
    expect(plan.unchanged).toBe(true);
    expect(describePlan(plan)).toBe('nothing changed');
  });

  it('names readers added, removed and changed, and leaves the others alone', () => {
    const next = config({
      readers: `readers:
  - { id: scan-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: line-1 }
  - { id: scan-2, driver: serial-line, path: /dev/ttyUSB1, readPoint: dock-1, baudRate: 115200 }
  - { id: scan-3, driver: serial-line, path: /dev/ttyUSB2, readPoint: line-1 }`,
    });
    const plan = planReload(config(), next);
    expect(plan.restartNeeded).toEqual([]);
    expect(plan.readers.added.map((r) => r.id)).toEqual(['scan-3']);
    expect(plan.readers.removed).toEqual([]);
    expect(plan.readers.changed.map((r) => r.id)).toEqual(['scan-2']);
    expect(plan.uplink).toBe(false);
    expect(describePlan(plan)).toBe('readers added: scan-3; readers changed: scan-2');
    const fewer = planReload(next, config());
    expect(fewer.readers.removed).toEqual(['scan-3']);
  });

  it('sees a read point change through an inherited smoothing default', () => {
    const plan = planReload(config(), config({ extra: 'smoothing: { suppressionS: 3 }' }));
    // dock-1 has its own suppressionS; line-1 inherits the default.
    expect(plan.readPoints).toEqual({ added: [], removed: [], changed: ['line-1'] });
    expect(plan.restartNeeded).toEqual([]);
  });

  it('reconnects the uplink for a new broker or login, not for a new health interval', () => {
    const moved = planReload(config(), config({ uplink: 'uplink: { url: "mqtt://10.0.0.5:1883" }' }));
    expect(moved.uplink).toBe(true);
    expect(moved.jobs).toBe(false);
    const paced = planReload(
      config(),
      config({ uplink: 'uplink: { url: "mqtt://127.0.0.1:1883", healthIntervalS: 5 }' }),
    );
    expect(paced.uplink).toBe(false);
    expect(paced.jobs).toBe(true);
    expect(describePlan(paced)).toBe('jobs rescheduled');
  });

  it('changes the log level in place', () => {
    const plan = planReload(config(), config({ extra: 'log: { level: debug }' }));
    expect(plan).toMatchObject({ logLevel: true, uplink: false, jobs: false, restartNeeded: [] });
    expect(describePlan(plan)).toBe('log level changed');
  });

  it('refuses what needs a restart, naming every field', () => {
    const plan = planReload(
      config(),
      config({
        gateway: 'gateway: { id: gw-2, site: site-1 }',
        extra: 'dataDir: /var/lib/other\noutbox: { maxEvents: 5000 }\nsmoothing: { maxTracked: 500 }',
      }),
    );
    expect(plan.restartNeeded).toEqual(['gateway', 'dataDir', 'outbox', 'smoothing.maxTracked']);
    const prefix = planReload(
      config(),
      config({ uplink: 'uplink: { url: "mqtt://127.0.0.1:1883", topicPrefix: acme/v1 }' }),
    );
    expect(prefix.restartNeeded).toEqual(['uplink.topicPrefix']);
    expect(prefix.uplink).toBe(false);
    const rejects = planReload(config(), config({ extra: 'rejects: { perSecond: 1 }' }));
    expect(rejects.restartNeeded).toEqual(['rejects']);
    const where = planReload(config(), config({ extra: 'where: { maxUnits: 5000 }' }));
    expect(where.restartNeeded).toEqual(['where']);
  });

  it('refuses a change of a pack station or of a reader scanning there, and lets other read points change', () => {
    const packing = (point: string, reader = '') => ({
      points: `readPoints:
  - { id: line-1 }
  - { id: dock-1, ${point} }`,
      readers: `readers:
  - { id: scan-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: line-1 }
  - { id: scan-2, driver: serial-line, path: /dev/ttyUSB1, readPoint: dock-1${reader} }`,
    });
    const running = config(packing('mode: pack, pack: { closeCode: C1 }'));
    const need = (over: Partial<typeof base>) => planReload(running, config(over)).restartNeeded;
    const why = ['pack stations (their read points or readers)'];
    expect(need(packing('mode: pack, pack: { closeCode: C2 }'))).toEqual(why);
    expect(need(packing('mode: pack, pack: { closeCode: C1 }, bizStep: packing'))).toEqual(why);
    expect(need(packing('suppressionS: 5'))).toEqual(why);
    expect(need(packing('mode: pack, pack: { closeCode: C1 }', ', multiReadSeparator: ";"'))).toEqual(why);
    expect(need(packing('mode: pack, pack: { closeCode: C1 }', ', baudRate: 115200'))).toEqual([]);
    expect(planReload(config(), config(packing('suppressionS: 2'))).restartNeeded).toEqual([]);
  });

  it('refuses a change of a read point context section or of its scanners, and lets other changes through', () => {
    const withContext = (context: string, reader = '') => ({
      points: `readPoints:
  - { id: line-1 }
  - { id: dock-1, ${context} }`,
      readers: `readers:
  - { id: scan-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: line-1${reader} }
  - { id: scan-2, driver: serial-line, path: /dev/ttyUSB1, readPoint: dock-1 }`,
    });
    const running = config(withContext('context: { scanners: [scan-1], clearCode: X }'));
    const need = (over: Partial<typeof base>) => planReload(running, config(over)).restartNeeded;
    const why = ['transaction contexts (read points with context, their scanners)'];
    expect(need(withContext('context: { scanners: [scan-1], clearCode: Y }'))).toEqual(why);
    expect(need(withContext('context: { scanners: [scan-1, scan-2], clearCode: X }'))).toEqual(why);
    expect(need(withContext('suppressionS: 5'))).toEqual(why);
    expect(
      need(withContext('context: { scanners: [scan-1], clearCode: X }', ', format: { data: gs1 }')),
    ).toEqual(why);
    expect(
      need(
        withContext('context: { scanners: [scan-1], clearCode: X }, suppressionS: 9', ', baudRate: 115200'),
      ),
    ).toEqual([]);
  });

  it('refuses a change of the holds section or of a read point hold signal', () => {
    const withHolds = (holds: string, signal = '') => ({
      points: `readPoints:
  - { id: line-1 }
  - { id: dock-1${signal} }`,
      extra: holds,
    });
    const running = config(
      withHolds('holds: { alertIntervalS: 60 }', ', holdSignal: { command: [/bin/true] }'),
    );
    const need = (over: Partial<typeof base>) => planReload(running, config(over)).restartNeeded;
    const why = ["holds (the holds section, read points' holdSignal)"];
    expect(need(withHolds('holds: { alertIntervalS: 5 }', ', holdSignal: { command: [/bin/true] }'))).toEqual(
      why,
    );
    expect(
      need(withHolds('holds: { alertIntervalS: 60 }', ', holdSignal: { command: [/bin/false] }')),
    ).toEqual(why);
    expect(need(withHolds('', ', holdSignal: { command: [/bin/true] }'))).toEqual(why);
    expect(
      need(
        withHolds('holds: { alertIntervalS: 60 }', ', holdSignal: { command: [/bin/true] }, suppressionS: 9'),
      ),
    ).toEqual([]);
  });

  it('takes a network reader whose login at the embedded broker changed as a changed reader, live', () => {
    const withGate = (password: string) =>
      config({
        readers: `${base.readers}
  - { id: gate, driver: impinj-r700, readPoint: dock-1, username: gate, password: ${password} }`,
      });
    const plan = planReload(withGate('one-secret'), withGate('two-secret'));
    expect(plan.restartNeeded).toEqual([]);
    expect(plan.readers.changed.map((r) => r.id)).toEqual(['gate']);
    expect(planReload(config(), withGate('one-secret')).readers.added.map((r) => r.id)).toEqual(['gate']);
  });

  it('rejects a cron expression that is not one, at its line', () => {
    try {
      config({ extra: 'jobs:\n  summary: "0 25 * * *"' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const [p] = (err as ConfigError).problems;
      expect(p).toMatchObject({ path: 'jobs.summary', line: 10, col: 12 });
      expect(p?.message).toMatch(/^not a cron expression: /);
    }
  });
});
