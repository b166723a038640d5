/**
 * An uplink in its own process, so a test can SIGKILL it like a power cut.
 * Usage: node dist/test/support/uplink-child.js URL STATUS_TOPIC; prints `up` once connected.
 */
import { silentLogger } from '../../daemon/log.js';
import { MqttUplink } from '../../daemon/uplink/mqtt-uplink.js';

const [url, statusTopic] = process.argv.slice(2);
if (!url || !statusTopic) throw new Error('usage: uplink-child URL STATUS_TOPIC');
const uplink = new MqttUplink(
  {
    url,
    clientId: `rp-child-${process.pid}`,
    rejectUnauthorized: true,
    keepaliveS: 30,
    inflight: 10,
    retry: { minMs: 50, maxMs: 200 },
    statusTopic,
  },
  silentLogger(),
);
uplink.on('up', () => process.stdout.write('up\n'));
await uplink.start();
// Stay alive until killed: the uplink's own timers do not hold the process.
setInterval(() => {}, 60_000);
