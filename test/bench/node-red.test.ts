import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  completeInstall,
  INSTALL_MARK,
  installedVersions,
  nodeRedDir,
  npmInstallArgs,
  npmReason,
} from './node-red-install.js';
import {
  benchFlow,
  benchSettings,
  NODE_RED_TOPIC,
  NODE_RED_VERSION,
  noteStartupLine,
  ready,
  SERIALPORT_NODE_VERSION,
  settingsModule,
  startupSeen,
  TRIM_FUNCTION,
} from './node-red-setup.js';

type Node = Record<string, unknown> & { id: string; type: string; wires?: string[][] };

const flow = () =>
  benchFlow({
    serialPath: '/tmp/x/scanner',
    brokerUrl: 'mqtt://127.0.0.1:40123',
    clientId: 'bench-1',
  }) as Node[];
const byType = (nodes: Node[], type: string) => {
  const found = nodes.filter((n) => n.type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('the Node-RED flow of the PTY bench', () => {
  it('wires serial in -> function -> mqtt out and nothing else', () => {
    const nodes = flow();
    expect(nodes.map((n) => n.type).sort()).toEqual(
      ['function', 'mqtt out', 'mqtt-broker', 'serial in', 'serial-port', 'tab'].sort(),
    );
    expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
    const serialIn = byType(nodes, 'serial in');
    const fn = byType(nodes, 'function');
    const out = byType(nodes, 'mqtt out');
    expect(serialIn.wires).toEqual([[fn.id]]);
    expect(fn.wires).toEqual([[out.id]]);
    expect(out.wires).toEqual([]);
    const tab = byType(nodes, 'tab');
    for (const n of [serialIn, fn, out]) expect(n.z).toBe(tab.id);
  });

  it('splits the port on CR with string output and trims in the function node', () => {
    const nodes = flow();
    const port = byType(nodes, 'serial-port');
    expect(byType(nodes, 'serial in').serial).toBe(port.id);
    expect(port).toMatchObject({ serialport: '/tmp/x/scanner', out: 'char', bin: 'false', addchar: '' });
    // The editor's escaped form: backslash and r, which the node turns into a CR.
    expect([...(port.newline as string)]).toEqual(['\\', 'r']);
    const fn = byType(nodes, 'function');
    expect(fn.func).toBe(TRIM_FUNCTION);
    const body = new Function('msg', fn.func as string) as (m: { payload: string }) => { payload: string };
    expect(body({ payload: ']d2010950123456789\r' }).payload).toBe(']d2010950123456789');
  });

  it('publishes at QoS 1, not retained, to the given broker over MQTT 3.1.1', () => {
    const nodes = flow();
    const broker = byType(nodes, 'mqtt-broker');
    expect(broker).toMatchObject({
      broker: '127.0.0.1',
      port: '40123',
      clientid: 'bench-1',
      usetls: false,
      protocolVersion: '4',
    });
    expect(byType(nodes, 'mqtt out')).toMatchObject({
      broker: broker.id,
      qos: '1',
      retain: 'false',
      topic: NODE_RED_TOPIC,
    });
  });

  it('takes only an mqtt:// URL', () => {
    expect(() => benchFlow({ serialPath: '/p', brokerUrl: 'mqtts://localhost:8883', clientId: 'c' })).toThrow(
      TypeError,
    );
  });
});

describe("Node-RED's settings for the bench", () => {
  it('runs headless from the given files, with nothing installed at run time', () => {
    const settings = benchSettings({ userDir: '/tmp/u', flowFile: '/tmp/u/flows.json' });
    expect(settings).toMatchObject({
      userDir: '/tmp/u',
      flowFile: '/tmp/u/flows.json',
      httpAdminRoot: false,
      httpNodeRoot: false,
      credentialSecret: false,
      lang: 'en-US',
      editorTheme: { projects: { enabled: false } },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false },
    });
  });

  it('writes a module that gives back the same settings', () => {
    const settings = benchSettings({ userDir: "/tmp/it's", flowFile: '/tmp/a "b"/flows.json' });
    const module: { exports?: unknown } = {};
    new Function('module', settingsModule(settings))(module);
    expect(module.exports).toEqual(settings);
  });
});

describe("Node-RED's start-up log", () => {
  const path = '/tmp/rp-bench-pty-1/scanner';
  const lines = [
    '7 Dec 03:40:01 - [info] Node-RED version: v4.1.8',
    '7 Dec 03:40:02 - [info] Starting flows',
    '7 Dec 03:40:02 - [info] Started flows',
    `7 Dec 03:40:02 - [info] [serialconfig:bench-serial-port] serial port ${path} opened at 115200 baud 8N1`,
    '7 Dec 03:40:02 - [info] [mqtt-broker:bench-broker] Connected to broker: bench-1@mqtt://127.0.0.1:40123',
  ];

  it('is ready only once the flow started, the port opened and the broker connected', () => {
    const seen = startupSeen();
    for (const line of lines) {
      expect(ready(seen)).toBe(false);
      noteStartupLine(seen, line, path);
    }
    expect(ready(seen)).toBe(true);
    expect(seen.error).toBeUndefined();
  });

  it("does not take another port's opening or 'Starting flows' for its own", () => {
    const seen = startupSeen();
    noteStartupLine(seen, lines[1]!, path);
    noteStartupLine(seen, lines[3]!.replace(path, '/dev/ttyUSB0'), path);
    expect(seen).toEqual({ flowsStarted: false, serialOpen: false, brokerConnected: false });
  });

  it('keeps the first error line', () => {
    const seen = startupSeen();
    noteStartupLine(
      seen,
      '7 Dec 03:40:02 - [error] [serialconfig:x] serial port /p error: Error: No such file',
      path,
    );
    noteStartupLine(seen, '7 Dec 03:40:03 - [error] second', path);
    expect(seen.error).toBe(
      '7 Dec 03:40:02 - [error] [serialconfig:x] serial port /p error: Error: No such file',
    );
  });
});

describe('the Node-RED install', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const fakePackage = (root: string, name: string, version: string) => {
    mkdirSync(join(root, 'node_modules', name), { recursive: true });
    writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
  };

  it('installs the pinned versions into a folder named after them', () => {
    const folder = nodeRedDir('/cache');
    expect(folder).toBe(`/cache/node-red-${NODE_RED_VERSION}-serialport-${SERIALPORT_NODE_VERSION}`);
    expect(nodeRedDir(undefined)).toMatch(/node_modules\/\.cache\/readpoint-bench\/node-red-[^/]+$/);
    const args = npmInstallArgs(folder);
    expect(args.slice(-2)).toEqual([
      `node-red@${NODE_RED_VERSION}`,
      `node-red-node-serialport@${SERIALPORT_NODE_VERSION}`,
    ]);
    expect(args[args.indexOf('--prefix') + 1]).toBe(folder);
    expect(args).toContain('--no-save');
  });

  it("gives npm's first error lines as the reason, else its last lines", () => {
    const failed = [
      'npm warn config something',
      'npm error code ECONNREFUSED',
      'npm error syscall connect',
      'npm error errno ECONNREFUSED',
      'npm error FetchError: request to http://127.0.0.1:9/node-red failed',
      'npm error     at ClientRequest.<anonymous>',
    ];
    expect(npmReason(failed)).toBe(
      'npm error code ECONNREFUSED / npm error syscall connect / npm error errno ECONNREFUSED / npm error FetchError: request to http://127.0.0.1:9/node-red failed',
    );
    expect(npmReason(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('b / c / d / e / f');
  });

  it('reuses a folder only when it is marked complete and holds the pinned versions', () => {
    dir = mkdtempSync(join(tmpdir(), 'rp-node-red-install-'));
    fakePackage(dir, 'node-red', NODE_RED_VERSION);
    fakePackage(dir, 'node-red-node-serialport', SERIALPORT_NODE_VERSION);
    fakePackage(dir, 'serialport', '12.0.0');
    expect(installedVersions(dir)).toEqual({
      'node-red': NODE_RED_VERSION,
      'node-red-node-serialport': SERIALPORT_NODE_VERSION,
      serialport: '12.0.0',
    });
    // npm may have stopped half-way: no mark, no reuse.
    expect(completeInstall(dir)).toBeUndefined();
    writeFileSync(join(dir, INSTALL_MARK), '{}\n');
    expect(completeInstall(dir)?.redJs).toBe(join(dir, 'node_modules', 'node-red', 'red.js'));
    fakePackage(dir, 'node-red', '3.1.0');
    expect(completeInstall(dir)).toBeUndefined();
  });
});
