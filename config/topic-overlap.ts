/**
 * A network reader's topic must stay out of the gateway's own topic space
 * (`<topicPrefix>/<site>/<gateway>/...`): the gateway publishes its events, status, health,
 * rejects, overflow notices and summaries there. On the embedded broker only a topic's owner may
 * publish to it, so a reader owning one of them refuses the gateway's own publishes (each closes
 * its uplink's connection); and whatever a reader sent there would reach the gateway's consumers
 * as if the gateway had said it. A topic above the gateway's level is refused too: a consumer's
 * filter for the gateway's space (`.../#`) would take the reader's raw messages. The site-wide
 * holds topic (`<topicPrefix>/<site>/holds`), an input the gateway subscribes to, is refused
 * too: a reader publishing there would be taken for a recall service.
 */
import { topics } from '../daemon/contract/topics.js';
import type { Config } from './schema.js';

/** Why a reader's topic may not be used, naming both topics; undefined when it is clear. */
export function gatewayTopicOverlap(readerId: string, topic: string, config: Config): string | undefined {
  const own = topics(config.uplink.topicPrefix, config.gateway.site, config.gateway.id);
  if (own.inputs.holds.includes(topic) && !topic.startsWith(own.status.slice(0, -'status'.length)))
    return (
      `reader ${readerId} publishes to ${topic}, the site's holds topic, which the gateway takes holds from: ` +
      'choose a topic outside it (the default is readpoint/v1/readers/<reader id>/tags)'
    );
  const space = own.status.slice(0, -'/status'.length);
  const inside = topic.startsWith(`${space}/`);
  if (!inside && topic !== space && !space.startsWith(`${topic}/`)) return undefined;
  const named = [own.status, own.health, own.rejects, own.overflow, own.summary];
  const events = own.allEvents.slice(0, -1);
  const clash = named.includes(topic)
    ? topic
    : topic.startsWith(events) && !topic.slice(events.length).includes('/')
      ? own.allEvents
      : `${space}/#`;
  return (
    `reader ${readerId} publishes to ${topic}, which overlaps the gateway's own topic ${clash}: ` +
    `only the gateway publishes under ${space}/; choose a topic outside it ` +
    '(the default is readpoint/v1/readers/<reader id>/tags)'
  );
}
