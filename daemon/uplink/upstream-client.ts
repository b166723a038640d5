/**
 * One mqtt.js client for one connection attempt of the uplink: over TCP/TLS to a broker URL, or,
 * with the embedded broker as upstream, over an in-process stream the broker hands out for each
 * attempt (no socket, so nothing on the network can stand between the gateway and its broker).
 */
import { Duplex } from 'node:stream';
import { connect, type IClientOptions, MqttClient } from 'mqtt';
import { brokerAddress } from './client-options.js';

/** Opens a fresh in-process connection to the broker; throws when the broker is not running. */
export type StreamOpener = () => Duplex;

export function upstreamClient(
  url: string,
  stream: StreamOpener | undefined,
  options: IClientOptions,
): MqttClient {
  if (!stream) return connect({ ...brokerAddress(url), ...options });
  return new MqttClient(() => opened(stream), options);
}

/**
 * The opener's stream, or one that fails at once the way a refused socket does (mqtt.js reports
 * a stream error only when it has a code), so a broker that is not there is one more failed
 * attempt, retried with backoff, not an exception in a timer.
 */
function opened(open: StreamOpener): Duplex {
  try {
    return open();
  } catch (err) {
    const refused = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    const error = Object.assign(new Error((err as Error).message), { code: 'ECONNREFUSED' });
    process.nextTick(() => refused.destroy(error));
    return refused;
  }
}
