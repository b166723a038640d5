/**
 * `npm run bench`: every figure beside the ceiling measured in the same run on this machine.
 * Prints a Markdown table for the README.
 */
import { cpus } from 'node:os';
import { startMosquitto } from '../support/mosquitto.js';
import { benchGateway } from './gateway.js';
import { benchIdentity } from './identity.js';
import { benchRawMqtt } from './mqtt.js';
import { benchOutbox } from './outbox.js';

const N = Number(process.env.BENCH_EVENTS ?? 50000);
const WINDOW = 100;
const rows: string[] = [];
const row = (what: string, value: string, ceiling: string, ratio: string) =>
  rows.push(`| ${what} | ${value} | ${ceiling} | ${ratio} |`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const broker = await startMosquitto();
try {
  const raw = await benchRawMqtt(broker.url, N, WINDOW);
  const gw = await benchGateway(broker.url, N, WINDOW);
  row(
    `events/s, driver input -> PUBACK (${fmt(N)} events, window ${WINDOW}, Mosquitto)`,
    fmt(gw.perSecond),
    `${fmt(raw.perSecond)} (raw mqtt.js QoS 1, same window)`,
    (gw.perSecond / raw.perSecond).toFixed(2),
  );
  row('peak RSS of the bench process during the gateway run, MB', gw.rssMb.toFixed(0), '', '');
} finally {
  await broker.stop();
}
const ob = await benchOutbox(Number(process.env.BENCH_OUTBOX ?? 100000));
row(
  'outbox append + drain, events/s (LevelDB)',
  fmt(ob.outboxAppendDrainPerSecond),
  `${fmt(ob.rawPutDrainPerSecond)} (raw level batch put + drain)`,
  ob.ratio.toFixed(2),
);
row('outbox disk bytes per event', fmt(ob.bytesPerEvent), '', '');
for (const r of await benchIdentity()) {
  row(
    `decodes/s: ${r.name} (one core; best 200 ms window, median in brackets)`,
    `${fmt(r.perSecond)} (${fmt(r.median)})`,
    'target 500,000',
    (r.perSecond / 500_000).toFixed(2),
  );
}

console.log(`readpoint bench — ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}\n`);
console.log('| measure | readpoint | ceiling (same run) | ratio |\n|---|---|---|---|');
console.log(rows.join('\n'));
process.exit(0);
