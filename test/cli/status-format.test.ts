/** `readpoint status`'s verdict and block for people, from fixed health reports (pure). */
import { describe, expect, it } from 'vitest';
import { parseHealth, statusTimeoutMs } from '../../daemon/cli/status.js';
import { duration, formatStatus, STATUS_EXIT, statusVerdict } from '../../daemon/cli/status-format.js';
import type { HealthPayload } from '../../daemon/contract/topics.js';

const NOW = Date.parse('2026-12-06T10:00:10Z');

const health = (over: Partial<HealthPayload> = {}): HealthPayload => ({
  gateway: 'gw-1',
  site: 'dc-1',
  time: '2026-12-06T10:00:00.000Z',
  uptimeS: 7500,
  readers: [
    {
      id: 'conveyor-scanner',
      driver: 'serial-line',
      state: 'connected',
      connected: true,
      reads: 1234,
      rejects: 3,
      reconnects: 0,
      readsPerMin: 42.5,
      errors: 0,
      rejectsByCode: { overlong: 1, 'check-digit': 2 },
      lastReadAgeS: 2,
    },
    {
      id: 'dock-rfid',
      driver: 'thingmagic',
      state: 'connected',
      connected: true,
      reads: 7,
      rejects: 0,
      reconnects: 1,
      readsPerMin: 0,
      errors: 1,
    },
  ],
  events: { published: 900, suppressedReads: 300, rejected: 3 },
  outbox: {
    depth: 12,
    bytes: 9000,
    oldestUndeliveredAgeS: 4,
    dropped: 0,
    lastSeq: 912,
    backlog: 12,
    policy: 'drop-oldest',
    appendRate: 2,
    ackRate: 1.5,
    runwayS: 7980,
    readingStopped: false,
    stalledS: 0,
    stalls: 0,
    held: 0,
    unannouncedDrops: 0,
    totalDropped: 0,
    quarantined: 0,
    replaying: false,
  },
  uplink: { state: 'connected', connects: 2, inflight: 1, rttMs: 4.2 },
  config: {
    generation: 2,
    loadedAt: '2026-12-06T08:00:00.000Z',
    reloads: 1,
    reloadFailures: 0,
    lastReload: { at: '2026-12-06T09:55:10.000Z', ok: true, message: 'readers: dock-rfid added' },
  },
  ...over,
});

const input = (over: Partial<Parameters<typeof statusVerdict>[0]> = {}) => ({
  gateway: 'gw-1',
  site: 'dc-1',
  status: 'online',
  health: health(),
  healthIntervalS: 30,
  now: NOW,
  ...over,
});

describe('statusVerdict', () => {
  it('is healthy when online with fresh health, every reader connected and the outbox writable', () => {
    expect(statusVerdict(input())).toEqual({ code: STATUS_EXIT.healthy, state: 'healthy', problems: [] });
  });

  it('names every problem of an online gateway: a reader down, stale health, a full or broken outbox', () => {
    const h = health();
    const down = { ...h.readers[1]!, state: 'disconnected', connected: false };
    expect(
      statusVerdict(
        input({
          health: {
            ...h,
            readers: [h.readers[0]!, down],
            outbox: { ...h.outbox, readingStopped: true },
          },
          now: NOW + 70_000,
        }),
      ),
    ).toEqual({
      code: STATUS_EXIT.unhealthy,
      state: 'unhealthy',
      problems: [
        'no health for 1 min 20 s (expected every 30 s)',
        'reader dock-rfid disconnected',
        'readers held back: outbox full',
      ],
    });
    expect(
      statusVerdict(
        input({ health: { ...h, outbox: { ...h.outbox, writeError: 'ENOSPC', readingStopped: true } } }),
      ).problems,
    ).toEqual(['outbox cannot be written']);
  });

  it('counts health as stale only past two missed heartbeats and some slack', () => {
    expect(statusVerdict(input({ now: NOW + 54_000 })).code).toBe(STATUS_EXIT.healthy);
    expect(statusVerdict(input({ now: NOW + 56_000 })).code).toBe(STATUS_EXIT.unhealthy);
    const { healthIntervalS: _, ...noInterval } = input({ now: NOW + 3_600_000 });
    expect(statusVerdict(noInterval).code).toBe(STATUS_EXIT.healthy);
  });

  it('tells offline, no health and nothing retained apart', () => {
    expect(statusVerdict(input({ status: 'offline' }))).toEqual({
      code: STATUS_EXIT.offline,
      state: 'offline',
      problems: ['offline'],
    });
    const { health: _, ...noHealth } = input();
    expect(statusVerdict(noHealth)).toEqual({
      code: STATUS_EXIT.noHealth,
      state: 'unknown',
      problems: ['no health retained'],
    });
    const { status: __, ...nothing } = noHealth;
    expect(statusVerdict(nothing)).toEqual({
      code: STATUS_EXIT.noHealth,
      state: 'unknown',
      problems: ['nothing retained'],
    });
    expect(statusVerdict({ ...noHealth, status: 'offline' }).code).toBe(STATUS_EXIT.offline);
  });
});

