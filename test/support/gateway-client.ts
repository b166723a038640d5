/** An MQTT client in the gateway's own role: over the embedded broker's in-process stream, with its login. */
import { type IClientOptions, MqttClient } from 'mqtt';
import type { EmbeddedBroker } from '../../daemon/broker/embedded-broker.js';

export function gatewayClient(broker: EmbeddedBroker, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = new MqttClient(() => broker.gatewayStream(), {
      ...broker.gatewayLogin(),
      reconnectPeriod: 0,
      connectTimeout: 3000,
      ...options,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}
