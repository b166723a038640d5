/** A reload that changes the cycle counts, or the place of a counted read point, needs a restart. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../config/load.js';
import { planReload } from '../../../../daemon/reload-plan.js';

const config = (counts: string, points = '  - { id: shelf }\n  - { id: line-1 }\n') =>
  parseConfig(
    `gateway: { id: gw-1, site: site-1 }
readPoints:
${points}readers:
  - { id: scan-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: line-1 }
jobs:
  cycleCount:
${counts}`,
    'f.yaml',
    {},
  );

const HOURLY = '    - { readPoint: shelf, schedule: "0 * * * *" }\n';

describe('planReload with cycle counts', () => {
  it('needs a restart when a count is added, changed or removed', () => {
    expect(planReload(config(HOURLY), config(HOURLY)).unchanged).toBe(true);
    expect(planReload(config('    []\n'), config(HOURLY)).restartNeeded).toEqual(['jobs.cycleCount']);
    const every2 = '    - { readPoint: shelf, schedule: "0 */2 * * *" }\n';
    expect(planReload(config(HOURLY), config(every2)).restartNeeded).toEqual(['jobs.cycleCount']);
    expect(planReload(config(HOURLY), config('    []\n')).restartNeeded).toEqual(['jobs.cycleCount']);
  });

  it('needs a restart when a counted read point moves, not when another one does', () => {
    const moved = config(
      HOURLY,
      '  - { id: shelf, bizLocation: "urn:epc:id:sgln:0614141.00777.0" }\n  - { id: line-1 }\n',
    );
    expect(planReload(config(HOURLY), moved).restartNeeded).toEqual(['read point shelf (it is counted)']);
    const other = config(HOURLY, '  - { id: shelf }\n  - { id: line-1, bizStep: packing }\n');
    expect(planReload(config(HOURLY), other).restartNeeded).toEqual([]);
  });
});
