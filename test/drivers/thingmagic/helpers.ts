/** Shared set-up of the ThingMagic tests: a socat PTY pair, the module simulator, a config. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ThingMagicConfig } from '../../../config/readers/thingmagic.js';
import {
  startThingMagicSimulator,
  type ThingMagicSimulator,
  type ThingMagicSimulatorOptions,
} from '../../../drivers/thingmagic/simulator.js';
import { openPtyDevice, type PtyDevice } from '../../support/pty-device.js';

/** A ThingMagic reader's config with every default filled, fast timeouts for tests. */
export const thingMagicConfig = (path: string, extra: Partial<ThingMagicConfig> = {}): ThingMagicConfig => ({
  id: 'rfid-1',
  driver: 'thingmagic',
  readPoint: 'rp',
  path,
  baudRate: 115200,
  region: 'EU3',
  antennas: [1, 2],
  readPowerCdBm: 2500,
  commandTimeoutMs: 300,
  silenceTimeoutMs: 400,
  format: { data: 'epc', stripLeadingGs: false, nonGs1Epc: 'reject', plainSerial: [] },
  retry: { minMs: 50, maxMs: 200 },
  ...extra,
});

/** A distinct 96-bit EPC per text (the contract feeds barcode lines; an RFID harness maps them). */
export const epcFor = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 24);

export interface Bench {
  readonly dir: string;
  readonly pty: PtyDevice;
  readonly sim: ThingMagicSimulator;
  close(): Promise<void>;
}

/** A PTY pair with the simulated module on its device end (search cycles of 50 ms). */
export async function bench(options: Partial<ThingMagicSimulatorOptions> = {}): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-tm-'));
  const pty = await openPtyDevice(dir);
  const sim = await startThingMagicSimulator({ path: pty.devicePath, cycleMs: 50, ...options });
  return {
    dir,
    pty,
    sim,
    async close() {
      await sim.close();
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
