/** The inbound settings: uplink.protocolVersion and maxInboundBytes, and broker.consumers[].publish. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { brokerOptions } from '../../daemon/broker/broker-options.js';
import { MINIMAL_YAML, problems } from './helpers.js';

describe('uplink.protocolVersion', () => {
  it('defaults to MQTT 3.1.1 with a 16 MiB inbound bound, as before', () => {
    const config = parseConfig(MINIMAL_YAML, 'f.yaml', {});
    expect(config.uplink.protocolVersion).toBe(4);
    expect(config.uplink.maxInboundBytes).toBe(16 * 1024 * 1024);
  });

  it('takes 5 with a broker URL', () => {
    const config = parseConfig(
      `${MINIMAL_YAML}uplink: { url: "mqtt://127.0.0.1:1883", protocolVersion: 5, maxInboundBytes: 65536 }\n`,
      'f.yaml',
      {},
    );
    expect(config.uplink).toMatchObject({ protocolVersion: 5, maxInboundBytes: 65536 });
  });

  it('refuses 5 with the embedded broker as upstream, which speaks MQTT 3.1.1 only, and any other version', () => {
    expect(problems(`${MINIMAL_YAML}uplink: { protocolVersion: 5 }\n`)).toEqual([
      'f.yaml:11:28 uplink.protocolVersion: the embedded broker (the upstream without uplink.url) speaks MQTT 3.1.1 ' +
        'only: use 4, or set uplink.url to a broker that takes MQTT 5 (Mosquitto; RabbitMQ from 3.13)',
    ]);
    expect(problems(`${MINIMAL_YAML}uplink: { url: "mqtt://h", protocolVersion: 3 }\n`)[0]).toMatch(
      /uplink\.protocolVersion/,
    );
  });
});

describe('broker.consumers[].publish', () => {
  it('hands the granted input kinds to the broker', () => {
    const config = parseConfig(
      `${MINIMAL_YAML}broker:\n  consumers:\n    - { username: wms, password: w, publish: [context, query] }\n    - { username: dash, password: d }\n`,
      'f.yaml',
      {},
    );
    expect(brokerOptions(config).consumers).toEqual([
      { username: 'wms', password: 'w', publish: ['context', 'query'] },
      { username: 'dash', password: 'd' },
    ]);
  });

  it('refuses a kind that is not an input, and a kind named twice', () => {
    expect(
      problems(
        `${MINIMAL_YAML}broker:\n  consumers:\n    - { username: wms, password: w, publish: [events] }\n`,
      )[0],
    ).toMatch(/broker\.consumers\[0\]\.publish\[0\]/);
    expect(
      problems(
        `${MINIMAL_YAML}broker:\n  consumers:\n    - { username: wms, password: w, publish: [holds, holds] }\n`,
      )[0],
    ).toMatch(/broker\.consumers\[0\]\.publish/);
  });
});

describe("a network reader's topic", () => {
  it("may not be the site's holds topic, an input the gateway subscribes to", () => {
    const reader = (topic: string) =>
      `gateway: { id: gw-1, site: s-1 }\nreadPoints: [{ id: rp-1 }]\nreaders:\n  - { id: door-1, driver: impinj-r700, readPoint: rp-1, username: r700, password: x, topic: ${topic} }\n`;
    expect(problems(reader('readpoint/v1/s-1/holds'))).toEqual([
      expect.stringMatching(
        /readers\[0\]\.topic: reader door-1 publishes to readpoint\/v1\/s-1\/holds, the site's holds topic/,
      ),
    ]);
    expect(parseConfig(reader('readpoint/v1/s-1/holds-not'), 'f.yaml', {}).readers).toHaveLength(1);
  });
});
