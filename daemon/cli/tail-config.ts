/**
 * `readpoint tail --config FILE`: watch the gateway that file configures, without knowing its
 * broker's address. The config gives where its events go (uplink.url with its login and TLS
 * files, or the embedded broker), its topic prefix, site and gateway id. An option given on the
 * command line wins over the config.
 */

import type { IClientOptions } from 'mqtt';
import { embeddedBrokerRuns } from '../../config/broker.js';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { secret } from '../broker/secrets.js';
import { readTlsFiles } from '../uplink/client-options.js';
import { upstreamOf } from '../uplink-stage.js';
import type { TailCliOptions } from './tail-options.js';

export interface TailTarget {
  /** The options, with the url (and the narrowing the config gives) filled in. */
  readonly options: TailCliOptions & { readonly url: string };
  /** TLS settings from the config, for a broker that needs them. */
  readonly connect: IClientOptions;
}

/** The broker a config's gateway publishes to, with the login and TLS settings to reach it. */
export interface GatewayBroker {
  /** The first broker node of uplink.url (or the embedded broker). */
  readonly url: string;
  /** Every node, when uplink.url lists several. */
  readonly nodes?: readonly string[];
  readonly connect: IClientOptions;
}

/**
 * The config `file` for a command that talks to its gateway, or every problem (FILE:LINE:COL
 * path: message) and what to do: fix it, or `otherwise`.
 */
export async function loadGatewayConfig(file: string, otherwise?: string): Promise<Config | string> {
  try {
    return await loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) return `cannot read ${file}: ${(err as Error).message}`;
    return [
      ...err.problems.map(formatProblem),
      `fix ${file} (readpoint check --config ${file})${otherwise ? `, or ${otherwise}` : ''}`,
    ].join('\n');
  }
}

/**
 * Where the gateway `config` (read from `file`) publishes: uplink.url with its login and TLS
 * files, or the embedded broker and its login; or one message (with `otherwise`, what else to
 * do when the config names no broker).
 */
export async function gatewayBroker(
  config: Config,
  file: string,
  otherwise?: string,
): Promise<GatewayBroker | string> {
  const { broker, uplink } = config;
  let upstream: ReturnType<typeof upstreamOf>;
  const embedded = embeddedBrokerRuns(config)
    ? { host: broker.host, port: broker.port, ...(await consumerLogin(broker)) }
    : undefined;
  try {
    upstream = upstreamOf(config, embedded);
  } catch (err) {
    return `${file}: ${(err as Error).message}${otherwise ? `; ${otherwise}` : ''}`;
  }
  const connect: IClientOptions = {};
  if (upstream.username !== undefined) connect.username = upstream.username;
  if (upstream.password !== undefined) connect.password = upstream.password;
  if (uplink.url !== undefined) {
    try {
      Object.assign(connect, await readTlsFiles(uplink));
    } catch (err) {
      return `cannot read a TLS file named in ${file}: ${(err as Error).message} (run as the user the daemon runs as, or as root)`;
    }
    connect.rejectUnauthorized = uplink.rejectUnauthorized;
  }
  return { url: upstream.url, ...(upstream.nodes ? { nodes: upstream.nodes } : {}), connect };
}

/** Where to watch, or one message saying what is wrong and what to do. */
export async function tailTarget(o: TailCliOptions): Promise<TailTarget | string> {
  if (o.config === undefined) {
    if (o.url === undefined)
      return 'say which broker to watch: --url mqtt://HOST:PORT, or --config FILE for the gateway that file configures';
    return { options: { ...o, url: o.url }, connect: {} };
  }
  const config = await loadGatewayConfig(o.config, 'give --url');
  if (typeof config === 'string') return config;
  let url = o.url;
  let connect: IClientOptions = {};
  if (url === undefined) {
    const found = await gatewayBroker(config, o.config, 'give --url');
    if (typeof found === 'string') return found;
    ({ url, connect } = found);
  }
  // A raw --topic is the whole filter: the config narrows nothing then.
  if (o.topic !== undefined) return { options: { ...o, url }, connect };
  return {
    options: {
      ...o,
      url,
      prefix: o.prefix ?? config.uplink.topicPrefix,
      site: o.site ?? config.gateway.site,
      gateway: o.gateway ?? config.gateway.id,
    },
    connect,
  };
}

/**
 * Without a floor login, the first consumer login whose password this user can read: a
 * technician's `tail` and `status` read what consumers read. None: anonymous, as before.
 */
async function consumerLogin(
  broker: Config['broker'],
): Promise<{ username: string; password: string } | Record<string, never>> {
  if (broker.username !== undefined) return {};
  for (const consumer of broker.consumers ?? []) {
    const password = await secret(consumer).catch(() => undefined);
    if (password) return { username: consumer.username, password: password.toString('utf8') };
  }
  return {};
}
