/**
 * Uplink settings that weaken its security without breaking it: they stay allowed (a test bench,
 * a broker on a trusted VLAN), but each is logged when it takes effect and carried in every health
 * report (daemon/warnings.ts), so nobody weakens the link silently. Ids that some central brokers
 * take apart (dotted-ids.ts) are warned about the same way.
 */
import { stat } from 'node:fs/promises';
import { brokerNodes } from '../../config/broker-nodes.js';
import { isLoopback } from '../../config/loopback.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../log.js';
import type { Warnings } from '../warnings.js';
import { type BrokerAddress, brokerAddress } from './client-options.js';
import { dottedIdsWarning } from './dotted-ids.js';

/** The health warning keys this file owns, each set or cleared on every start and reload. */
export const UPLINK_WARNING_KEYS = [
  'uplink.rejectUnauthorized',
  'uplink.plaintext',
  'uplink.key',
  'uplink.dottedIds',
] as const;
type Key = (typeof UPLINK_WARNING_KEYS)[number];

const isTls = (a: BrokerAddress) => a.protocol === 'mqtts' || a.protocol === 'ssl';

/** The warning text under each key, or undefined where the setting is sound. */
export async function uplinkWarnings(config: Config): Promise<Record<Key, string | undefined>> {
  const up = config.uplink;
  const out: Record<Key, string | undefined> = {
    'uplink.rejectUnauthorized': undefined,
    'uplink.plaintext': undefined,
    'uplink.key': undefined,
    'uplink.dottedIds': undefined,
  };
  // Without uplink.url the uplink is the embedded broker on this box.
  if (up.url === undefined) return out;
  out['uplink.dottedIds'] = dottedIdsWarning(config);
  for (const node of brokerNodes(up.url)) {
    let address: BrokerAddress;
    try {
      address = brokerAddress(node);
    } catch {
      continue; // refused by the loader already; the uplink says why when it starts
    }
    if (isTls(address) && !up.rejectUnauthorized)
      out['uplink.rejectUnauthorized'] ??=
        "uplink.rejectUnauthorized is false: the central broker's certificate is not verified, so " +
        'anyone on the way can pose as it and read the login and the events';
    const login = [address.username, address.password, up.username, up.password].some((v) => v !== undefined);
    if (!isTls(address) && login && !isLoopback(address.host))
      out['uplink.plaintext'] ??=
        `uplink.url is ${address.protocol}:// to ${address.host} with a login: the password and the events ` +
        'cross the network in plain text; use mqtts://';
  }
  if (up.key !== undefined) {
    const mode = await stat(up.key).then(
      (s) => s.mode & 0o777,
      () => undefined, // unreadable: the uplink refuses to start and says why
    );
    if (mode !== undefined && (mode & 0o077) !== 0)
      out['uplink.key'] =
        `uplink.key ${up.key} is open to group or others (mode ${mode.toString(8).padStart(4, '0')}): ` +
        'its private key lets anyone who reads it pose as this gateway; chmod 600 it';
  }
  return out;
}

/** Sets (or clears) the uplink's warnings for `config` and logs each that holds. */
export async function applyUplinkWarnings(config: Config, warnings: Warnings, log: Logger): Promise<void> {
  for (const [key, text] of Object.entries(await uplinkWarnings(config))) {
    warnings.set(key, text);
    if (text !== undefined) log.warn({ component: 'uplink', warning: key }, text);
  }
}
