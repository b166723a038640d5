/**
 * The fleet bench's upstream side during the steps: one QoS 1 subscriber to every gateway's
 * events, as a consumer of the central broker is, which counts what it receives and keeps
 * nothing. A broker with nobody subscribed routes each message nowhere and does less work per
 * event than one a deployment has.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';

export interface CountingConsumer {
  /** Messages received so far. */
  readonly received: number;
  close(): Promise<void>;
}

export const FLEET_EVENTS = 'readpoint/v1/fleet/+/events/+';

export async function countingConsumer(url: string, filter = FLEET_EVENTS): Promise<CountingConsumer> {
  const client = await mqtt.connectAsync(url, {
    clientId: `rp-fleet-consumer-${randomBytes(3).toString('hex')}`,
    clean: true,
    reconnectPeriod: 0,
  });
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  let received = 0;
  client.on('message', () => {
    received++;
  });
  const granted = await client.subscribeAsync(filter, { qos: 1 });
  if (granted[0]?.qos !== 1) {
    client.end(true);
    throw new Error(`consumer: ${filter} not granted at QoS 1 on ${url}`);
  }
  return {
    get received() {
      return received;
    },
    // A clean session: its queue goes with the connection, so nothing needs a graceful end.
    close: () => client.endAsync(true),
  };
}
