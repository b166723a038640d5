/**
 * TLS cannot be weakened silently: the daemon as a child process against a real Mosquitto (plain
 * text with a password file, or TLS with a throwaway CA made by openssl). TLS files with a
 * plain-text URL are refused before anything connects; an unverified broker certificate, a
 * client key open to others and a plain-text login to a remote host each show in the log and in
 * every health report; a sound config connects with no warning at all.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { cliPath, type DaemonProcess, type LogLine, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { makeTestCa, type TestCa } from '../support/test-ca.js';

let dir: string;
let ca: TestCa;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-tls-sec-'));
  ca = makeTestCa(dir);
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwords'), 'gateway', 'right-pw-42'], {
    stdio: 'pipe',
  });
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function broker(options: Parameters<typeof startMosquitto>[0]): Promise<Mosquitto> {
  const b = await startMosquitto(options);
  cleanup.push(() => b.stop());
  return b;
}

function daemon(file: string): DaemonProcess {
  const d = startDaemon(file);
  cleanup.push(() => d.kill('SIGKILL'));
  return d;
}

async function subscribe(
  url: string,
  gateway: string,
  options: Parameters<typeof collect>[2] = {},
): Promise<Collector> {
  const c = await collect(url, `readpoint/v1/s/${gateway}/health`, options);
  cleanup.push(() => c.close());
  return c;
}

/** A gateway `id` with one simulated reader and the given uplink keys (YAML flow mapping entries). */
function config(id: string, uplink: string): string {
  const file = join(dir, `${id}.yaml`);
  writeFileSync(
    file,
    `gateway: { id: ${id}, site: s }
dataDir: ${join(dir, `${id}-data`)}
log: { level: info }
broker: { enabled: false }
uplink: { ${uplink}, healthIntervalS: 1, retry: { minMs: 100, maxMs: 1000 } }
readPoints:
  - { id: line-1, bizStep: packing }
readers:
  - { id: sim-1, driver: simulator, readPoint: line-1, readsPerSecond: 1 }
`,
  );
  return file;
}

/** The first health report received that satisfies `holds`. */
async function report(c: Collector, holds: (h: HealthPayload) => boolean): Promise<HealthPayload> {
  for (let seen = 1; ; seen++) {
    await c.waitFor(seen, 15_000);
    const h = JSON.parse(c.messages[seen - 1]!.payload.toString()) as HealthPayload;
    if (holds(h)) return h;
  }
}

const warnLines = (d: DaemonProcess, key: string) =>
  d.logs.filter((l: LogLine) => l.level === 40 && l.warning === key);

describe('TLS files with a plain-text uplink URL', () => {
  it('are refused by check, naming the key', () => {
    for (const [uplink, path] of [
      ['url: "mqtt://127.0.0.1:1883", username: gateway, password: right-pw-42, ca: ca.crt', 'uplink.ca'],
      [`url: "tcp://127.0.0.1:1883", cert: ${ca.clientCert}, key: ${ca.clientKey}`, 'uplink.cert'],
    ] as const) {
      const file = config('plain-check', uplink);
      const r = execCli(['check', '--config', file]);
      expect(r.status, uplink).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          ` ${path.replace('.', '\\.')}: a TLS file, but uplink\\.url is (mqtt|tcp):// \\(plain text`,
        ),
      );
    }
  });

  it('are refused by run before any connection: exit 1, and the broker never saw the gateway', async () => {
    const b = await broker({ passwordFile: join(dir, 'passwords') });
    const d = daemon(
      config('plain-run', `url: "${b.url}", username: gateway, password: right-pw-42, ca: ${ca.ca}`),
    );
    const first = await Promise.race([
      d.exited,
      d
        .waitForLog((l) => l.msg === 'uplink connected')
        .then(
          () => 'connected in plain text',
          () => 'exited first',
        ),
    ]);
    expect(first).toBe(1);
    expect(d.stderr.join('\n')).toContain('uplink.ca: a TLS file, but uplink.url is mqtt://');
    expect(b.log.filter((l) => l.includes('readpoint-s-plain-run'))).toEqual([]);
  });
});

describe('an uplink that does not verify its broker', () => {
  it('warns at every connect and in every health report', async () => {
    const b = await broker({ tls: { ca: ca.ca, cert: ca.serverCert, key: ca.serverKey } });
    const health = await subscribe(b.url, 'unverified', { ca: readFileSync(ca.ca) });
    const d = daemon(config('unverified', `url: "${b.url}", rejectUnauthorized: false`));
    await d.waitForLog((l) => l.msg === 'uplink connected' && l.connects === 1);
    await d.waitForLog((l) => l.warning === 'uplink.rejectUnauthorized' && l.connects === 1);
    const h = await report(health, () => true);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings?.[0]).toMatch(
      /^uplink\.rejectUnauthorized is false: the central broker's certificate is not verified/,
    );

    await b.restart();
    await d.waitForLog((l) => l.msg === 'uplink connected' && l.connects === 2);
    await d.waitForLog((l) => l.warning === 'uplink.rejectUnauthorized' && l.connects === 2);
    // Once at start (the setting), once per connection.
    expect(warnLines(d, 'uplink.rejectUnauthorized').map((l) => l.connects ?? 'start')).toEqual([
      'start',
      1,
      2,
    ]);
  });
});

