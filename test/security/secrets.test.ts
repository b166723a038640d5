/**
 * Secrets never leave: a canary secret in every secret-bearing place of the config (broker,
 * uplink and reader passwords, the user info of uplink.url), then every path that prints or
 * publishes something about that config: `check`, `run` refusing to start, a reload refused over
 * SIGHUP (its log line and the health report a real subscriber receives), `status`, and the log's
 * own serialisers. Not one byte of the canary may come out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { rootLogger } from '../../daemon/log.js';
import { cliPath, startDaemon } from '../support/daemon.js';
import { startMosquitto } from '../support/mosquitto.js';

/** The canary's pieces: a leak of either half counts (a URL cut at a space or a slash). */
const PIECES = ['Wren', 'Qz9', '20240917'];
const leaks = (text: string) => text.split('\n').filter((line) => PIECES.some((p) => line.includes(p)));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 15_000 });

interface Parts {
  broker?: string;
  uplink?: string;
  gate?: string;
}

/** A gateway with the embedded broker, a simulated conveyor and a network reader; `parts` replace sections. */
function config(name: string, parts: Parts = {}): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `gateway: { id: gw, site: s }
dataDir: ${join(dir, `${name}-data`)}
log: { level: info }
broker: ${parts.broker ?? '{ enabled: true, host: 127.0.0.1, port: 0, username: floor, password: Wren-floor-Qz9 }'}
uplink: ${parts.uplink ?? '{ healthIntervalS: 1 }'}
readPoints:
  - { id: line-1, bizStep: packing }
  - { id: gate, bizStep: arriving }
readers:
  - { id: sim-1, driver: simulator, readPoint: line-1, readsPerSecond: 1 }
  - { id: gate-r700, driver: impinj-r700, readPoint: gate, username: gate-r700, password: ${parts.gate ?? 'Wren-gate-Qz9'} }
`,
  );
  return file;
}

/** Broken configs, each with the canary in a secret place, and the path its problem names. */
const BROKEN: [string, Parts, string][] = [
  [
    'a numeric broker password',
    { broker: '{ enabled: true, port: 0, username: floor, password: 20240917 }' },
    'broker.password',
  ],
  [
    'a numeric uplink password',
    { uplink: '{ url: "mqtts://central.invalid", username: gw, password: 20240917 }' },
    'uplink.password',
  ],
  ['a numeric reader password', { gate: '20240917' }, 'readers[1].password'],
  [
    'a list as the broker password',
    { broker: '{ enabled: true, port: 0, username: floor, password: [WrenQz9] }' },
    'broker.password',
  ],
  [
    'an uplink URL with the wrong scheme',
    { uplink: '{ url: "http://gw:Wren-Qz9@central.invalid:8883" }' },
    'uplink.url',
  ],
  ['an uplink URL that does not parse', { uplink: '{ url: "mqtt://gw:Wren Qz9@[central" }' }, 'uplink.url'],
  [
    'an uplink URL with a slash in its password',
    { uplink: '{ url: "mqtt://gw:Wren/Qz9@127.0.0.1:1" }' },
    'uplink.url',
  ],
  ['the uplink section given as a URL', { uplink: '"mqtts://gw:Wren-Qz9@central.invalid"' }, 'uplink'],
];

describe('a config with a secret in the wrong shape', () => {
  it.each(BROKEN)('check refuses %s without printing the secret', (_what, parts, path) => {
    const file = config('check', parts);
    const r = cli(['check', '--config', file]);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(` ${path}: `);
  });

  it.each(BROKEN)('run refuses %s at start, exit 1, without printing the secret', (_what, parts, path) => {
    const file = config('run', parts);
    const r = cli(['run', '--config', file]);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(` ${path}: `);
  });
});

