/**
 * Turns the uplink's options into mqtt.js client options. The TLS files are read once, at start,
 * so an unreadable certificate is a clear start-up error rather than a retry loop.
 */

import type { IClientOptions } from 'mqtt';
import { readBounded } from '../../config/bounded-read.js';
import { NoResendStore } from './no-resend-store.js';

/** A PEM file: a CA bundle of every public root is about 200 KB. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface ClientSettings {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly rejectUnauthorized: boolean;
  readonly keepaliveS: number;
  readonly statusTopic: string;
  readonly connectTimeoutMs: number;
  /** MQTT 3.1.1 (4) or 5. */
  readonly protocolVersion: 4 | 5;
  /** MQTT 5: the largest packet the broker may send us (Maximum Packet Size in CONNECT). */
  readonly maxPacketBytes?: number;
}

/** Reads the PEM files named in `paths`; throws naming the option and the path when one fails. */
export async function readTlsFiles(paths: { ca?: string; cert?: string; key?: string }): Promise<TlsFiles> {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const path = paths[name];
    if (!path) continue;
    try {
      out[name] = await readBounded(path, MAX_TLS_FILE_BYTES);
    } catch (err) {
      throw new Error(`uplink.${name}: cannot read ${path}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Where a broker URL points, as mqtt.js connection options. */
export interface BrokerAddress {
  readonly protocol: 'mqtt' | 'mqtts' | 'tcp' | 'ssl';
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

/**
 * Reads a broker URL once, here, so mqtt.js is never handed a URL string: its legacy parser
 * makes Node print a URL it finds odd (a password holding `/`) on stderr, login and all. The
 * user info is percent-decoded; the error never repeats the URL.
 */
export function brokerAddress(url: string): BrokerAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('uplink.url is not a URL that can be read (readpoint check says more)');
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol !== 'mqtt' && protocol !== 'mqtts' && protocol !== 'tcp' && protocol !== 'ssl')
    throw new Error(`uplink.url: ${protocol}:// is not a broker URL (mqtt://, mqtts://, tcp://, ssl://)`);
  const tls = protocol === 'mqtts' || protocol === 'ssl';
  return {
    protocol,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? (tls ? 8883 : 1883) : Number(parsed.port),
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** The password a broker URL carries, decoded, if it can be read at all. */
export function passwordIn(url: string): string | undefined {
  try {
    return brokerAddress(url).password;
  } catch {
    return undefined;
  }
}

export function clientOptions(settings: ClientSettings, tls: TlsFiles): IClientOptions {
  return {
    clientId: settings.clientId,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...tls,
    rejectUnauthorized: settings.rejectUnauthorized,
    protocolVersion: settings.protocolVersion,
    ...(settings.protocolVersion === 5 && settings.maxPacketBytes !== undefined
      ? { properties: { maximumPacketSize: settings.maxPacketBytes } }
      : {}),
    clean: true,
    // Each connection has a fresh client; the uplink's listener subscribes on every CONNACK.
    resubscribe: false,
    keepalive: settings.keepaliveS,
    // Not a timer re-arm per PUBACK: the link watchdog tells mqtt.js the broker is there, once
    // per check (link-watchdog.ts).
    reschedulePings: false,
    connectTimeout: settings.connectTimeoutMs,
    // Reconnecting is the uplink's job (backoff, a fresh client, one retransmission path).
    reconnectPeriod: 0,
    // So mqtt.js keeps no copy of a publish until its PUBACK: it would never resend it.
    outgoingStore: new NoResendStore(),
    // Status messages are best effort: never queued while offline.
    queueQoSZero: false,
    will: { topic: settings.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    // mqtt.js traces every packet through `debug` unless given a logger: about 1 us per event
    // even with tracing off. The uplink logs what matters itself.
    log: () => {},
  };
}
