/** The `rejects` section: its defaults, and values that would publish nothing refused with their place. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { problems } from './helpers.js';

const minimal = `gateway: { id: gw-1, site: s-1 }
readPoints: [{ id: rp-1 }]
readers: [{ id: r-1, driver: serial-line, readPoint: rp-1, path: /dev/ttyUSB0 }]
`;

describe('the rejects section', () => {
  it('defaults to a burst of 20, then 5 a second, and one log line per code a minute', () => {
    expect(parseConfig(minimal, 'f.yaml', {}).rejects).toEqual({ burst: 20, perSecond: 5, logIntervalS: 60 });
    expect(parseConfig(`${minimal}rejects: { perSecond: 0.5 }\n`, 'f.yaml', {}).rejects).toEqual({
      burst: 20,
      perSecond: 0.5,
      logIntervalS: 60,
    });
  });

  it('refuses a rate, burst or interval that would publish or log nothing', () => {
    const found = problems(`${minimal}rejects: { burst: 0, perSecond: 0, logIntervalS: 0, flood: true }\n`);
    expect(found).toHaveLength(4);
    expect(found.join('\n')).toMatch(/f\.yaml:4:\d+ rejects\.burst: /);
    expect(found.join('\n')).toMatch(/f\.yaml:4:\d+ rejects\.perSecond: /);
    expect(found.join('\n')).toMatch(/f\.yaml:4:\d+ rejects\.logIntervalS: /);
    expect(found.join('\n')).toMatch(/flood/);
  });
});
