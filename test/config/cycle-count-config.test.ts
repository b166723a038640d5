/** `jobs.cycleCount`: its defaults, and counts of unknown or twice-counted read points or bad schedules refused. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { MINIMAL_YAML, problems } from './helpers.js';

describe('jobs.cycleCount', () => {
  it('is absent by default, and a count gets its window, bound and part size filled', () => {
    expect(parseConfig(MINIMAL_YAML, 'f.yaml', {}).jobs.cycleCount).toBeUndefined();
    const config = parseConfig(
      `${MINIMAL_YAML}jobs:\n  cycleCount:\n    - { readPoint: rp-1, schedule: "*/5 * * * * *" }\n`,
      'f.yaml',
      {},
    );
    expect(config.jobs.cycleCount).toEqual([
      { readPoint: 'rp-1', schedule: '*/5 * * * * *', windowS: 0, maxUnits: 100000, unitsPerPart: 1000 },
    ]);
  });

  it('refuses a read point not defined, one counted twice and a bad schedule', () => {
    const found = problems(
      `${MINIMAL_YAML}jobs:\n  cycleCount:\n` +
        '    - { readPoint: rp-9, schedule: "0 * * * *" }\n' +
        '    - { readPoint: rp-1, schedule: "0 * * * *" }\n' +
        '    - { readPoint: rp-1, schedule: "every hour" }\n',
    );
    expect(found).toHaveLength(3);
    const text = found.join('\n');
    expect(text).toMatch(/f\.yaml:13:\d+ jobs\.cycleCount\[0\]\.readPoint: read point "rp-9" is not defined/);
    expect(text).toMatch(
      /f\.yaml:15:\d+ jobs\.cycleCount\[2\]\.readPoint: read point "rp-1" is counted already \(jobs\.cycleCount\[1\]\)/,
    );
    expect(text).toMatch(/f\.yaml:15:\d+ jobs\.cycleCount\[2\]\.schedule: not a cron expression/);
  });

  it('refuses a part size of 0 and a negative window', () => {
    const found = problems(
      `${MINIMAL_YAML}jobs:\n  cycleCount:\n    - { readPoint: rp-1, schedule: "0 * * * *", unitsPerPart: 0, windowS: -1 }\n`,
    );
    expect(found).toHaveLength(2);
    expect(found.join('\n')).toMatch(/f\.yaml:13:\d+ jobs\.cycleCount\[0\]\.unitsPerPart: /);
    expect(found.join('\n')).toMatch(/f\.yaml:13:\d+ jobs\.cycleCount\[0\]\.windowS: /);
  });
});
