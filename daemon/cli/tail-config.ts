/**
 * `readpoint tail --config FILE`: watch the gateway that file configures, without knowing its
 * broker's address. The config gives where its events go (uplink.url with its login and TLS
 * files, or the embedded broker), its topic prefix, site and gateway id. An option given on the
 * command line wins over the config.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import { upstreamOf } from '../uplink-stage.js';
import type { TailCliOptions } from './tail-options.js';

export interface TailTarget {
  /** The options, with the url (and the narrowing the config gives) filled in. */
  readonly options: TailCliOptions & { readonly url: string };
  /** TLS settings from the config, for a broker that needs them. */
  readonly connect: IClientOptions;
}

/** Where to watch, or one message saying what is wrong and what to do. */
export async function tailTarget(o: TailCliOptions): Promise<TailTarget | string> {
  if (o.config === undefined) {
    if (o.url === undefined)
      return 'say which broker to watch: --url mqtt://HOST:PORT, or --config FILE for the gateway that file configures';
    return { options: { ...o, url: o.url }, connect: {} };
  }
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(o.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) return `cannot read ${o.config}: ${(err as Error).message}`;
    return [
      ...err.problems.map(formatProblem),
      `fix ${o.config} (readpoint check --config ${o.config}), or give --url`,
    ].join('\n');
  }
  let url = o.url;
  const connect: IClientOptions = {};
  if (url === undefined) {
    const { broker, uplink } = config;
    let upstream: ReturnType<typeof upstreamOf>;
    try {
      upstream = upstreamOf(config, broker.enabled ? { host: broker.host, port: broker.port } : undefined);
    } catch (err) {
      return `${o.config}: ${(err as Error).message}; give --url`;
    }
    url = upstream.url;
    if (upstream.username !== undefined) connect.username = upstream.username;
    if (upstream.password !== undefined) connect.password = upstream.password;
    if (uplink.url !== undefined) {
      try {
        if (uplink.ca) connect.ca = await readFile(uplink.ca);
        if (uplink.cert) connect.cert = await readFile(uplink.cert);
        if (uplink.key) connect.key = await readFile(uplink.key);
      } catch (err) {
        return `cannot read a TLS file named in ${o.config}: ${(err as Error).message} (run as the user the daemon runs as, or as root)`;
      }
      connect.rejectUnauthorized = uplink.rejectUnauthorized;
    }
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
