/**
 * `readpoint tail`: watch a gateway's events as they leave it. The options are checked in
 * tail-options.ts, lines are made in tail-lines.ts (for people, or raw JSON) and tail-dedup.ts
 * (consuming as an upstream system must); this file is the MQTT client and the terminal.
 */
import mqtt, { type IClientOptions } from 'mqtt';
import { escapeUnsafe } from '../identity/unsafe-text.js';
import { redactUrl } from '../uplink/redact.js';
import { DedupLines } from './tail-dedup.js';
import { TailLines } from './tail-lines.js';
import type { TailOptions } from './tail-options.js';

export {
  overflowFilterFor,
  type TailCliOptions,
  type TailOptions,
  tailOptions,
} from './tail-options.js';

/** What a connection error means for a technician, and what to check next. */
export function connectionProblem(url: string, err: Error & { code?: unknown }): string {
  const shown = redactUrl(url);
  const host = (() => {
    try {
      return new URL(url).hostname;
    } catch {
      return url;
    }
  })();
  switch (err.code) {
    case 'ECONNREFUSED':
      return `cannot reach ${shown}: connection refused — is readpoint running (systemctl status readpoint)? is the broker address right (broker.host and broker.port in the config, or uplink.url)?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach ${shown}: host ${host} not found — check the host name in --url`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach ${shown}: ${err.code} — check the network, the address in --url and any firewall between`;
    case 4:
    case 5:
      return `the broker at ${shown} refused the login (${err.message}) — give user and password in the URL, mqtt://USER:PASSWORD@HOST:PORT (broker.username and broker.password in the config)`;
    default:
      return `trouble with ${shown}: ${err.message}`;
  }
}

/**
 * Subscribes and prints one line per message until interrupted (SIGINT, SIGTERM) or until
 * `count` lines were printed; resolves the exit code. Without `dedup`, a readable line per event
 * (and reject, health report when asked), or with `json` each payload as it came. With `dedup`,
 * one line per verdict and a summary at the end: 1 if gaps that no overflow notice explains are
 * still open then. Connection trouble goes to stderr, once per kind, while it keeps retrying.
 * With `clientId`, a persistent session: messages are acknowledged only once printed.
 */
export async function tailCommand(
  url: string,
  opts: TailOptions,
  connect: IClientOptions = {},
): Promise<number> {
  const client = mqtt.connect(url, {
    ...connect,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    ...(opts.clientId !== undefined ? { clientId: opts.clientId, clean: false } : {}),
  });
  const filters = [
    ...opts.filters,
    ...(opts.dedup ? [opts.dedup.overflowFilter] : []),
    ...(opts.rejectsFilter ? [opts.rejectsFilter] : []),
    ...(opts.healthFilter ? [opts.healthFilter] : []),
  ];
  const dedup = opts.dedup ? new DedupLines(opts.dedup) : undefined;
  const lines = new TailLines({
    ...(opts.json ? { json: true } : {}),
    ...(opts.topic ? { topic: true } : {}),
    ...(opts.readers ? { readers: opts.readers } : {}),
    ...(opts.readPoints ? { readPoints: opts.readPoints } : {}),
  });
  const say = (line: string) => process.stderr.write(`readpoint tail: ${line}\n`);
  // With a persistent session, a message that comes while tail stops is neither printed nor
  // acknowledged, so the session gets it again next time instead of losing it. mqtt.js
  // acknowledges a message once its 'message' listeners ran and handleMessage called back
  // (documented as overridable); without that call its reading stalls, so such a connection is
  // cut at the end rather than closed politely.
  const unprinted = new WeakSet<object>();
  client.handleMessage = (packet, callback) => {
    if (!unprinted.has(packet)) callback();
  };
  let lastProblem: string | undefined;
  let connected = false;
  client.on('connect', (connack) => {
    if (lastProblem !== undefined) say(`connected to ${redactUrl(url)}`);
    if (opts.clientId !== undefined)
      say(
        connack.sessionPresent
          ? `resumed the session ${opts.clientId}: what was published meanwhile comes first`
          : `started the session ${opts.clientId}: the broker keeps what is published while tail is away`,
      );
    lastProblem = undefined;
    connected = true;
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const refused = granted?.filter((g) => g.qos > 2).map((g) => g.topic) ?? [];
      if (err || refused.length > 0)
        say(
          `cannot subscribe to ${err ? filters.join(' ') : refused.join(' ')}: ${err?.message ?? 'refused by the broker (is this user allowed to read it?)'}`,
        );
      else say(`subscribed to ${filters.join(' and ')} on ${redactUrl(url)}`);
    });
  });
  let ending = false;
  client.on('close', () => {
    if (!connected || ending) return; // our own end (--count, Ctrl-C) is not a lost connection
    connected = false;
    say(`lost the connection to ${redactUrl(url)}; reconnecting`);
  });
  client.on('error', (err) => {
    const problem = connectionProblem(url, err);
    if (problem === lastProblem) return; // mqtt.js retries every second: say it once
    lastProblem = problem;
    say(`${problem} (still trying; Ctrl-C to stop)`);
  });
  return new Promise((resolve) => {
    let ended = false;
    let printed = 0;
    const done = () => {
      if (ended) return;
      ended = true;
      ending = true;
      let code = 0;
      if (dedup) {
        process.stdout.write(`${dedup.summaryLine()}\n`);
        if (dedup.summary().unexplained > 0) code = 1;
      }
      // After the PUBACK of the message just printed, which mqtt.js sends when this listener
      // returns, has left (a PUBACK lost here means that message comes again, never that it is lost).
      const stop = () => client.end(opts.clientId !== undefined, {}, () => resolve(code));
      setImmediate(() => (client.stream?.writableNeedDrain ? client.stream.once('drain', stop) : stop()));
    };
    client.on('message', (topic, payload, packet) => {
      if (ended) {
        if (opts.clientId !== undefined) unprinted.add(packet);
        return;
      }
      if (dedup) {
        for (const line of dedup.message(topic, payload, (l) => process.stderr.write(`${escapeUnsafe(l)}\n`)))
          process.stdout.write(`${escapeUnsafe(line)}\n`);
      } else {
        const line = lines.message(topic, payload);
        if (line === undefined) return;
        // Whoever can publish can send what a terminal obeys or displays as other text.
        process.stdout.write(`${escapeUnsafe(line)}\n`);
      }
      printed++;
      if (opts.count !== undefined && printed >= opts.count) done();
    });
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
