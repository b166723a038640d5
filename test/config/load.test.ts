import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerLimits } from '../../config/broker-limit-defaults.js';
import { configJsonSchema } from '../../config/json-schema.js';
import { loadConfig, parseConfig } from '../../config/load.js';
import { REFERENCE_PAGE, renderJsonSchema, renderReferencePage } from '../../config/write-json-schema.js';
import { repoRoot } from '../support/schemas.js';
import { MINIMAL_YAML, problems } from './helpers.js';

describe('the memory budget', () => {
  it('sizes smoothing from memory.budgetMb unless smoothing.maxTracked is set', () => {
    // A fifth of the budget at 250 bytes per tracked unit.
    expect(parseConfig(MINIMAL_YAML, 'f.yaml', {})).toMatchObject({
      memory: { budgetMb: 128 },
      smoothing: { maxTracked: 107_374 },
    });
    expect(parseConfig(`${MINIMAL_YAML}memory: { budgetMb: 64 }\n`, 'f.yaml', {}).smoothing.maxTracked).toBe(
      53_687,
    );
    const both = parseConfig(
      `${MINIMAL_YAML}memory: { budgetMb: 64 }\nsmoothing: { maxTracked: 500 }\n`,
      'f.yaml',
      {},
    );
    expect(both.smoothing).toEqual({ suppressionS: 10, maxTracked: 500 });
    expect(Object.isFrozen(both.smoothing)).toBe(true);
  });

  it('sizes the hold index from memory.budgetMb unless holds.indexMb is set, only with holds on', () => {
    expect(parseConfig(MINIMAL_YAML, 'f.yaml', {}).holds).toBeUndefined();
    expect(parseConfig(`${MINIMAL_YAML}holds: {}\n`, 'f.yaml', {}).holds).toMatchObject({ indexMb: 48 });
    expect(
      parseConfig(`${MINIMAL_YAML}memory: { budgetMb: 200 }\nholds: {}\n`, 'f.yaml', {}).holds?.indexMb,
    ).toBe(75);
    expect(
      parseConfig(`${MINIMAL_YAML}memory: { budgetMb: 200 }\nholds: { indexMb: 8 }\n`, 'f.yaml', {}).holds
        ?.indexMb,
    ).toBe(8);
    expect(problems(`${MINIMAL_YAML}holds: { indexMb: 0 }\n`)).toEqual([
      'f.yaml:11:19 holds.indexMb: must be >= 1, got 0',
    ]);
  });

  it('refuses a budget too small to run in, with its place', () => {
    expect(problems(`${MINIMAL_YAML}memory: { budgetMb: 16 }\n`)).toEqual([
      'f.yaml:11:21 memory.budgetMb: must be >= 32, got 16',
    ]);
  });
});

