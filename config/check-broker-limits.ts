import { DEFAULT_READER_TOPIC, isMqttReader } from './readers/mqtt-reader-kind.js';
import type { Config } from './schema.js';

/** Room in a packet beside the message and its topic: fixed header, packet id, MQTT 5 properties. */
export const PACKET_OVERHEAD_BYTES = 1024;

/**
 * The embedded broker's limits must hold together, and let every network reader's largest
 * message through: a packet over maxPacketBytes closes the reader's connection, and the reader
 * would send the same message again after reconnecting, for ever.
 */
export function checkBrokerLimits(
  config: Config,
  problem: (path: (string | number)[], message: string) => void,
): void {
  const limits = config.broker.limits;
  if (limits.maxPendingConnections > limits.maxConnections)
    problem(
      ['broker', 'limits', 'maxPendingConnections'],
      `must not exceed maxConnections (${limits.maxConnections})`,
    );
  if (limits.maxPendingPerAddress > limits.maxPendingConnections)
    problem(
      ['broker', 'limits', 'maxPendingPerAddress'],
      `must not exceed maxPendingConnections (${limits.maxPendingConnections})`,
    );
  // Room for every network reader's session, whatever consumers and sockets that have not logged
  // in yet hold. The gateway's own session runs in process and takes no connection.
  const readers = config.readers.filter(isMqttReader).length;
  const needed = limits.maxConsumers + limits.maxPendingConnections + readers;
  if (needed > limits.maxConnections)
    problem(
      ['broker', 'limits', 'maxConnections'],
      `must be at least ${needed}: maxConsumers (${limits.maxConsumers}) + maxPendingConnections ` +
        `(${limits.maxPendingConnections}) + one per network reader (${readers})`,
    );
  config.readers.forEach((r, i) => {
    if (!isMqttReader(r)) return;
    const room =
      limits.maxPacketBytes -
      PACKET_OVERHEAD_BYTES -
      Buffer.byteLength(r.topic ?? DEFAULT_READER_TOPIC(r.id));
    if (r.maxMessageBytes > room)
      problem(
        ['readers', i, 'maxMessageBytes'],
        `with its topic, a message this long would pass broker.limits.maxPacketBytes ` +
          `(${limits.maxPacketBytes}); keep it at most ${room}`,
      );
  });
}
