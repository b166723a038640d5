/** A read point in pack mode: its settings' defaults, and the mistakes refused with their place. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { problems } from './helpers.js';

const config = (point: string) => `gateway: { id: gw-1, site: s-1 }
readPoints: [${point}]
readers: [{ id: r-1, driver: serial-line, readPoint: rp-1, path: /dev/ttyUSB0 }]
`;

describe('a pack station in the config', () => {
  it('fills closeAfterS, maxChildren and keepClosed, and leaves other read points as they were', () => {
    const loaded = parseConfig(config('{ id: rp-1, mode: pack, pack: { closeCode: CLOSE } }'), 'f.yaml', {});
    expect(loaded.readPoints[0]).toEqual({
      id: 'rp-1',
      mode: 'pack',
      pack: { closeCode: 'CLOSE', closeAfterS: 300, maxChildren: 1000, keepClosed: 10 },
    });
    expect(parseConfig(config('{ id: rp-1 }'), 'f.yaml', {}).readPoints[0]).toEqual({ id: 'rp-1' });
  });

  it('refuses pack mode without its settings, settings without the mode, one code for both, and a direction', () => {
    expect(problems(config('{ id: rp-1, mode: pack }'))).toEqual([
      'f.yaml:2:14 readPoints[0].pack: a read point in pack mode needs pack.closeCode',
    ]);
    expect(problems(config('{ id: rp-1, pack: { closeCode: C } }'))).toEqual([
      'f.yaml:2:14 readPoints[0].mode: pack settings need mode: pack',
    ]);
    expect(problems(config('{ id: rp-1, mode: pack, pack: { closeCode: C, removeCode: C } }'))).toEqual([
      expect.stringMatching(/^f\.yaml:2:\d+ readPoints\[0\]\.pack\.removeCode: must differ from closeCode$/),
    ]);
    const door = problems(
      config('{ id: rp-1, mode: pack, pack: { closeCode: C }, direction: { inbound: a, outbound: b } }'),
    );
    expect(door.join('\n')).toMatch(/readPoints\[0\]\.direction: a pack station has no direction/);
    const found = problems(config('{ id: rp-1, mode: pack, pack: { closeCode: "A\\tB", maxChildren: 0 } }'));
    expect(found.join('\n')).toMatch(/readPoints\[0\]\.pack\.closeCode: /);
    expect(found.join('\n')).toMatch(/readPoints\[0\]\.pack\.maxChildren: /);
  });
});