describe('loading a config', () => {
  it('fills every default and freezes the result', () => {
    const c = parseConfig(MINIMAL_YAML, 'f.yaml', {});
    expect(c.dataDir).toBe('./data');
    expect(c.uplink).toMatchObject({
      topicPrefix: 'readpoint/v1',
      inflight: 100,
      keepaliveS: 30,
      retry: { minMs: 500, maxMs: 30000 },
    });
    expect(c.outbox).toEqual({
      maxEvents: 1000000,
      maxBytes: 2147483648,
      overflow: 'drop-oldest',
      batchMax: 512,
      sync: 'batch',
      syncIntervalMs: 100,
    });
    expect(c.broker).toEqual({
      enabled: 'auto',
      host: '127.0.0.1',
      port: 1883,
      allowAnonymous: false,
      limits: brokerLimits(),
    });
    expect(c.readers[0]).toMatchObject({
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      delimiter: 'CR',
      format: { data: 'aim', plainSerial: [] },
    });
    expect(Object.isFrozen(c) && Object.isFrozen(c.readers[0]) && Object.isFrozen(c.uplink.retry)).toBe(true);
  });

  it('loads the demo and the example', async () => {
    expect((await loadConfig(join(repoRoot, 'config', 'demo.yaml'), {})).readers[0]!.driver).toBe(
      'simulator',
    );
    const example = await loadConfig(join(repoRoot, 'config', 'example.yaml'), { UPLINK_PASSWORD: 's3cret' });
    expect(example.uplink.password).toBe('s3cret');
  });

  it('reports every problem at once with FILE:LINE:COL path: message', () => {
    const text = `gateway:
  id: gw 1
  site: s-1
readPoints:
  - id: rp-1
    bizStep: 12
readers:
  - id: r-1
    driver: serial-line
    readPoint: rp-1
    baudrate: 9600
    parity: weird
  - id: r-2
    driver: keyboard-wedge
    readPoint: rp-1
uplink:
  inflight: 0
`;
    expect(problems(text)).toEqual([
      'f.yaml:2:7 gateway.id: "gw 1" is not a valid id: use 1-64 letters, digits, ".", "_" or "-" (it becomes an MQTT topic segment)',
      'f.yaml:6:14 readPoints[0].bizStep: must be string, got 12',
      'f.yaml:8:5 readers[0].path: missing the device: set "path", or "usb" (the USB ids of its USB-serial adapter)',
      'f.yaml:11:5 readers[0].baudrate: unknown key "baudrate" (did you mean "baudRate"?)',
      'f.yaml:12:13 readers[0].parity: must be one of "none", "even", "odd", "mark", "space", got "weird"',
      'f.yaml:14:13 readers[1].driver: unknown driver "keyboard-wedge"; drivers: serial-line, simulator, r2000, thingmagic, usb-hid, impinj-r700, zebra-fx',
      'f.yaml:17:13 uplink.inflight: must be >= 1, got 0',
    ]);
  });

  it('prints a key or value that would display as other text escaped, never as it is', () => {
    // A right-to-left override in an unknown key would make the line read as something else.
    const lines = problems(`${MINIMAL_YAML}\nlog: { "lev\u202Eel": debug }\n`);
    expect(lines.join('\n')).not.toMatch(/\u202e/);
    expect(lines.some((l) => l.includes('lev\\u202eel'))).toBe(true);
  });

  it('reports YAML syntax errors with their position', () => {
    const [first] = problems('gateway:\n  id: [a, b\n');
    expect(first).toMatch(/^f\.yaml:\d+:\d+ \(root\): YAML: /);
  });

  it('checks references and duplicates after the shape is right', () => {
    expect(problems(`${MINIMAL_YAML}  - id: r-1\n    driver: simulator\n    readPoint: rp-9\n`)).toEqual([
      'f.yaml:11:9 readers[1].id: duplicate id "r-1" (also readers[0])',
      'f.yaml:13:16 readers[1].readPoint: read point "rp-9" is not defined in readPoints (defined: rp-1)',
    ]);
  });

  it('checks antenna maps: read points that exist, zones only at dock doors, both zones at each', () => {
    const text = `gateway: { id: gw-1, site: s-1 }
readPoints:
  - { id: dock-1, direction: { inbound: receiving, outbound: shipping } }
  - { id: dock-2, direction: { inbound: receiving, outbound: shipping } }
  - { id: aisle }
readers:
  - id: rfid-1
    driver: serial-line
    path: /dev/ttyUSB0
    readPoint: dock-1
    antennaMap:
      - { antenna: 1, zone: inside }
      - { antenna: 2, zone: outside, rssiFloorDbm: -70 }
      - { antenna: 2, readPoint: aisle }
      - { antenna: 3, readPoint: nowhere }
      - { antenna: 4, readPoint: aisle, zone: inside }
`;
    expect(problems(text)).toEqual([
      'f.yaml:4:30 readPoints[1].direction: a direction needs antennas in both zones; no reader maps an antenna to inside or outside here (readers[].antennaMap[].zone)',
      'f.yaml:14:20 readers[0].antennaMap[2].antenna: antenna 2 is listed twice',
      'f.yaml:15:34 readers[0].antennaMap[3].readPoint: read point "nowhere" is not defined in readPoints',
      'f.yaml:16:47 readers[0].antennaMap[4].zone: read point "aisle" has no direction: a zone means nothing there',
    ]);
  });

  it('checks network readers: the embedded broker on, one password each, logins and topics of their own', () => {
    const text = `gateway: { id: gw-1, site: s-1 }
broker: { enabled: false, username: floor }
readPoints: [{ id: dock-1 }]
readers:
  - { id: r700, driver: impinj-r700, readPoint: dock-1, username: door, password: a }
  - { id: fx, driver: zebra-fx, readPoint: dock-1, username: door, topic: readpoint/v1/readers/r700/tags }
  - { id: fx2, driver: zebra-fx, readPoint: dock-1, username: floor, password: b, passwordFile: /x }
`;
    expect(problems(text)).toEqual([
      'f.yaml:2:37 broker.username: set both username and password',
      'f.yaml:5:25 readers[0].driver: impinj-r700 readers publish into the embedded broker: set broker.enabled to auto or true',
      'f.yaml:6:23 readers[1].driver: zebra-fx readers publish into the embedded broker: set broker.enabled to auto or true',
      'f.yaml:6:62 readers[1].username: set exactly one of password and passwordFile',
      'f.yaml:6:62 readers[1].username: username also used by readers[0]',
      'f.yaml:6:75 readers[1].topic: topic also used by readers[0]',
      'f.yaml:7:24 readers[2].driver: zebra-fx readers publish into the embedded broker: set broker.enabled to auto or true',
      'f.yaml:7:63 readers[2].username: set exactly one of password and passwordFile',
      "f.yaml:7:63 readers[2].username: a reader needs a username of its own, not the broker's",
    ]);
  });

  it('substitutes ${ENV} in strings, with defaults and $${ escapes, and names a missing variable', () => {
    const text = `${MINIMAL_YAML}uplink:\n  url: mqtt://\${HOST:-127.0.0.1}:1883\n  username: $\${literal}\n  password: \${UPLINK_PASSWORD}\n`;
    const c = parseConfig(text, 'f.yaml', { UPLINK_PASSWORD: 'pw' });
    expect(c.uplink).toMatchObject({ url: 'mqtt://127.0.0.1:1883', username: '${literal}', password: 'pw' });
    expect(problems(text, {})).toEqual([
      'f.yaml:14:13 uplink.password: environment variable UPLINK_PASSWORD is not set',
    ]);
  });

  it('refuses a regular expression that does not compile', () => {
    const text = `${MINIMAL_YAML}    format:\n      plainSerial:\n        - pattern: "SN-(["\n          uri: urn:x:{serial}\n`;
    expect(problems(text)[0]).toMatch(
      /^f\.yaml:13:20 readers\[0\]\.format\.plainSerial\[0\]\.pattern: "SN-\(\[" is not a valid regular expression: /,
    );
  });

  it('says what is wrong with a regular expression that does not compile, in its own words', () => {
    const text = `${MINIMAL_YAML}    format:\n      plainSerial:\n        - pattern: "SN-(?<serial>[0-9]+"\n          uri: urn:x:{serial}\n`;
    expect(problems(text)).toEqual([
      'f.yaml:13:20 readers[0].format.plainSerial[0].pattern: "SN-(?<serial>[0-9]+" is not a valid regular expression: unterminated group',
    ]);
  });

  it('refuses a URI template that names a group the pattern does not have, and lists the groups it has', () => {
    const text = `${MINIMAL_YAML}    format:
      plainSerial:
        - pattern: "SN-(?<sn>[0-9]+)-(?<plant>[A-Z]{2})"
          uri: urn:x:{plant}:{serial}
        - pattern: "LOT[0-9]+"
          uri: "urn:x:{serial}"
        - pattern: "(?<serial>[0-9]+)"
          uri: urn:x:{serial}
`;
    expect(problems(text)).toEqual([
      'f.yaml:14:16 readers[0].format.plainSerial[0].uri: the template names {serial}, but the pattern has no group "serial" (its groups: sn, plant); name a group (?<serial>...) or use one of those',
      'f.yaml:16:16 readers[0].format.plainSerial[1].uri: the template names {serial}, but the pattern has no named groups; name the part the URI needs, e.g. (?<serial>...)',
    ]);
  });

  it('points at the line of every YAML syntax error', () => {
    expect(problems('gateway:\n  id: a\n  id: b\n')).toEqual([
      'f.yaml:3:3 (root): YAML: Map keys must be unique',
    ]);
    expect(problems('gateway:\n  id: g\n  site: "s\n')).toEqual([
      'f.yaml:4:1 (root): YAML: Missing closing "quote',
    ]);
  });

  it('points at the line of a tab used as indentation', () => {
    const text = 'gateway:\n  id: gw-1\n\tsite: s-1\n';
    expect(problems(text)).toEqual([
      'f.yaml:3:1 (root): YAML: Tabs are not allowed as indentation (indent with spaces)',
    ]);
  });

  it('says in words what form a value must take, never as a regular expression', () => {
    const text = `gateway: { id: gw-1, site: s-1 }
readPoints:
  - { id: rp-1, uri: "rp 1", bizLocation: "no-scheme", bizStep: "Receiving Dock", disposition: "in progress" }
readers:
  - id: r-1
    driver: serial-line
    readPoint: rp-1
    path: /dev/ttyUSB0
    delimiter: TAB
    multiReadSeparator: "\\r"
  - { id: fx, driver: zebra-fx, readPoint: rp-1, username: door, password: a, topic: "readers/#" }
uplink:
  url: http://broker:1883
  topicPrefix: /readpoint/v1
`;
    const found = problems(text);
    expect(found).toEqual([
      'f.yaml:3:22 readPoints[0].uri: "rp 1" is not a URI: write scheme:rest without spaces, e.g. urn:example:dock-1 or https://example.com/dock-1',
      'f.yaml:3:43 readPoints[0].bizLocation: "no-scheme" is not a URI: write scheme:rest without spaces, e.g. urn:example:dock-1 or https://example.com/dock-1',
      'f.yaml:3:65 readPoints[0].bizStep: "Receiving Dock" is not a CBV term or URI: use a CBV word in lowercase letters and "_" (e.g. receiving, in_progress) or your own URI (scheme:rest, no spaces)',
      'f.yaml:3:96 readPoints[0].disposition: "in progress" is not a CBV term or URI: use a CBV word in lowercase letters and "_" (e.g. receiving, in_progress) or your own URI (scheme:rest, no spaces)',
      'f.yaml:9:16 readers[0].delimiter: "TAB" is not a delimiter: use CR, LF, CRLF, ETX, silence, or hex: followed by 1-8 bytes as hex digits (e.g. hex:03)',
      'f.yaml:10:25 readers[0].multiReadSeparator: "\\r" is not a separator: use 1-8 characters other than GS, CR and LF',
      'f.yaml:11:86 readers[1].topic: "readers/#" is not a topic: use 1-8 levels of 1-64 letters, digits, ".", "_" or "-" joined by "/" (no wildcards, no leading or trailing "/")',
      'f.yaml:13:8 uplink.url: "http://broker:1883" is not a broker URL: start it with mqtt://, mqtts://, tcp:// or ssl://',
      'f.yaml:14:16 uplink.topicPrefix: "/readpoint/v1" is not a topic: use 1-8 levels of 1-64 letters, digits, ".", "_" or "-" joined by "/" (no wildcards, no leading or trailing "/")',
    ]);
    expect(found.join('\n')).not.toMatch(/\^|\$|\[A-Z/);
  });

  it('gives every pattern in the schema a description in words, used for its message', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.pattern === 'string' && typeof o.patternErrorMessage !== 'string') missing.push(path);
        for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`);
      }
    };
    walk(configJsonSchema(), '');
    expect(missing).toEqual([]);
  });

  it('says when the file cannot be read', async () => {
    await expect(loadConfig('/nonexistent/readpoint.yaml')).rejects.toThrow(
      /nonexistent\/readpoint\.yaml:1:1 \(root\): cannot read the file/,
    );
  });
});

describe('generated artefacts', () => {
  it('config/readpoint.schema.json is current (run `npm run schema` if this fails)', () => {
    expect(readFileSync(join(repoRoot, 'config', 'readpoint.schema.json'), 'utf8')).toBe(renderJsonSchema());
  });

  it('the configuration reference in docs/configuration.md is current (run `npm run schema` if this fails)', () => {
    const page = readFileSync(join(repoRoot, REFERENCE_PAGE), 'utf8');
    expect(page).toBe(renderReferencePage(page));
  });
});
