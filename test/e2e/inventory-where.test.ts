import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { type DaemonProcess, type LogLine, startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { whereAnswerErrors } from '../support/schemas.js';

const GTIN = '09506000134352';
const scan = (serial: string) => `]d201${GTIN}21${serial}\x1d10LOT1\r`;
const unitUri = (serial: string) => `https://id.gs1.org/01/${GTIN}/21/${serial}`;
const BASE = 'readpoint/v1/site-test/gw-test';

interface Event {
  eventID: string;
  eventTime: string;
  epcList: string[];
  'rp:readPoint': string;
  'rp:reader': string;
  'rp:sequence': number;
  'rp:transition': string;
}

let dir: string;
let broker: Mosquitto;
let dock1: Pty;
let dock2: Pty;
let events: Collector;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-e2e-where-'));
  broker = await startMosquitto();
  dock1 = await openPty(dir, 'dock1');
  dock2 = await openPty(dir, 'dock2');
  events = await collect(broker.url, `${BASE}/events/+`);
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  await events?.close();
  await dock1?.close();
  await dock2?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(protocolVersion: 4 | 5): string {
  const readers =
    serialReaderYaml(dock1.readerPath, { baudRate: 115200, delimiter: 'CR' }) +
    serialReaderYaml(dock2.readerPath, { baudRate: 115200, delimiter: 'CR' })
      .replace('id: scanner-1', 'id: scanner-2')
      .replace('readPoint: conveyor-1', 'readPoint: dock-2');
  const file = writeE2eConfig({
    dir,
    uplinkUrl: broker.url,
    extra: '  - id: dock-2\nwhere:\n  flushMs: 50\n',
    readers,
  });
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      '  keepaliveS: 5\n',
      `  keepaliveS: 5\n  protocolVersion: ${protocolVersion}\n`,
    ),
  );
  return file;
}

async function startGateway(config: string): Promise<DaemonProcess> {
  const daemon = startDaemon(config);
  daemons.push(daemon);
  for (const reader of ['scanner-1', 'scanner-2'])
    await daemon.waitForLog(
      (l: LogLine) => l.msg === 'reader state' && l.reader === reader && l.state === 'connected',
    );
  return daemon;
}

/** `readpoint where --json`, as a technician runs it. */
async function where(
  config: string,
  units: string[],
): Promise<{ status: number | string; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCli(['where', '--config', config, '--json', ...units]);
  return { status: code, stdout, stderr };
}

const delivered = () => {
  const byId = new Map<string, Event>();
  for (const m of events.messages) {
    const e = JSON.parse(String(m.payload)) as Event;
    byId.set(e.eventID, e);
  }
  return [...byId.values()];
};

/** What the index must say of a unit: its delivered event with the highest sequence number. */
function expected(query: string, serial: string) {
  const last = delivered()
    .filter((e) => e.epcList[0] === unitUri(serial))
    .sort((a, b) => b['rp:sequence'] - a['rp:sequence'])[0];
  if (!last) throw new Error(`no event of ${serial} delivered`);
  return {
    query,
    found: true,
    unit: unitUri(serial),
    readPoint: last['rp:readPoint'],
    reader: last['rp:reader'],
    time: last.eventTime,
    transition: last['rp:transition'],
    eventID: last.eventID,
    sequence: last['rp:sequence'],
  };
}

/**
 * Asks on the query topic until answered: the gateway subscribes once its uplink is up, and a
 * question it did not get is asked again (as an upstream system would).
 */
async function askOverMqtt(
  protocolVersion: 4 | 5,
  question: object,
  replies: string,
  properties?: mqtt.IClientPublishOptions['properties'],
): Promise<{ payload: Record<string, unknown>; correlationData?: Buffer }> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion, clean: true, reconnectPeriod: 0 });
  try {
    const answer = new Promise<{ payload: Record<string, unknown>; correlationData?: Buffer }>((resolve) =>
      client.on('message', (_topic, payload, packet) =>
        resolve({
          payload: JSON.parse(String(payload)),
          ...(packet.properties?.correlationData
            ? { correlationData: packet.properties.correlationData }
            : {}),
        }),
      ),
    );
    await client.subscribeAsync(replies, { qos: 1 });
    let answered = false;
    void answer.then(() => {
      answered = true;
    });
    const deadline = Date.now() + 15_000;
    while (!answered) {
      if (Date.now() > deadline) throw new Error(`no answer on ${replies} within 15 s`);
      await client.publishAsync(`${BASE}/query/where`, JSON.stringify(question), {
        qos: 1,
        ...(properties ? { properties } : {}),
      });
      await Promise.race([answer, new Promise((r) => setTimeout(r, 500))]);
    }
    return await answer;
  } finally {
    await client.endAsync();
  }
}

