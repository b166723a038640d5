/** The embedded broker's settings in a config: when it runs, and what `check` refuses. */
import { describe, expect, it } from 'vitest';
import { embeddedBrokerRuns } from '../../config/broker.js';
import { type ConfigError, parseConfig } from '../../config/load.js';
import { isLoopback } from '../../config/loopback.js';

const base = `gateway: { id: gw-1, site: s-1 }
readPoints: [{ id: dock-1 }]
`;
const sim = '  - { id: sim, driver: simulator, readPoint: dock-1 }\n';
const r700 = '  - { id: r700, driver: impinj-r700, readPoint: dock-1, username: door, password: a }\n';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'f.yaml', {});
    return [];
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('the embedded broker in the config', () => {
  it('runs on auto only when a network reader needs it or there is no uplink.url', () => {
    const runs = (broker: string, uplink: string, readers: string) =>
      embeddedBrokerRuns(parseConfig(`${base}${broker}${uplink}readers:\n${readers}`, 'f.yaml', {}));
    const central = 'uplink: { url: mqtt://central:1883 }\n';
    expect(runs('', '', sim)).toBe(true);
    expect(runs('', central, sim)).toBe(false);
    expect(runs('', central, sim + r700)).toBe(true);
    expect(runs('broker: { enabled: true }\n', central, sim)).toBe(true);
    expect(runs('broker: { enabled: false }\n', '', sim)).toBe(false);
  });

  it('tells loopback addresses from the network', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '::', '10.0.0.5', 'gateway.local', '128.0.0.1'].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses an anonymous broker beyond loopback unless allowed, and checks consumer logins', () => {
    const readers = `readers:\n${sim}${r700}`;
    expect(problems(`${base}broker: { host: 0.0.0.0 }\n${readers}`)).toEqual([
      'broker.host: 0.0.0.0 is reachable beyond this host and the broker has no login: anyone on the network ' +
        'could read the gateway; set broker.username and broker.password (or broker.consumers), ' +
        'or broker.allowAnonymous: true to let anonymous clients read',
    ]);
    expect(problems(`${base}broker: { host: 0.0.0.0, allowAnonymous: true }\n${readers}`)).toEqual([]);
    expect(problems(`${base}broker: { host: 0.0.0.0, username: f, password: p }\n${readers}`)).toEqual([]);
    // Not running: nothing listens, nothing to refuse.
    expect(
      problems(`${base}broker: { host: 0.0.0.0 }\nuplink: { url: mqtt://central:1883 }\nreaders:\n${sim}`),
    ).toEqual([]);
    const consumers = `broker:
  host: 0.0.0.0
  username: floor
  password: p
  consumers:
    - { username: erp, password: x }
    - { username: erp, passwordFile: /run/credentials/erp }
    - { username: floor, password: y, passwordFile: /z }
    - { username: door, password: z }
`;
    expect(problems(`${base}${consumers}${readers}`)).toEqual([
      'broker.consumers[1].username: username also used by broker.consumers[0]',
      'broker.consumers[2].username: set exactly one of password and passwordFile',
      'broker.consumers[2].username: the same username as broker.username',
      'broker.consumers[3].username: username also used by readers[1]',
    ]);
  });
});
