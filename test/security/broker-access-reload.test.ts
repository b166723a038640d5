/**
 * Consumer logins and anonymous access at the embedded broker change with a live reload (SIGHUP),
 * as reader logins do: a changed password puts the old session out and the old password with it;
 * removing every consumer login lets anonymous clients in again. Moving the broker needs a restart.
 * The real daemon (CLI child process) on loopback, real mqtt.js clients.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { freePort } from '../support/mosquitto.js';

let dir: string;
let file: string;
let passwordFile: string;
let port: number;
let daemon: DaemonProcess;

function writeConfig(broker: string): void {
  writeFileSync(
    file,
    `gateway: { id: gw-rl, site: site-rl }
dataDir: ${join(dir, 'data')}
broker:
${broker}uplink: { healthIntervalS: 1, retry: { minMs: 100, maxMs: 1000 } }
readPoints: [{ id: conveyor-1, bizStep: shipping }]
readers:
  - { id: sim, driver: simulator, readPoint: conveyor-1, readsPerSecond: 5, units: 20 }
`,
  );
}

const loopback = () => `  host: 127.0.0.1\n  port: ${port}\n`;

function connect(options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

async function loginOutcome(options: IClientOptions): Promise<number | 'accepted'> {
  try {
    await (await connect(options)).endAsync();
    return 'accepted';
  } catch (err) {
    return (err as { code: number }).code;
  }
}

async function reload(): Promise<string> {
  const since = daemon.logs.length;
  daemon.child.kill('SIGHUP');
  const line = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
  return line.msg;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-broker-reload-'));
  file = join(dir, 'readpoint.yaml');
  passwordFile = join(dir, 'erp.password');
  port = await freePort();
  writeFileSync(passwordFile, 'erp-first\n');
  writeConfig(`${loopback()}  consumers:\n    - { username: erp, passwordFile: ${passwordFile} }\n`);
  daemon = startDaemon(file);
  await daemon.waitForLog((l) => l.msg === 'readpoint running');
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('consumer logins at the embedded broker on reload', () => {
  it('applies a changed password file: the old session is put out, only the new password works', async () => {
    const erp = await connect({ username: 'erp', password: 'erp-first' });
    const closed = new Promise<void>((resolve) => erp.once('close', () => resolve()));
    writeFileSync(passwordFile, 'erp-second\n');
    expect(await reload()).toBe('configuration reloaded: consumer logins at the broker changed: erp');
    await closed;
    expect(await loginOutcome({ username: 'erp', password: 'erp-first' })).toBe(4);
    expect(await loginOutcome({ username: 'erp', password: 'erp-second' })).toBe('accepted');
    expect(await loginOutcome({})).toBe(5);
  });

  it('lets anonymous consumers in on loopback once no consumer login is left', async () => {
    writeConfig(loopback());
    expect(await reload()).toBe(
      'configuration reloaded: consumer logins at the broker changed: erp, anonymous',
    );
    expect(await loginOutcome({})).toBe('accepted');
    expect(await loginOutcome({ username: 'erp', password: 'erp-second' })).toBe(4);
  });

  it('refuses a reload that moves the broker, naming it, and keeps running as before', async () => {
    writeConfig(`  host: 127.0.0.2\n  port: ${port}\n`);
    expect(await reload()).toMatch(
      /^configuration reload failed: not applied: broker changed, which needs a restart/,
    );
    expect(await loginOutcome({})).toBe('accepted');
  });
});
