/** The embedded broker's settings from the gateway's config, and the warning an anonymous broker on the network gets. */
import { anonymousAllowed } from '../../config/broker.js';
import { isLoopback } from '../../config/loopback.js';
import type { Config } from '../../config/schema.js';
import { uplinkClientId } from '../uplink-stage.js';
import type { BrokerOptions } from './embedded-broker.js';
import { readerLogins } from './reader-access.js';

export function brokerOptions(config: Config): BrokerOptions {
  const { gateway, uplink, broker } = config;
  return {
    ...broker,
    readers: readerLogins(config.readers),
    topicBase: `${uplink.topicPrefix}/${gateway.site}/${gateway.id}`,
    gatewayClientId: uplinkClientId(config),
  };
}

/** The standing warning (health's `warnings`, key `broker.anonymous`) when anonymous clients may connect from the network. */
export function anonymousWarning(config: Config): string | undefined {
  const { broker } = config;
  if (isLoopback(broker.host) || !anonymousAllowed(broker)) return undefined;
  return (
    `broker.allowAnonymous: anonymous clients on the network may connect to the embedded broker ` +
    `(${broker.host}:${broker.port}) and read the gateway's topics; set broker.username and broker.password instead`
  );
}