describe('a client key open to others', () => {
  it('is warned about at start and in health; the same key at 0600 connects with no warning', async () => {
    const b = await broker({ tls: { ca: ca.ca, cert: ca.serverCert, key: ca.serverKey } });
    const open = join(dir, 'open.key');
    copyFileSync(ca.clientKey, open);
    chmodSync(open, 0o644);
    const tls = (key: string) => `url: "${b.url}", ca: ${ca.ca}, cert: ${ca.clientCert}, key: ${key}`;

    const openHealth = await subscribe(b.url, 'keyopen', { ca: readFileSync(ca.ca) });
    const d = daemon(config('keyopen', tls(open)));
    const warned = await d.waitForLog((l) => l.warning === 'uplink.key');
    expect(warned.msg).toBe(
      `uplink.key ${open} is open to group or others (mode 0644): its private key lets anyone who reads ` +
        'it pose as this gateway; chmod 600 it',
    );
    await d.waitForLog((l) => l.msg === 'uplink connected');
    const h = await report(openHealth, () => true);
    expect(h.warnings).toEqual([warned.msg]);
    await d.kill('SIGKILL');

    const soundHealth = await subscribe(b.url, 'keysound', { ca: readFileSync(ca.ca) });
    const sound = daemon(config('keysound', tls(ca.clientKey)));
    await sound.waitForLog((l) => l.msg === 'uplink connected');
    const ok = await report(soundHealth, (r) => r.uplink.state === 'connected');
    expect(ok.warnings).toEqual([]);
    expect(sound.logs.filter((l) => l.warning !== undefined)).toEqual([]);
  });
});

describe('a plain-text login', () => {
  it('to a remote host is a standing warning; to loopback it is not', async () => {
    const remote = daemon(
      config('remote', 'url: "mqtt://central.invalid:1883", username: gateway, password: right-pw-42'),
    );
    const line = await remote.waitForLog((l) => l.msg === 'health');
    expect((line.health as HealthPayload).warnings).toEqual([
      'uplink.url is mqtt:// to central.invalid with a login: the password and the events cross the network ' +
        'in plain text; use mqtts://',
    ]);
    expect(warnLines(remote, 'uplink.plaintext')).toHaveLength(1);

    const b = await broker({ passwordFile: join(dir, 'passwords') });
    const health = await subscribe(b.url, 'local', { username: 'gateway', password: 'right-pw-42' });
    const local = daemon(config('local', `url: "${b.url}", username: gateway, password: right-pw-42`));
    await local.waitForLog((l) => l.msg === 'uplink connected');
    expect((await report(health, (r) => r.uplink.state === 'connected')).warnings).toEqual([]);
  });
});

describe('check', () => {
  it('names each weakening of a valid config as a warning, and exits 0', () => {
    const open = join(dir, 'check-open.key');
    copyFileSync(ca.clientKey, open);
    chmodSync(open, 0o640);
    const tlsFile = config(
      'check-tls',
      `url: "mqtts://localhost:8883", rejectUnauthorized: false, cert: ${ca.clientCert}, key: ${open}`,
    );
    const tls = execCli(['check', '--config', tlsFile]);
    expect(tls.status).toBe(0);
    expect(tls.stdout.split('\n').filter((l) => l.includes(': warning: '))).toEqual([
      `${tlsFile}: warning: uplink.rejectUnauthorized is false: the central broker's certificate is not verified, ` +
        'so anyone on the way can pose as it and read the login and the events',
      `${tlsFile}: warning: uplink.key ${open} is open to group or others (mode 0640): its private key lets ` +
        'anyone who reads it pose as this gateway; chmod 600 it',
    ]);
    const plainFile = config('check-plain', 'url: "mqtt://gateway:right-pw-42@central.invalid:1883"');
    const plain = execCli(['check', '--config', plainFile]);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain(
      `${plainFile}: warning: uplink.url is mqtt:// to central.invalid with a login`,
    );
    expect(plain.stdout).not.toContain('right-pw-42');
  });
});

describe('a reload', () => {
  it('that stops verifying the broker raises the warning; the reload back clears it', async () => {
    const b = await broker({ tls: { ca: ca.ca, cert: ca.serverCert, key: ca.serverKey } });
    const health = await subscribe(b.url, 'reloaded', { ca: readFileSync(ca.ca) });
    const sound = `url: "${b.url}", ca: ${ca.ca}`;
    const file = config('reloaded', sound);
    const d = daemon(file);
    await d.waitForLog((l) => l.msg === 'uplink connected');
    expect((await report(health, (h) => h.uplink.state === 'connected')).warnings).toEqual([]);

    const reload = async (uplink: string) => {
      config('reloaded', uplink);
      const since = d.logs.length;
      d.child.kill('SIGHUP');
      const line = await d.waitForLog((l) => l.msg.startsWith('configuration reload'), 15_000, since);
      expect(line.msg).toBe('configuration reloaded: uplink reconnected');
      return since;
    };
    const since = await reload(`url: "${b.url}", rejectUnauthorized: false`);
    await d.waitForLog((l) => l.warning === 'uplink.rejectUnauthorized' && l.connects === 1, 15_000, since);
    const weakened = await report(health, (h) => h.config?.reloads === 1 && h.uplink.state === 'connected');
    expect(weakened.warnings).toEqual([
      "uplink.rejectUnauthorized is false: the central broker's certificate is not verified, so anyone on the " +
        'way can pose as it and read the login and the events',
    ]);

    await reload(sound);
    const restored = await report(health, (h) => h.config?.reloads === 2);
    expect(restored.warnings).toEqual([]);
  });
});

function execCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', stdio: 'pipe' });
    return { status: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}
