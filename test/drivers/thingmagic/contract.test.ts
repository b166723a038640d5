/**
 * The shared driver contract, run against the ThingMagic driver talking to the module simulator
 * over a real socat PTY: each fed line becomes one distinct tag the simulator reports once, and a
 * read's text is its EPC in hex.
 */
import { silentLogger } from '../../../daemon/log.js';
import { ThingMagicDriver } from '../../../drivers/thingmagic/driver.js';
import { driverContract } from '../driver.contract.js';
import { bench, epcFor, thingMagicConfig } from './helpers.js';

driverContract('thingmagic over a socat PTY, against the module simulator', async () => {
  const b = await bench();
  const driver = new ThingMagicDriver(thingMagicConfig(b.pty.readerPath), { log: silentLogger() });
  let fed: string[] = [];
  return {
    driver,
    kind: 'epc',
    text: (read) => read.data.toString('hex'),
    async feed(lines) {
      fed = lines.map(epcFor);
      await b.sim.report(fed.map((epc) => ({ epc })));
    },
    async expected(count) {
      return fed.slice(0, count);
    },
    teardown: () => b.close(),
  };
});
