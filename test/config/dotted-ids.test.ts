import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { dottedIds } from '../../daemon/uplink/dotted-ids.js';
import { uplinkWarnings } from '../../daemon/uplink/uplink-warnings.js';

const configWith = (o: { site?: string; gateway?: string; readPoints?: string[]; uplink?: string }) =>
  parseConfig(
    `gateway: { id: ${o.gateway ?? 'gw-1'}, site: ${o.site ?? 's-1'} }
${o.uplink ?? 'uplink: { url: "mqtt://central.example:1883" }'}
readPoints:
${(o.readPoints ?? ['rp-1']).map((id) => `  - id: ${id}\n`).join('')}readers:
  - { id: r-1, driver: serial-line, readPoint: ${(o.readPoints ?? ['rp-1'])[0]}, path: /dev/ttyUSB0 }
`,
    'f.yaml',
    {},
  );

describe('ids with a "."', () => {
  it('are named in topic order: prefix, site, gateway, each read point', () => {
    const config = configWith({
      site: 'dc.east',
      gateway: 'gw.7',
      readPoints: ['dock-1', 'dock.2', 'line.3.a'],
      uplink: 'uplink: { url: "mqtt://central.example:1883", topicPrefix: acme.wms/v1 }',
    });
    expect(dottedIds(config)).toEqual([
      'uplink.topicPrefix "acme.wms/v1"',
      'site "dc.east"',
      'gateway "gw.7"',
      'read point "dock.2"',
      'read point "line.3.a"',
    ]);
  });

  it('make one warning for a central broker, under its own key, that says what RabbitMQ does with them', async () => {
    const warnings = await uplinkWarnings(configWith({ readPoints: ['dock.1'] }));
    expect(warnings['uplink.dottedIds']).toBe(
      'read point "dock.1" has a "." in the topics: on RabbitMQ\'s MQTT plugin a "." is a topic-level separator, ' +
        'so these events arrive on extra levels (a "+" filter misses them) and ids that differ only in where a "." ' +
        'sits share a topic; Mosquitto and most other brokers keep the "." as it is. On RabbitMQ, rename them without "."',
    );
    // The other warnings are untouched by it.
    expect(
      Object.entries(warnings)
        .filter(([, text]) => text !== undefined)
        .map(([key]) => key),
    ).toEqual(['uplink.dottedIds']);
  });

  it('make no warning without a "." or without a central broker (the embedded one takes them as they are)', async () => {
    expect(dottedIds(configWith({}))).toEqual([]);
    expect((await uplinkWarnings(configWith({})))['uplink.dottedIds']).toBeUndefined();
    const embedded = configWith({ site: 'dc.east', uplink: '' });
    expect(dottedIds(embedded)).toEqual(['site "dc.east"']);
    expect((await uplinkWarnings(embedded))['uplink.dottedIds']).toBeUndefined();
  });
});
