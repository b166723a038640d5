/**
 * Checks of the uplink section beyond its schema: the URL must be one the uplink reads the same
 * way every time (never echoed: it may hold a password), and TLS files ask for a TLS URL, since
 * with `mqtt://` the CA would be ignored and the login would cross the network in plain text.
 */
import { brokerNodes } from './broker-nodes.js';
import type { Config } from './schema.js';

type Segment = string | number;

/** Schemes that speak TLS; mqtt:// and tcp:// are plain text. */
export const TLS_SCHEMES: ReadonlySet<string> = new Set(['mqtts:', 'ssl:']);

export function checkUplink(up: Config['uplink'], problem: (path: Segment[], message: string) => void): void {
  const nodes = brokerNodes(up.url);
  // aedes answers an MQTT 5 CONNECT with "unacceptable protocol version": the gateway would never connect.
  if (up.protocolVersion === 5 && nodes.length === 0)
    problem(
      ['uplink', 'protocolVersion'],
      'the embedded broker (the upstream without uplink.url) speaks MQTT 3.1.1 only: use 4, or set uplink.url ' +
        'to a broker that takes MQTT 5 (Mosquitto; RabbitMQ from 3.13)',
    );
  const listed = typeof up.url !== 'string';
  let plain: string | undefined;
  nodes.forEach((node, i) => {
    const path: Segment[] = listed ? ['uplink', 'url', i] : ['uplink', 'url'];
    let url: URL;
    try {
      url = new URL(node);
    } catch {
      problem(
        path,
        'not a URL that can be read (the value is not shown: it may hold a password). Put the login in ' +
          'uplink.username and uplink.password, or percent-encode what the URL carries ' +
          '(/ as %2F, @ as %40, : as %3A, # as %23, ? as %3F, a space as %20)',
      );
      return;
    }
    if (url.hostname === '') problem(path, 'names no broker host (mqtts://HOST:PORT)');
    if (!TLS_SCHEMES.has(url.protocol)) plain ??= url.protocol;
  });
  if (plain === undefined) return;
  for (const file of ['ca', 'cert', 'key'] as const) {
    if (up[file] === undefined) continue;
    problem(
      ['uplink', file],
      `a TLS file, but uplink.url ${listed ? 'has a node with' : 'is'} ${plain}// (plain text, the login readable on the way): ` +
        'use mqtts:// (or ssl://)' +
        (listed ? ' for every node' : '') +
        ', or remove the TLS files',
    );
    return;
  }
}
