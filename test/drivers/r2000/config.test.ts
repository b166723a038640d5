/** The r2000 reader's config schema: its defaults, its limits, and that every field says what it is. */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { R2000Reader } from '../../../config/readers/r2000.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(R2000Reader);

describe('R2000Reader schema', () => {
  it('fills the defaults of a minimal reader', () => {
    const reader: Record<string, unknown> = {
      id: 'dock-door-1',
      readPoint: 'dock-1',
      driver: 'r2000',
      path: '/dev/ttyUSB0',
    };
    expect(validate(reader)).toBe(true);
    expect(reader).toEqual({
      id: 'dock-door-1',
      readPoint: 'dock-1',
      driver: 'r2000',
      path: '/dev/ttyUSB0',
      baudRate: 115200,
      address: 255,
      antennas: [1],
      repeat: 1,
      roundTimeoutMs: 3000,
      format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
      retry: { minMs: 500, maxMs: 30000 },
    });
  });

  it('refuses unknown keys, antenna 0, an empty antenna list and power beyond 33 dBm', () => {
    const base = { id: 'r', readPoint: 'rp', driver: 'r2000', path: '/dev/ttyUSB0' };
    for (const bad of [
      { antena: [1] },
      { antennas: [0] },
      { antennas: [] },
      { outputPowerDbm: 34 },
      { address: 256 },
    ]) {
      expect(validate({ ...base, ...bad })).toBe(false);
    }
    expect(validate({ ...base, antennas: [1, 2, 1, 8], outputPowerDbm: 30, address: 0 })).toBe(true);
  });

  it('describes every field', () => {
    for (const [key, field] of Object.entries(R2000Reader.properties)) {
      expect([key, typeof (field as { description?: unknown }).description]).toEqual([key, 'string']);
    }
  });
});
