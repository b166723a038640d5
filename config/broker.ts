/**
 * When the embedded broker runs, and whether its settings are safe enough to start: a broker
 * reachable beyond loopback with no login would let anyone on the floor read the gateway's
 * topics, so it needs a login or an explicit `broker.allowAnonymous`.
 */
import { isLoopback } from './loopback.js';
import { isMqttReader } from './readers/mqtt-reader-kind.js';
import type { Config } from './schema.js';

type Problem = (path: (string | number)[], message: string) => void;

/** Whether the embedded broker runs: `auto` when a network reader needs it or there is no uplink.url. */
export function embeddedBrokerRuns(config: Pick<Config, 'broker' | 'readers' | 'uplink'>): boolean {
  const { enabled } = config.broker;
  if (enabled !== 'auto') return enabled;
  return config.uplink.url === undefined || config.readers.some(isMqttReader);
}

/** Whether the broker has any login for consumers (the floor login or `broker.consumers`). */
export function hasConsumerLogin(broker: {
  readonly username?: string;
  readonly consumers?: readonly unknown[];
}): boolean {
  return broker.username !== undefined || (broker.consumers?.length ?? 0) > 0;
}

/** Whether clients without a login are let in: explicitly allowed, or no consumer login at all. */
export function anonymousAllowed(broker: {
  readonly username?: string;
  readonly consumers?: readonly unknown[];
  readonly allowAnonymous?: boolean;
}): boolean {
  return broker.allowAnonymous === true || !hasConsumerLogin(broker);
}

/** The broker's own settings: logins whole, names unique, no anonymous listener beyond loopback unless allowed. */
export function checkBroker(config: Config, problem: Problem): void {
  const { broker } = config;
  if ((broker.username === undefined) !== (broker.password === undefined))
    problem(
      ['broker', broker.username === undefined ? 'password' : 'username'],
      'set both username and password',
    );
  const seen = new Map<string, number>();
  (broker.consumers ?? []).forEach((c, i) => {
    if ((c.password === undefined) === (c.passwordFile === undefined))
      problem(['broker', 'consumers', i, 'username'], 'set exactly one of password and passwordFile');
    if (c.username === broker.username)
      problem(['broker', 'consumers', i, 'username'], 'the same username as broker.username');
    const other = seen.get(c.username);
    if (other !== undefined)
      problem(['broker', 'consumers', i, 'username'], `username also used by broker.consumers[${other}]`);
    else seen.set(c.username, i);
    config.readers.forEach((r, j) => {
      if (isMqttReader(r) && r.username === c.username)
        problem(['broker', 'consumers', i, 'username'], `username also used by readers[${j}]`);
    });
  });
  if (!embeddedBrokerRuns(config) || isLoopback(broker.host)) return;
  if (!hasConsumerLogin(broker) && !broker.allowAnonymous)
    problem(
      ['broker', 'host'],
      `${broker.host} is reachable beyond this host and the broker has no login: anyone on the network ` +
        'could read the gateway; set broker.username and broker.password (or broker.consumers), ' +
        'or broker.allowAnonymous: true to let anonymous clients read',
    );
}
