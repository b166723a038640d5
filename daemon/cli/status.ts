/**
 * `readpoint status --config FILE`: the gateway's state at once, from what its broker retains:
 * the status topic (`online`, or `offline`: the last will) and the last health report. The
 * broker, login and TLS files, topic prefix, site and gateway id come from the config, as for
 * `readpoint tail --config`. Never waits longer than the timeout.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { type HealthPayload, topics } from '../contract/topics.js';
import { redactUrl } from '../uplink/redact.js';
import { formatStatus, STATUS_EXIT, statusVerdict } from './status-format.js';
import { type Retained, retainedOnNodes } from './status-nodes.js';
import { connectionProblem } from './tail.js';
import { gatewayBroker, loadGatewayConfig } from './tail-config.js';

export interface StatusCliOptions {
  config: string;
  url?: string;
  json?: boolean;
  timeout?: string;
}

/** What the broker retains for one gateway, or why it could not be asked. */
export type { Retained } from './status-nodes.js';

/** The timeout in ms from `--timeout` seconds, or a usage message. */
export function statusTimeoutMs(value: string | undefined): number | string {
  if (value === undefined) return 5000;
  const s = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || s <= 0 || s > 600)
    return `--timeout ${JSON.stringify(value)}: give seconds, more than 0 and at most 600`;
  return Math.round(s * 1000);
}

/**
 * How long to wait, after the broker has answered everything before, for a retained message that
 * has not come: Mosquitto sends retained messages before it answers the next packet, but aedes
 * (the embedded broker) streams them on its own, possibly after that answer.
 */
const STRAGGLER_MS = 1000;

/**
 * Subscribes to the status and health topics and resolves with what the broker retains, as soon
 * as both came. Retained messages follow the SUBACK; the UNSUBACK of a filter never subscribed
 * (asked for after the SUBACK) marks when the broker has answered what came before, and from
 * then on a missing message gets STRAGGLER_MS more. Never longer than `timeoutMs` in all.
 */
export function queryRetained(
  url: string,
  connect: mqtt.IClientOptions,
  wanted: { readonly status: string; readonly health: string },
  timeoutMs: number,
): Promise<Retained> {
  const client = mqtt.connect(url, {
    ...connect,
    clientId: `readpoint-status-${randomBytes(4).toString('hex')}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  let status: string | undefined;
  let health: string | undefined;
  let stage: 'connecting' | 'subscribing' | 'settling' = 'connecting';
  let done = false;
  const startedAt = Date.now();
  let straggler: NodeJS.Timeout | undefined;
  return new Promise<Retained>((resolve) => {
    const finish = (answer: Retained) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(straggler);
      client.removeAllListeners('message');
      client.end(true);
      resolve(answer);
    };
    const retained = (): Retained => ({
      ok: true,
      ...(status !== undefined ? { status } : {}),
      ...(health !== undefined ? { health } : {}),
    });
    const timer = setTimeout(() => {
      const seconds = timeoutMs / 1000;
      if (stage === 'connecting')
        finish({ ok: false, problem: `no answer from ${redactUrl(url)} within ${seconds} s` });
      else if (stage === 'subscribing')
        finish({
          ok: false,
          problem: `${redactUrl(url)} did not answer the subscription within ${seconds} s`,
        });
      else finish(retained());
    }, timeoutMs);
    client.on('error', (err) => finish({ ok: false, problem: connectionProblem(url, err) }));
    client.on('close', () => {
      if (stage !== 'settling') finish({ ok: false, problem: `${redactUrl(url)} closed the connection` });
    });
    client.on('message', (topic, payload) => {
      if (topic === wanted.status) status = payload.toString('utf8');
      else if (topic === wanted.health) health = payload.toString('utf8');
      if (stage === 'settling' && status !== undefined && health !== undefined) finish(retained());
    });
    client.on('connect', () => {
      stage = 'subscribing';
      client.subscribe([wanted.status, wanted.health], { qos: 0 }, (err, granted) => {
        if (err) return finish({ ok: false, problem: `subscription refused: ${err.message}` });
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0)
          return finish({
            ok: false,
            problem: `the broker refused the subscription to ${refused.join(', ')}: the login may not read them`,
          });
        stage = 'settling';
        if (status !== undefined && health !== undefined) return finish(retained());
        client.unsubscribe(`${wanted.health}/none`, () => {
          const left = timeoutMs - (Date.now() - startedAt);
          straggler = setTimeout(() => finish(retained()), Math.max(0, Math.min(STRAGGLER_MS, left)));
        });
      });
    });
  });
}

/** Parses a health payload, or says why it is not one. */
export function parseHealth(text: string): HealthPayload | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the retained health is not JSON';
  }
  const h = value as Partial<HealthPayload> | null;
  if (
    !h ||
    typeof h !== 'object' ||
    typeof h.time !== 'string' ||
    !Array.isArray(h.readers) ||
    typeof h.outbox !== 'object' ||
    typeof h.uplink !== 'object' ||
    typeof h.events !== 'object'
  )
    return 'the retained health is not a readpoint health report';
  return h as HealthPayload;
}

export async function statusCommand(o: StatusCliOptions, timeoutMs: number): Promise<number | string> {
  const config = await loadGatewayConfig(o.config, o.url === undefined ? 'give --url' : undefined);
  if (typeof config === 'string') return config;
  const target =
    o.url === undefined ? await gatewayBroker(config, o.config, 'give --url') : { url: o.url, connect: {} };
  if (typeof target === 'string') return target;
  const { gateway, uplink } = config;
  const t = topics(uplink.topicPrefix, gateway.site, gateway.id);
  const nodes = 'nodes' in target ? target.nodes : undefined;
  const answer = nodes
    ? await retainedOnNodes(nodes, target.connect, t, timeoutMs, queryRetained)
    : await queryRetained(target.url, target.connect, t, timeoutMs);
  const say = (line: string) => process.stderr.write(`readpoint status: ${line}\n`);
  if (!answer.ok) {
    say(`${answer.problem}; the gateway's state is unknown`);
    return STATUS_EXIT.unreachable;
  }
  const health = answer.health === undefined ? undefined : parseHealth(answer.health);
  if (typeof health === 'string') say(`${health} (on ${t.health})`);
  const input = {
    gateway: gateway.id,
    site: gateway.site,
    ...(answer.status !== undefined ? { status: answer.status } : {}),
    ...(health !== undefined && typeof health !== 'string' ? { health } : {}),
    ...(config.jobs.health === undefined ? { healthIntervalS: uplink.healthIntervalS } : {}),
    now: Date.now(),
  };
  const verdict = statusVerdict(input);
  if (o.json) {
    if (answer.health !== undefined && typeof health !== 'string') process.stdout.write(`${answer.health}\n`);
    else say(`no health retained on ${t.health}`);
  } else process.stdout.write(formatStatus(input, verdict));
  return verdict.code;
}