describe('a start that fails', () => {
  it('logs its fatal line without any of the secrets the config holds', () => {
    const file = config('fatal', {
      uplink: `{ url: "mqtts://gw:Wren-url-Qz9@central.invalid:8883", password: Wren-up-Qz9, ca: ${join(dir, 'missing-ca.pem')} }`,
    });
    const r = cli(['run', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`"msg":"fatal: uplink.ca: cannot read ${join(dir, 'missing-ca.pem')}: ENOENT`);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });
});

describe('the log', () => {
  const written = () => {
    const chunks: string[] = [];
    const log = rootLogger('info', { write: (s: string) => void chunks.push(s) });
    return { log, text: () => chunks.join('') };
  };

  it('keeps the URL of a TypeError (err.input) out of a fatal line', () => {
    const { log, text } = written();
    let err: Error | undefined;
    try {
      new URL('mqtt://gw:Wren Qz9@[central');
    } catch (e) {
      err = e as Error;
    }
    expect((err as Error & { input?: string }).input).toContain('Wren Qz9');
    log.fatal({ err }, `fatal: ${err!.message}`);
    expect(text()).toContain('"level":60');
    expect(leaks(text())).toEqual([]);
  });

  it('cuts the user info of URLs whose password holds a slash or an @, in fields and messages', () => {
    const { log, text } = written();
    const url = 'mqtt://gw:Wren/Qz9@central.invalid:1883';
    log.warn({ url, upstream: url, err: new Error(`cannot reach ${url}`) }, `cannot reach ${url}`);
    log.warn({ url: 'mqtts://gw:Wren@Qz9@central.invalid' }, 'again');
    expect(text()).toContain('central.invalid:1883');
    expect(leaks(text())).toEqual([]);
  });
});

describe('a running gateway', () => {
  it('refuses a reload with a secret in the wrong shape and publishes no trace of it', async () => {
    const file = config('reload');
    const daemon = startDaemon(file);
    try {
      const listening = await daemon.waitForLog((l) => l.msg === 'broker listening');
      await daemon.waitForLog((l) => l.msg === 'readpoint running');
      const port = listening.port as number;
      const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        username: 'floor',
        password: 'Wren-floor-Qz9',
        reconnectPeriod: 0,
      });
      const reports: string[] = [];
      subscriber.on('message', (_topic, payload) => reports.push(payload.toString()));
      await subscriber.subscribeAsync('readpoint/v1/s/gw/health', { qos: 1 });

      // The file on disk now carries the canary where the reader's password goes.
      config('reload', { gate: '20240917', uplink: '{ healthIntervalS: 1, password: [WrenQz9] }' });
      const since = daemon.logs.length;
      daemon.child.kill('SIGHUP');
      const failed = await daemon.waitForLog(
        (l) => l.msg.startsWith('configuration reload failed'),
        15_000,
        since,
      );
      expect(failed.msg).toContain('readers[1].password');
      // A report after the refusal, with it: what a central system would keep.
      const refused = await new Promise<HealthPayload>((resolve) => {
        const look = () => {
          const found = reports
            .map((r) => JSON.parse(r) as HealthPayload)
            .find((h) => h.config?.reloadFailures === 1);
          if (found) resolve(found);
        };
        look();
        subscriber.on('message', look);
      });
      expect(refused.config?.lastReload?.ok).toBe(false);
      expect(refused.config?.lastReload?.message).toContain('uplink.password');
      await subscriber.endAsync();

      // status with the broken file prints its problems; with a good copy, the retained report.
      const broken = cli(['status', '--config', file]);
      expect(broken.stdout + broken.stderr).toContain('readers[1].password');
      const good = config('reload-good', {
        broker: `{ enabled: true, host: 127.0.0.1, port: ${port}, username: floor, password: Wren-floor-Qz9 }`,
      });
      const status = cli(['status', '--config', good, '--json']);
      expect(status.stdout).toContain('"reloadFailures":1');

      const everything = [
        ...reports,
        broken.stdout,
        broken.stderr,
        status.stdout,
        status.stderr,
        ...daemon.logs.map((l) => JSON.stringify(l)),
        ...daemon.stderr,
      ].join('\n');
      expect(leaks(everything)).toEqual([]);
    } finally {
      await daemon.kill('SIGKILL');
    }
  });
});

describe('a password that a URL must percent-encode', () => {
  it('logs in to a real broker and never appears in any output', async () => {
    const passwords = join(dir, 'passwords');
    execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'gw', 'Wren/Qz9@x'], { stdio: 'pipe' });
    const b = await startMosquitto({ passwordFile: passwords });
    const file = config('encoded', {
      broker: '{ enabled: false }',
      uplink: `{ url: "mqtt://gw:Wren%2FQz9%40x@127.0.0.1:${b.port}", healthIntervalS: 1 }`,
    });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n {2}- \{ id: gate-r700.*\n/, '\n'));
    const daemon = startDaemon(file);
    try {
      const up = await daemon.waitForLog((l) => l.msg === 'uplink connected');
      expect(up.url).toBe(`mqtt://127.0.0.1:${b.port}`);
      await daemon.waitForLog((l) => l.msg === 'health');
    } finally {
      await daemon.kill('SIGKILL');
      await b.stop();
    }
    const everything = [...daemon.logs.map((l) => JSON.stringify(l)), ...daemon.stderr].join('\n');
    expect(leaks(everything)).toEqual([]);
  });
});
