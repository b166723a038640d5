/**
 * The threaded uplink's worker entry, with one addition for tests: a status message on
 * CRASH_TOPIC throws in the thread, an uncaught exception that ends it (a bug, say, in MQTT.js).
 */
import { parentPort } from 'node:worker_threads';
import '../../daemon/uplink/uplink-thread.js';

/** Also spelled out in test/daemon/uplink/thread-crash.test.ts (which cannot import a worker entry). */
const CRASH_TOPIC = 'readpoint-test/uplink-thread/crash';

parentPort?.on('message', (message: { t: string; topic?: string }) => {
  if (message.t === 'status' && message.topic === CRASH_TOPIC) throw new Error('the uplink thread broke');
});
