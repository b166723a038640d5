/**
 * Ids with a `.` in the topics the uplink publishes to. MQTT takes a `.` as an ordinary character
 * (Mosquitto, aedes, EMQX, HiveMQ), so the ids stay valid; but RabbitMQ's MQTT plugin maps `/` to
 * its word separator `.` and back, so there each `.` becomes one more topic level: a consumer's
 * `+` filters miss those events, and ids that differ only in where a `.` sits share a topic.
 * Refusing them would break configs that work on every other broker, so this is a warning: the
 * operator of a RabbitMQ fleet renames them, everyone else may keep them.
 */
import type { Config } from '../../config/schema.js';

/** The ids with a `.`, each as `what "id"`, in topic order; empty when there are none. */
export function dottedIds(config: Config): string[] {
  const named: [string, string][] = [
    ['uplink.topicPrefix', config.uplink.topicPrefix],
    ['site', config.gateway.site],
    ['gateway', config.gateway.id],
    ...config.readPoints.map((rp): [string, string] => ['read point', rp.id]),
  ];
  return named.filter(([, id]) => id.includes('.')).map(([what, id]) => `${what} ${JSON.stringify(id)}`);
}

/** The warning text for `config`, or undefined when no topic id has a `.`. */
export function dottedIdsWarning(config: Config): string | undefined {
  const ids = dottedIds(config);
  if (ids.length === 0) return undefined;
  return (
    `${ids.join(', ')} ${ids.length === 1 ? 'has' : 'have'} a "." in the topics: on RabbitMQ's MQTT plugin a "." ` +
    'is a topic-level separator, so these events arrive on extra levels (a "+" filter misses them) and ids that ' +
    'differ only in where a "." sits share a topic; Mosquitto and most other brokers keep the "." as it is. ' +
    'On RabbitMQ, rename them without "."'
  );
}