describe('formatStatus', () => {
  it('prints a headline and one line per part, the readers in aligned columns', () => {
    const i = input();
    expect(formatStatus(i, statusVerdict(i), 'UTC')).toBe(
      [
        '● readpoint gw-1 at dc-1: online, healthy',
        '   Status: online',
        '   Health: 2026-12-06 10:00:00.000 (10 s ago), up 2 h 5 min',
        '   Uplink: connected, 2 connects, 1 in flight, rtt 4.2 ms',
        '   Outbox: 12 events undelivered, oldest 4 s, 0 dropped, drop-oldest',
        '           runway: full in 2 h 13 min at this rate (in 2/s, out 1.5/s)',
        '   Events: 900 published, 3 reads rejected',
        '   Config: generation 2, loaded 2026-12-06 08:00:00.000; last reload 5 min ago: applied: readers: dock-rfid added',
        '  Readers:',
        '    conveyor-scanner  serial-line  connected  1234 reads  42.5/min  3 rejects (check-digit 2, overlong 1)  last read 12 s ago',
        `    dock-rfid         thingmagic   connected     7 reads     0/min  ${'0 rejects'.padEnd(37)}  no read yet`,
        '',
      ].join('\n'),
    );
  });

  it('shows the memory against its budget and limit, and the standing warnings, one a line', () => {
    const i = input({
      health: health({
        memory: {
          budgetBytes: 128 * 1048576,
          ownBytes: 56_832_000,
          heapUsedBytes: 31_000_000,
          limitBytes: 200 * 1048576,
        },
        warnings: [
          'memory.budgetMb (128 MiB) and holds.indexMb (48 MiB) ... need 240 MiB',
          'anonymous\u001b[2J broker',
        ],
      }),
    });
    const lines = formatStatus(i, statusVerdict(i), 'UTC').split('\n');
    expect(statusVerdict(i).state).toBe('healthy');
    expect(
      lines.filter(
        (l) =>
          l.startsWith('   Memory') ||
          l.startsWith(' Warnings') ||
          l.startsWith('    memory') ||
          l.startsWith('    anonymous'),
      ),
    ).toEqual([
      '   Memory: 54.2 MiB own of a 128 MiB budget, limit 200 MiB',
      ' Warnings:',
      '    memory.budgetMb (128 MiB) and holds.indexMb (48 MiB) ... need 240 MiB',
      '    anonymous\\x1b[2J broker', // a control byte shown, not sent to the terminal
    ]);
    const holds = (indexBytes: number) =>
      input({
        health: health({
          inventory: { holds: { entries: { total: 52001 }, indexBytes, indexLimitBytes: 1048576 } },
        }),
      });
    const holdsLine = (i: ReturnType<typeof input>) =>
      formatStatus(i, statusVerdict(i), 'UTC')
        .split('\n')
        .find((l) => l.startsWith('    Holds'));
    expect(holdsLine(holds(2 * 1048576))).toBe(
      '    Holds: 52001 entries, index 2 MiB, over its 1 MiB (holds.indexMb): see Warnings',
    );
    expect(holdsLine(holds(524288))).toBe('    Holds: 52001 entries, index 0.5 MiB of its 1 MiB');
    const bare = input({ health: health({ memory: { budgetBytes: 64 * 1048576, heapUsedBytes: 1 } }) });
    expect(formatStatus(bare, statusVerdict(bare), 'UTC')).toContain(
      '   Memory: own unknown of a 64 MiB budget, no limit\n',
    );
  });

  it('says what is wrong in the headline and shows the offline gateway its last health', () => {
    const h = health();
    const bad = input({
      health: {
        ...h,
        readers: [
          { ...h.readers[1]!, state: 'disconnected', connected: false, lastError: 'ENOENT\u001b[2J' },
        ],
        outbox: { ...h.outbox, runwayS: null, writeError: 'ENOSPC: no space left on device' },
      },
    });
    const text = formatStatus(bad, statusVerdict(bad), 'UTC').split('\n');
    expect(text[0]).toBe(
      '● readpoint gw-1 at dc-1: online, unhealthy: reader dock-rfid disconnected; outbox cannot be written',
    );
    expect(text).toContain('           runway: not filling (in 2/s, out 1.5/s)');
    expect(text).toContain('           cannot be written: ENOSPC: no space left on device');
    expect(text).toContain(
      '    dock-rfid  thingmagic  disconnected  7 reads  0/min  0 rejects  no read yet  error: ENOENT\\x1b[2J',
    );

    const off = input({ status: 'offline', now: NOW + 3_600_000 });
    const lines = formatStatus(off, statusVerdict(off), 'UTC').split('\n');
    expect(lines[0]).toBe('○ readpoint gw-1 at dc-1: offline');
    expect(lines).toContain('   Health: 2026-12-06 10:00:00.000 (1 h ago), up 2 h 5 min');
    expect(lines.at(-2)).toBe(
      'The gateway is offline (stopped, or it cannot reach this broker): what is shown is its last health, 1 h old.',
    );
  });

  it('says what the broker holds when there is no health', () => {
    const { health: _, ...noHealth } = input();
    expect(formatStatus(noHealth, statusVerdict(noHealth))).toBe(
      '? readpoint gw-1 at dc-1: no health retained\n   Status: online\n\n' +
        'The broker holds its status but no health report: the gateway has not sent one to this broker yet.\n',
    );
  });
});

