import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { rootLogger } from '../../daemon/log.js';
import { ReloadRecord } from '../../daemon/reload-record.js';
import { loggedLines } from '../support/logged-lines.js';

const running = parseConfig(
  `gateway: { id: gw-1, site: site-1 }
uplink: { url: "mqtts://gw-1:s3cret-pw@broker.example:8883" }
readPoints: [{ id: line-1 }]
readers: [{ id: scan-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: line-1 }]
`,
  'f.yaml',
  {},
);

describe('ReloadRecord', () => {
  it('counts applied and failed reloads, keeps the last outcome and logs each once', async () => {
    const { log, lines } = loggedLines();
    const record = new ReloadRecord(log);
    expect(record.snapshot()).toMatchObject({ generation: 1, reloads: 0, reloadFailures: 0 });
    expect(record.snapshot().lastReload).toBeUndefined();

    record.applied();
    expect(record.note(true, 'readers: scan-2 added', running)).toEqual({
      ok: true,
      message: 'readers: scan-2 added',
    });
    expect(record.note(false, 'readers[0].path: missing', running).ok).toBe(false);
    const s = record.snapshot();
    expect(s).toMatchObject({ generation: 2, reloads: 1, reloadFailures: 1 });
    expect(s.lastReload).toMatchObject({ ok: false, message: 'readers[0].path: missing' });
    expect(Number.isNaN(Date.parse(s.lastReload!.at))).toBe(false);

    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map((l) => [l.level, l.msg, l.generation])).toEqual([
      [30, 'configuration reloaded: readers: scan-2 added', 2],
      [50, 'configuration reload failed: readers[0].path: missing', 2],
    ]);
  });

  it('never carries a secret of the running configuration, in the record or the log', async () => {
    const { log, lines } = loggedLines();
    const record = new ReloadRecord(log);
    const outcome = record.note(
      false,
      'connect to mqtts://gw-1:s3cret-pw@broker.example:8883 failed: s3cret-pw',
      running,
    );
    expect(outcome.message).not.toContain('s3cret-pw');
    expect(record.snapshot().lastReload?.message).toBe(outcome.message);
    await expect.poll(() => lines.length).toBe(1);
    expect(JSON.stringify(lines[0])).not.toContain('s3cret-pw');
  });

  it('hands out copies: a snapshot does not change afterwards', () => {
    const record = new ReloadRecord(rootLogger('silent'));
    const before = record.snapshot();
    record.applied();
    record.note(true, 'nothing changed', running);
    expect(before).toMatchObject({ generation: 1, reloads: 0 });
    expect(before.lastReload).toBeUndefined();
  });
});
