/**
 * A ThingMagic module for the RFID bench, in a process of its own so that it takes none of the
 * measured core: `node rfid-module.js <device path> <tags> <cycle ms>` streams every tag on two
 * antennas each search cycle until killed.
 */
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { startThingMagicSimulator } from '../../drivers/thingmagic/simulator.js';

const [path, tags, cycleMs] = process.argv.slice(2);
if (!path || !tags || !cycleMs) {
  process.stderr.write('usage: rfid-module.js <device path> <tags> <cycle ms>\n');
  process.exit(64);
}
await startThingMagicSimulator({
  path,
  cycleMs: Number(cycleMs),
  tags: Array.from({ length: Number(tags) }, (_, i) => ({
    epc: encodeSgtin96({
      filter: 1,
      companyPrefix: '0614141',
      itemReference: '812345',
      serial: 1000 + i,
    }).toString('hex'),
    seenOn: [
      { antenna: 1, rssi: -60 - (i % 7) },
      { antenna: 2, rssi: -55 - (i % 5) },
    ],
  })),
});
process.stdout.write('ready\n');
