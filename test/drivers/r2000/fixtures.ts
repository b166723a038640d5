/** Shared by the R2000 tests: a config with every default filled, and a logger tests can read. */
import type { R2000Config } from '../../../config/readers/r2000.js';
import type { Logger } from '../../../daemon/log.js';
import { loggedLines } from '../../support/logged-lines.js';

export const r2000Config = (path: string, extra: Partial<R2000Config> = {}): R2000Config => ({
  id: 'dock-door-1',
  driver: 'r2000',
  readPoint: 'dock-1',
  path,
  baudRate: 115200,
  address: 0xff,
  antennas: [1],
  repeat: 1,
  roundTimeoutMs: 2000,
  format: { data: 'aim', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
  ...extra,
});

/** A debug-level logger whose JSON lines land in `lines`. */
export const recordingLogger = (): { log: Logger; lines: Record<string, unknown>[] } => loggedLines('debug');

/** A 96-bit EPC in hex (upper case) that carries `n`: distinct tags for distinct numbers. */
export const epcHex = (n: number) => `3074257BF7194E40${n.toString(16).toUpperCase().padStart(8, '0')}`;
