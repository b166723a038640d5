/**
 * A network reader added and re-keyed by a live reload (issue 6): the daemon as a child process
 * with its embedded broker and a scanner on a socat PTY, events to a real Mosquitto. SIGHUP adds
 * an Impinj R700 with its login: it publishes into the embedded broker and its tag arrives as an
 * event. A second SIGHUP changes its password: its session is closed, the old password is
 * refused, the new one works. The scanner is never restarted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { freePort, type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';

const epc = (serial: number) =>
  encodeSgtin96({ filter: 2, companyPrefix: '0614141', itemReference: '812345', serial }).toString('hex');
const TOPIC = 'readpoint/v1/readers/gate-r700/tags';

let dir: string;
let configFile: string;
let mosquitto: Mosquitto;
let pty: Pty;
let brokerPort: number;
let daemon: DaemonProcess;
let events: Collector;

function writeConfig(gatePassword?: string): void {
  const gate = gatePassword
    ? `  - { id: gate-r700, driver: impinj-r700, readPoint: gate, username: gate-r700, password: ${gatePassword} }\n`
    : '';
  writeFileSync(
    configFile,
    `gateway: { id: gw-net, site: site-test }
dataDir: ${join(dir, 'data')}
broker: { enabled: true, host: 127.0.0.1, port: ${brokerPort} }
uplink:
  url: ${mosquitto.url}
  retry: { minMs: 100, maxMs: 1000 }
readPoints:
  - { id: line-1, bizStep: packing }
  - { id: gate, bizStep: arriving }
readers:
  - { id: scanner-1, driver: serial-line, path: ${pty.readerPath}, readPoint: line-1 }
${gate}`,
  );
}

async function reload(expected: string): Promise<void> {
  const since = daemon.logs.length;
  daemon.child.kill('SIGHUP');
  const line = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload'), 20_000, since);
  expect(line.msg).toBe(expected);
}

function connect(password: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, {
    username: 'gate-r700',
    password,
    reconnectPeriod: 0,
  });
}

async function publishTag(client: MqttClient, serial: number): Promise<void> {
  await client.publishAsync(
    TOPIC,
    JSON.stringify({
      timestamp: new Date().toISOString(),
      eventType: 'tagInventory',
      tagInventoryEvent: { epcHex: epc(serial).toUpperCase(), antennaPort: 1, peakRssiCdbm: -5500 },
    }),
    { qos: 1 },
  );
}

const serials = () =>
  events.messages.map((m) => JSON.parse(m.payload.toString('utf8')).epcList?.[0] as string | undefined);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-netreload-'));
  configFile = join(dir, 'readpoint.yaml');
  mosquitto = await startMosquitto();
  pty = await openPty(dir, 'scanner-1');
  brokerPort = await freePort();
  writeConfig();
  events = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-net/events/+');
  daemon = startDaemon(configFile);
  await daemon.waitForLog(
    (l) => l.msg === 'reader state' && l.reader === 'scanner-1' && l.state === 'connected',
  );
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await events?.close();
  await pty?.close();
  await mosquitto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('live reload of a network reader', () => {
  it('adds an Impinj reader with its login, then changes its password, without a restart', async () => {
    // A reload of the same file changes nothing.
    await reload('configuration reloaded: nothing changed');
    writeConfig('first-secret');
    await reload(
      'configuration reloaded: readers added: gate-r700; reader logins at the broker changed: gate-r700',
    );
    const first = await connect('first-secret');
    await publishTag(first, 1);
    await events.waitFor(1, 20_000);
    expect(serials()).toEqual([`urn:epc:id:sgtin:0614141.812345.1`]);

    // The password changes: the session under the old one is closed.
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    writeConfig('second-secret');
    await reload(
      'configuration reloaded: readers changed: gate-r700; reader logins at the broker changed: gate-r700',
    );
    await closed;
    await expect(connect('first-secret')).rejects.toThrow(/Bad username or password|Not authorized/i);
    const second = await connect('second-secret');
    await publishTag(second, 2);
    await events.waitFor(2, 20_000);
    expect(serials()).toEqual([`urn:epc:id:sgtin:0614141.812345.1`, `urn:epc:id:sgtin:0614141.812345.2`]);
    await second.endAsync();

    // Health counts the reader's reads across the restart of its driver: one before, one after.
    // (A reload reports health at once; this one changes nothing.)
    const since = daemon.logs.length;
    await reload('configuration reloaded: nothing changed');
    const report = await daemon.waitForLog((l) => l.msg === 'health', 20_000, since);
    const gate = (report.health as HealthPayload).readers.find((r) => r.id === 'gate-r700');
    expect([gate?.reads, gate?.rejects]).toEqual([2, 0]);

    // The scanner kept its one session all along.
    expect(daemon.logs.filter((l) => l.msg === 'reader connected' && l.reader === 'scanner-1')).toHaveLength(
      1,
    );
  });
});
