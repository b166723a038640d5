/** uplink.url as a list of broker nodes: each checked as a single URL is, the order kept. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { uplinkWarnings } from '../../daemon/uplink/uplink-warnings.js';
import { upstreamOf } from '../../daemon/uplink-stage.js';
import { MINIMAL_YAML, problems } from './helpers.js';

describe('uplink.url as a list of nodes', () => {
  it('loads a list, keeps its order, and hands every node to the uplink', () => {
    const config = parseConfig(
      `${MINIMAL_YAML}uplink:\n  url: [mqtts://n1.example:8883, mqtts://n2.example:8883, "mqtts://n3.example"]\n  username: gw\n  password: pw\n`,
      'f.yaml',
      {},
    );
    expect(config.uplink.url).toEqual([
      'mqtts://n1.example:8883',
      'mqtts://n2.example:8883',
      'mqtts://n3.example',
    ]);
    expect(upstreamOf(config)).toEqual({
      url: 'mqtts://n1.example:8883',
      nodes: ['mqtts://n1.example:8883', 'mqtts://n2.example:8883', 'mqtts://n3.example'],
      username: 'gw',
      password: 'pw',
    });
  });

  it('keeps a single string, and a list of one, a single broker', () => {
    const one = parseConfig(`${MINIMAL_YAML}uplink: { url: "mqtt://127.0.0.1:1883" }\n`, 'f.yaml', {});
    expect(upstreamOf(one)).toEqual({ url: 'mqtt://127.0.0.1:1883' });
    const listed = parseConfig(`${MINIMAL_YAML}uplink: { url: ["mqtt://127.0.0.1:1883"] }\n`, 'f.yaml', {});
    expect(upstreamOf(listed)).toEqual({ url: 'mqtt://127.0.0.1:1883' });
  });

  it('checks every node as a single URL is checked, at its own line, without showing a login', () => {
    // The shape is checked first; what a URL says, once every node has the shape.
    expect(problems(`${MINIMAL_YAML}uplink:\n  url:\n    - mqtt://n1:1883\n    - http://n2:1883\n`)).toEqual([
      'f.yaml:14:7 uplink.url[1]: "http://n2:1883" is not a broker URL: start it with mqtt://, mqtts://, tcp:// or ssl://',
    ]);
    const text = `${MINIMAL_YAML}uplink:
  url:
    - mqtt://n1:1883
    - "mqtt://gw:p/w@n3:1883"
    - "mqtt://:1883"
`;
    const unreadable =
      'not a URL that can be read (the value is not shown: it may hold a password). Put the login in ' +
      'uplink.username and uplink.password, or percent-encode what the URL carries ' +
      '(/ as %2F, @ as %40, : as %3A, # as %23, ? as %3F, a space as %20)';
    expect(problems(text)).toEqual([
      `f.yaml:14:7 uplink.url[1]: ${unreadable}`,
      `f.yaml:15:7 uplink.url[2]: ${unreadable}`,
    ]);
    expect(problems(text).join('\n')).not.toContain('p/w');
  });

  it('refuses an empty list and a value of another kind', () => {
    expect(problems(`${MINIMAL_YAML}uplink: { url: [] }\n`)).toEqual([
      'f.yaml:11:16 uplink.url: must NOT have fewer than 1 items',
    ]);
    expect(problems(`${MINIMAL_YAML}uplink: { url: 1883 }\n`)).toEqual([
      'f.yaml:11:16 uplink.url: does not match any allowed form',
    ]);
  });

  it('asks for mqtts:// on every node when TLS files are given', () => {
    expect(
      problems(`${MINIMAL_YAML}uplink: { url: ["mqtts://n1:8883", "mqtt://n2:1883"], ca: ca.crt }\n`),
    ).toEqual([
      'f.yaml:11:59 uplink.ca: a TLS file, but uplink.url has a node with mqtt:// (plain text, the login readable on the way): use mqtts:// (or ssl://) for every node, or remove the TLS files',
    ]);
    expect(() =>
      parseConfig(
        `${MINIMAL_YAML}uplink: { url: ["mqtts://n1:8883", "ssl://n2:8883"], ca: ca.crt }\n`,
        'f.yaml',
        {},
      ),
    ).not.toThrow();
  });

  it('warns of a login in plain text to any node beyond loopback', async () => {
    const config = parseConfig(
      `${MINIMAL_YAML}uplink: { url: ["mqtt://127.0.0.1:1883", "mqtt://n2.example:1883"], username: gw, password: pw }\n`,
      'f.yaml',
      {},
    );
    expect((await uplinkWarnings(config))['uplink.plaintext']).toBe(
      'uplink.url is mqtt:// to n2.example with a login: the password and the events cross the network in plain text; use mqtts://',
    );
  });
});