describe('duration', () => {
  it('reads like a person would say it', () => {
    expect([0, 59.4, 60, 185, 3600, 7980, 86_400, 97_200, 90_000].map(duration)).toEqual([
      '0 s',
      '59 s',
      '1 min',
      '3 min 5 s',
      '1 h',
      '2 h 13 min',
      '1 d',
      '1 d 3 h',
      '1 d 1 h',
    ]);
  });
});

describe('parseHealth and statusTimeoutMs', () => {
  it('takes a health report, and says what else a retained message is', () => {
    expect(parseHealth(JSON.stringify(health()))).toEqual(health());
    expect(parseHealth('online')).toBe('the retained health is not JSON');
    expect(parseHealth('{"readers": 3}')).toBe('the retained health is not a readpoint health report');
    expect(parseHealth('null')).toBe('the retained health is not a readpoint health report');
  });

  it('reads --timeout as seconds, 5 by default, and refuses anything else', () => {
    expect([undefined, '2', '0.5', '600'].map(statusTimeoutMs)).toEqual([5000, 2000, 500, 600_000]);
    for (const bad of ['0', '601', '-1', 'soon', '1e3', ''])
      expect(statusTimeoutMs(bad)).toBe(
        `--timeout ${JSON.stringify(bad)}: give seconds, more than 0 and at most 600`,
      );
  });
});