describe('where is it? daemon, PTY scanners, Mosquitto', () => {
  it('answers each unit last read point, time and eventID, offline, after a restart and over MQTT 3.1.1 and 5', async () => {
    let config = writeConfig(4);
    let daemon = await startGateway(config);

    // A, B, C at conveyor-1; once delivered, B again and D at dock-2 (B's last read point).
    await dock1.write(scan('A1') + scan('B2') + scan('C3'));
    await events.waitFor(3, 20_000);
    await dock2.write(scan('B2') + scan('D4'));
    await events.waitFor(5, 20_000);
    expect(delivered().map((e) => `${e['rp:readPoint']} ${e.epcList[0]}`)).toEqual([
      `conveyor-1 ${unitUri('A1')}`,
      `conveyor-1 ${unitUri('B2')}`,
      `conveyor-1 ${unitUri('C3')}`,
      `dock-2 ${unitUri('B2')}`,
      `dock-2 ${unitUri('D4')}`,
    ]);

    // MQTT 3.1.1: the answer on the replyTo the question names, its correlationId handed back.
    const v4 = await askOverMqtt(
      4,
      {
        units: [unitUri('B2'), scan('A1').trimEnd(), unitUri('NOPE')],
        replyTo: `${BASE}/replies/e2e/v4`,
        correlationId: 'c-4',
      },
      `${BASE}/replies/e2e/v4`,
    );
    expect(whereAnswerErrors(v4.payload)).toEqual([]);
    expect(v4.payload).toMatchObject({ gateway: 'gw-test', site: 'site-test', correlationId: 'c-4' });
    expect(v4.payload.results).toEqual([
      expected(unitUri('B2'), 'B2'),
      expected(scan('A1').trimEnd(), 'A1'),
      { query: unitUri('NOPE'), found: false, unit: unitUri('NOPE') },
    ]);
    expect(expected('', 'B2').readPoint).toBe('dock-2');

    // Stopped: readpoint where reads the index the daemon left in its data dir.
    expect(await daemon.kill('SIGTERM')).toBe(0);
    const units = ['A1', 'B2', 'C3', 'D4'];
    const offline = await where(
      config,
      units.map((s) => unitUri(s)),
    );
    expect(offline.stderr).toMatch(/no daemon is running on .*: answered from its where-is index/);
    expect(offline.status).toBe(0);
    expect(
      offline.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(units.map((s) => expected(unitUri(s), s)));

    // Started again (now speaking MQTT 5 upstream): the daemon answers at once, from the same index.
    config = writeConfig(5);
    daemon = await startGateway(config);
    const asked = Date.now();
    const online = await where(config, [...units.map((s) => unitUri(s)), unitUri('NOPE')]);
    const tookMs = Date.now() - asked;
    expect(online.stderr).toBe('');
    expect(online.status).toBe(1);
    expect(
      online.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      ...units.map((s) => expected(unitUri(s), s)),
      { query: unitUri('NOPE'), found: false, unit: unitUri('NOPE') },
    ]);

    // C seen at dock-2 after the restart: found there at once, over MQTT 5 with correlation data.
    await dock2.write(scan('C3'));
    await events.waitFor(6, 20_000);
    const v5 = await askOverMqtt(5, { units: [unitUri('C3')] }, `${BASE}/replies/e2e/v5`, {
      responseTopic: `${BASE}/replies/e2e/v5`,
      correlationData: Buffer.from('corr-5'),
    });
    expect(v5.correlationData).toEqual(Buffer.from('corr-5'));
    expect(whereAnswerErrors(v5.payload)).toEqual([]);
    expect(v5.payload.results).toEqual([expected(unitUri('C3'), 'C3')]);
    expect(expected('', 'C3').readPoint).toBe('dock-2');

    const health = await daemon.waitForLog(
      (l) =>
        l.msg === 'health' &&
        (l.health as { inventory?: { where?: { queries: number } } }).inventory?.where?.queries === 2,
      20_000,
    );
    const counters = (health.health as { inventory: { where: Record<string, number> } }).inventory.where!;
    expect(counters).toMatchObject({ evictions: 0, missed: 0, refusedQueries: 0, writeErrors: 0 });
    // Six events of four units: B's two sightings are one when both came within one flush.
    expect(counters.sightings).toBeGreaterThanOrEqual(5);
    expect(counters.sightings).toBeLessThanOrEqual(6);
    expect(await daemon.kill('SIGTERM')).toBe(0);
    console.log(
      `e2e where: readpoint where after the restart answered in ${tookMs} ms (the CLI process, start to exit)`,
    );
  }, 120_000);
});
