/** The shared driver contract, run against the R2000 driver and the simulated module on a socat PTY. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../daemon/log.js';
import { R2000Driver } from '../../../drivers/r2000/driver.js';
import { startR2000Simulator } from '../../../drivers/r2000/simulator.js';
import { openPtyDevice } from '../../support/pty-device.js';
import { driverContract } from '../driver.contract.js';
import { epcHex, r2000Config } from './fixtures.js';

driverContract('r2000 over a socat PTY, against the simulated module', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rp-r2000-'));
  const pty = await openPtyDevice(dir, 'r2000');
  const sim = await startR2000Simulator({ path: pty.devicePath, roundMs: 5 });
  const driver = new R2000Driver(r2000Config(pty.readerPath), { log: silentLogger() });
  const fed: string[] = [];
  return {
    driver,
    kind: 'epc',
    // Each fed line is one tag passing the antenna: reported in one round, then gone.
    async feed(lines) {
      for (const _ of lines) {
        const epc = epcHex(fed.length);
        fed.push(epc);
        sim.addTag({ epc, seenBy: { 1: -55 }, reads: 1 });
      }
    },
    expected: async (count) => fed.slice(0, count),
    text: (read) => read.data.toString('hex').toUpperCase(),
    async teardown() {
      await sim.close();
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
