/** The ThingMagic reader's schema: defaults a technician can leave out, mistakes it catches. */
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { ThingMagicReader } from '../../../config/readers/thingmagic.js';
import { THINGMAGIC_REGIONS } from '../../../config/readers/thingmagic-regions.js';

const Ajv = AjvModule.default ?? AjvModule;
// As config/load.ts checks a reader: every error at once, defaults filled in.
const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(
  JSON.parse(JSON.stringify(ThingMagicReader)),
);

const minimal = () => ({
  id: 'dock-door-1',
  readPoint: 'dock-1',
  driver: 'thingmagic',
  path: '/dev/serial/by-id/usb-FTDI_FT231X-if00-port0',
  region: 'NA2',
});

describe('ThingMagicReader schema', () => {
  it('fills the defaults of every field a technician may leave out', () => {
    const config = minimal();
    expect(validate(config)).toBe(true);
    // format and retry are ReaderBase's, filled the same for every reader.
    expect(config).toEqual({
      ...minimal(),
      format: expect.any(Object),
      retry: { minMs: 500, maxMs: 30000 },
      baudRate: 115200,
      antennas: [1],
      readPowerCdBm: 2000,
      commandTimeoutMs: 1000,
      silenceTimeoutMs: 5000,
    });
  });

  it.each([
    [
      'no region (the law of the site decides)',
      { region: undefined },
      "must have required property 'region'",
    ],
    ['an unknown region', { region: 'MARS' }, 'must be equal to constant'],
    ['antenna port 0', { antennas: [0] }, 'must be >= 1'],
    ['the same antenna twice', { antennas: [1, 1] }, 'must NOT have duplicate items'],
    ['read power above any module', { readPowerCdBm: 4000 }, 'must be <= 3150'],
    ['a baud rate the module cannot do', { baudRate: 11520 }, 'must be equal to constant'],
    ['a misspelt key', { antenas: [1] }, 'must NOT have additional properties'],
  ])('rejects %s', (_what, change, message) => {
    const config = { ...minimal(), ...change };
    expect(validate(config)).toBe(false);
    expect(validate.errors!.map((e) => e.message).join('\n')).toContain(message);
  });

  it('maps region names to the Mercury region codes (tmr_region.h)', () => {
    expect(THINGMAGIC_REGIONS).toMatchObject({
      NA: 0x01,
      EU: 0x02,
      EU3: 0x08,
      AU: 0x0b,
      NA2: 0x0d,
      IS2: 0x20,
      OPEN: 0xff,
    });
    // The list an M6e Nano answered to "get available regions" (capture in frames.test.ts's source).
    const nano = [0x0d, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0b, 0x0c, 0xff];
    const names = Object.entries(THINGMAGIC_REGIONS).filter(([, code]) => nano.includes(code));
    expect(names.map(([name]) => name)).toEqual(['IN', 'JP', 'PRC', 'EU3', 'KR2', 'AU', 'NZ', 'NA2', 'OPEN']);
  });
});
