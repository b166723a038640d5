/**
 * `readpoint tail`, the real CLI (dist/) against a real Mosquitto: readable lines, raw JSON,
 * filters by site, gateway, read point and reader, connection trouble; and `--dedup` with crafted
 * events with duplicates, gaps and a late fill, and overflow notices before and after the gaps
 * they explain.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OverflowNotice } from '../../daemon/contract/topics.js';
import { buildEvent } from '../../daemon/event/epcis.js';
import { decodeRead } from '../../daemon/identity/decode.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import { cliPath } from '../support/daemon.js';
import { freePort, type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { ARRIVAL, EPC_ONLY, LABEL, PASSAGE, payload, REJECT, T, TAG } from './tail-fixtures.js';
import { startTail } from './tail-process.js';

const SITE = 'site-1';
const GW = 'gw-1';
const EVENTS = `readpoint/v1/${SITE}/${GW}/events/dock-1`;
const OVERFLOW = `readpoint/v1/${SITE}/${GW}/overflow`;
const T0 = Date.parse('2026-03-01T08:00:00.000Z');

/** The event of unit `serial` (an SGTIN-96 tag) with sequence number `seq`, built as the daemon builds it. */
function event(serial: number, seq: number): { payload: string; id: string; epc: string; time: string } {
  const decoded = decodeRead({
    kind: 'epc',
    data: encodeSgtin96({ filter: 1, companyPrefix: '0614141', itemReference: '812345', serial }),
  });
  if (!decoded.ok) throw new Error(decoded.reject.message);
  const e = buildEvent(
    {
      identity: decoded.identity,
      readerId: 'door-reader',
      readPointId: 'dock-1',
      firstSeen: T0 + serial * 1000,
      lastSeen: T0 + serial * 1000,
      readCount: 1,
      antenna: 1,
      rssi: -50,
    },
    { gatewayId: GW, readPointUri: `urn:readpoint:${SITE}:${GW}:dock-1` },
    seq,
  );
  return { payload: JSON.stringify(e), id: e.eventID, epc: e.epcList[0]!, time: e.eventTime };
}

function notice(ranges: [number, number][], totalDropped: number): string {
  const n: OverflowNotice = {
    gateway: GW,
    site: SITE,
    policy: 'drop-oldest',
    dropped: ranges.reduce((sum, [a, b]) => sum + b - a + 1, 0),
    firstSeq: ranges[0]![0],
    lastSeq: ranges.at(-1)![1],
    firstAt: '2026-03-01T07:59:00.000Z',
    lastAt: '2026-03-01T07:59:01.000Z',
    ranges,
    totalDropped,
    time: '2026-03-01T08:00:00.500Z',
  };
  return JSON.stringify(n);
}

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe('readpoint tail --dedup', () => {
  it('drops duplicates, reports gaps as explained or unexplained, late fills and overflow notices; sums up on SIGINT', async () => {
    const human = startTail(['--url', broker.url, '--dedup']);
    const json = startTail(['--url', broker.url, '--dedup', '--json', '--dedup-window', '1000']);
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'rp-tail-test', reconnectPeriod: 0 });
    try {
      const subscribed =
        /^readpoint tail: subscribed to readpoint\/v1\/\+\/\+\/events\/\+ and readpoint\/v1\/\+\/\+\/overflow on /;
      await human.waitForStderr(subscribed);
      await json.waitForStderr(subscribed);

      const e = Object.fromEntries([1, 2, 4, 5, 8, 10].map((seq) => [seq, event(100 + seq, seq)]));
      const script: [string, string][] = [
        [EVENTS, e[1]!.payload],
        [EVENTS, e[2]!.payload],
        [EVENTS, e[2]!.payload], // a redelivery
        [OVERFLOW, notice([[6, 7]], 2)], // announced before its gap shows
        [EVENTS, e[5]!.payload], // 3 and 4 missing
        [EVENTS, e[4]!.payload], // 4 comes late
        [EVENTS, e[8]!.payload], // 6 and 7 missing, announced
        [OVERFLOW, notice([[3, 3]], 3)], // explains 3 after the gap showed
        [EVENTS, e[10]!.payload], // 9 missing, never announced
        [EVENTS, e[5]!.payload], // a redelivery after the late one
      ];
      // One publisher, each PUBACK awaited: Mosquitto forwards them in this order.
      for (const [topic, payload] of script) await publisher.publishAsync(topic, payload, { qos: 1 });

      const g = `${SITE}/${GW}`;
      const ev = (seq: number) => `${g} #${seq} dock-1 ${e[seq]!.epc} ${e[seq]!.time}`;
      const expected = [
        `event     ${ev(1)}`,
        `event     ${ev(2)}`,
        `duplicate ${g} #2 ${e[2]!.id} (dropped)`,
        `overflow  ${g} #6-#7 (2 dropped, drop-oldest, 2 in total)`,
        `gap       ${g} #3-#4 (2 missing) UNEXPLAINED`,
        `event     ${ev(5)}`,
        `late      ${ev(4)} (fills a gap)`,
        `gap       ${g} #6-#7 (2 missing) explained by overflow`,
        `event     ${ev(8)}`,
        `overflow  ${g} #3 (1 dropped, drop-oldest, 3 in total) explains #3`,
        `gap       ${g} #9 (1 missing) UNEXPLAINED`,
        `event     ${ev(10)}`,
        `duplicate ${g} #5 ${e[5]!.id} (dropped)`,
      ];
      await human.waitForLines(expected.length);
      await json.waitForLines(expected.length);
      human.child.kill('SIGINT');
      json.child.kill('SIGINT');
      // An unexplained gap (#9) is still open at the end: exit 1.
      expect(await human.exited).toBe(1);
      expect(await json.exited).toBe(1);

      expect(human.lines).toEqual([
        ...expected,
        'summary   10 messages: 6 events (1 late, 0 behind), 2 duplicates dropped, 3 gaps (5 missing: 1 arrived late, 3 explained by overflow, 1 UNEXPLAINED), 2 overflow notices (3 dropped)',
      ]);

      const out = json.lines.map((l) => JSON.parse(l));
      expect(out.map((o) => `${o.kind} ${o.seq ?? o.from ?? ''}`.trim())).toEqual([
        'event 1',
        'event 2',
        'duplicate 2',
        'overflow',
        'gap 3',
        'event 5',
        'late 4',
        'gap 6',
        'event 8',
        'overflow',
        'gap 9',
        'event 10',
        'duplicate 5',
        'summary',
      ]);
      expect(out[0]).toEqual({
        kind: 'event',
        gateway: g,
        seq: 1,
        eventID: e[1]!.id,
        topic: EVENTS,
        event: JSON.parse(e[1]!.payload),
      });
      expect(out[4]).toEqual({ kind: 'gap', gateway: g, from: 3, to: 4, missing: 2, explained: false });
      expect(out[6]).toMatchObject({
        kind: 'late',
        seq: 4,
        eventID: e[4]!.id,
        event: JSON.parse(e[4]!.payload),
      });
      expect(out[7]).toEqual({ kind: 'gap', gateway: g, from: 6, to: 7, missing: 2, explained: true });
      expect(out[9]).toEqual({
        kind: 'overflow',
        gateway: g,
        explains: [[3, 3]],
        notice: JSON.parse(notice([[3, 3]], 3)),
      });
      expect(out[13]).toEqual({
        kind: 'summary',
        messages: 10,
        invalid: 0,
        events: 6,
        duplicates: 2,
        late: 1,
        behind: 0,
        gaps: 3,
        missing: 5,
        explained: 3,
        unexplained: 1,
        overflowNotices: 2,
        dropped: 3,
        forgotten: 0,
        gateways: 1,
      });
    } finally {
      await publisher.endAsync();
      for (const t of [human, json]) if (t.child.exitCode === null) t.child.kill('SIGKILL');
    }
  });

  it('exits 0 when every gap is explained, and after --count messages', async () => {
    const tail = startTail([
      '--url',
      broker.url,
      '--topic',
      `readpoint/v1/${SITE}/+/events/+`,
      '--dedup',
      '--count',
      '3',
    ]);
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'rp-tail-test-2', reconnectPeriod: 0 });
    try {
      await tail.waitForStderr(
        /subscribed to readpoint\/v1\/site-1\/\+\/events\/\+ and readpoint\/v1\/site-1\/\+\/overflow/,
      );
      await publisher.publishAsync(EVENTS, event(1, 41).payload, { qos: 1 });
      await publisher.publishAsync(OVERFLOW, notice([[42, 42]], 1), { qos: 1 });
      await publisher.publishAsync(EVENTS, event(2, 43).payload, { qos: 1 });
      expect(await tail.exited).toBe(0);
      expect(tail.lines.map((l) => l.slice(0, 10).trim())).toEqual([
        'event',
        'overflow',
        'gap',
        'event',
        'summary',
      ]);
      expect(tail.lines[2]).toBe(`gap       ${SITE}/${GW} #42 (1 missing) explained by overflow`);
      expect(tail.lines[4]).toMatch(
        /^summary {3}3 messages: 2 events .* 0 UNEXPLAINED\), 1 overflow notice \(1 dropped\)$/,
      );
    } finally {
      await publisher.endAsync();
      if (tail.child.exitCode === null) tail.child.kill('SIGKILL');
    }
  });

  it('refuses dedup options without --dedup, as a usage error', () => {
    const r = spawnSync(process.execPath, [cliPath, 'tail', '--url', broker.url, '--dedup-window', '5'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('readpoint tail: --dedup-window and --overflow-topic go with --dedup');
  });
});

describe('readpoint tail for people', () => {
  const base = `readpoint/v1/${SITE}/${GW}`;

  it('prints one aligned, readable line per event and reject of the gateway asked for, in local time', async () => {
    const tail = startTail(['--url', broker.url, '--site', SITE, '--gateway', GW, '--rejects'], {
      TZ: 'Europe/Berlin',
    });
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'rp-tail-human', reconnectPeriod: 0 });
    try {
      await tail.waitForStderr(
        new RegExp(`^readpoint tail: subscribed to ${base}/events/\\+ and ${base}/rejects on mqtt://`),
      );
      await publisher.publishAsync(`${base}/events/conveyor-1`, ARRIVAL, { qos: 1 });
      await publisher.publishAsync(`readpoint/v1/${SITE}/gw-2/events/dock-1`, PASSAGE, { qos: 1 }); // another gateway
      await publisher.publishAsync(`${base}/events/dock-1`, PASSAGE, { qos: 1 });
      await publisher.publishAsync(`${base}/rejects`, JSON.stringify(REJECT), { qos: 1 });
      await publisher.publishAsync(`${base}/events/dock-1`, EPC_ONLY, { qos: 1 });
      await tail.waitForLines(4);
      tail.child.kill('SIGINT');
      expect(await tail.exited).toBe(0);
      expect(tail.lines).toEqual([
        '2026-11-29 10:02:03.123  conveyor-1  arrival  https://id.gs1.org/01/09506000134352/21/SN0042  GTIN 09506000134352 SN SN0042 LOT LOT7 EXP 2027-12-31  reader scanner-1 x1',
        '2026-11-29 10:02:04.123  dock-1      passage inbound (0.92)  urn:epc:id:sgtin:0614141.812345.6789            GTIN 80614141123458 SN 6789                            reader rfid-1 ant 2 -55 dBm x4',
        '2026-11-29 10:05:00.000  conveyor-1  REJECT  check-digit  reader scanner-1  raw 5d643230313039353036303030313030… (19 bytes)  AI (01) GTIN 09506000100037 has a wrong check digit',
        '2026-11-29 10:03:04.123  dock-1      arrival                 urn:epc:raw:96.xE2801160600002054C1A1F8B                                                               reader rfid-2 ant 1 -71.5 dBm x1',
      ]);
    } finally {
      await publisher.endAsync();
      if (tail.child.exitCode === null) tail.child.kill('SIGKILL');
    }
  });

  it('with --json passes the payloads through byte for byte, only of the read points and readers asked for', async () => {
    const sighting = { firstSeen: T, lastSeen: T, readCount: 1 };
    const atDock2 = payload('dock-2', { ...sighting, identity: TAG, readerId: 'rfid-1' }, 7);
    const second = payload('conveyor-1', { ...sighting, identity: LABEL, readerId: 'scanner-1' }, 8);
    const tail = startTail([
      '--url',
      broker.url,
      '--json',
      '--read-point',
      'dock-1',
      '--read-point',
      'conveyor-1,dock-1',
      '--reader',
      'rfid-1,scanner-1',
      '--count',
      '3',
    ]);
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'rp-tail-json', reconnectPeriod: 0 });
    try {
      await tail.waitForStderr(
        /subscribed to readpoint\/v1\/\+\/\+\/events\/dock-1 and readpoint\/v1\/\+\/\+\/events\/conveyor-1 on /,
      );
      const script: [string, Buffer][] = [
        [`${base}/events/conveyor-1`, ARRIVAL], // kept
        [`${base}/events/dock-1`, EPC_ONLY], // reader rfid-2: dropped
        [`${base}/events/dock-2`, atDock2], // read point dock-2: not subscribed
        [`readpoint/v1/site-2/gw-9/events/dock-1`, PASSAGE], // kept: any site and gateway
        [`${base}/events/conveyor-1`, second], // kept, the third: tail exits
      ];
      for (const [topic, body] of script) await publisher.publishAsync(topic, body, { qos: 1 });
      expect(await tail.exited).toBe(0);
      expect(Buffer.concat(tail.stdout).toString('utf8')).toBe(`${ARRIVAL}\n${PASSAGE}\n${second}\n`);
      // Its own end after --count is not reported as a lost connection.
      expect(tail.stderr.filter((l) => l.includes('lost the connection'))).toEqual([]);
    } finally {
      await publisher.endAsync();
      if (tail.child.exitCode === null) tail.child.kill('SIGKILL');
    }
  });

  it('refuses a read point id that would reshape the topic, as a usage error that says what an id may hold', () => {
    for (const [args, message] of [
      [
        ['--read-point', 'dock/1'],
        `readpoint tail: --read-point "dock/1" is not a valid id: use the id as written in the gateway's config`,
      ],
      [['--read-point', 'dock-1,#'], 'readpoint tail: --read-point "#" is not a valid id'],
      [['--reader', 'rfid+1'], 'readpoint tail: --reader "rfid+1" is not a valid id'],
      [
        ['--topic', '#', '--read-point', 'dock-1'],
        'readpoint tail: --topic is the whole filter: leave out --read-point or --topic',
      ],
    ] as const) {
      const r = spawnSync(process.execPath, [cliPath, 'tail', '--url', broker.url, ...args], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(r.status).toBe(64);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(message);
    }
  });

  it('says once, clearly, that the broker cannot be reached, and when it is back', async () => {
    const port = await freePort();
    const tail = startTail(['--url', `mqtt://127.0.0.1:${port}`]);
    let late: Mosquitto | undefined;
    try {
      const refused = new RegExp(
        `^readpoint tail: cannot reach mqtt://127\\.0\\.0\\.1:${port}: connection refused — is readpoint running \\(systemctl status readpoint\\)\\? is the broker address right \\(broker\\.host and broker\\.port in the config, or uplink\\.url\\)\\? \\(still trying; Ctrl-C to stop\\)$`,
      );
      await tail.waitForStderr(refused);
      late = await startMosquitto({ port });
      await tail.waitForStderr(/^readpoint tail: subscribed to /);
      expect(tail.stderr.filter((l) => refused.test(l))).toHaveLength(1);
      expect(tail.stderr).toContain(`readpoint tail: connected to mqtt://127.0.0.1:${port}`);
      tail.child.kill('SIGINT');
      expect(await tail.exited).toBe(0);
      expect(tail.lines).toEqual([]);
    } finally {
      if (tail.child.exitCode === null) tail.child.kill('SIGKILL');
      await late?.stop();
    }
  });
});

describe('readpoint tail --config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rp-tail-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configFile = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      `gateway: { id: ${GW}, site: ${SITE} }
dataDir: ${join(dir, 'data')}
${body}
readPoints:
  - { id: dock-1 }
readers:
  - { id: scanner-1, driver: serial-line, path: /dev/ttyUSB0, readPoint: dock-1 }
`,
    );
    return file;
  };

  it("watches the gateway the file configures: its uplink's broker, topic prefix, site and gateway", async () => {
    const file = configFile('central.yaml', `uplink: { url: "${broker.url}", topicPrefix: acme/v2 }`);
    const tail = startTail(['--config', file, '--json']);
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'rp-tail-config', reconnectPeriod: 0 });
    try {
      await tail.waitForStderr(
        new RegExp(`^readpoint tail: subscribed to acme/v2/${SITE}/${GW}/events/\\+ on ${broker.url}`),
      );
      await publisher.publishAsync(`readpoint/v1/${SITE}/${GW}/events/dock-1`, '{"n":"default prefix"}', {
        qos: 1,
      });
      await publisher.publishAsync(`acme/v2/${SITE}/gw-2/events/dock-1`, '{"n":"another gateway"}', {
        qos: 1,
      });
      await publisher.publishAsync(`acme/v2/${SITE}/${GW}/events/dock-1`, '{"n":"this gateway"}', { qos: 1 });
      await tail.waitForLines(1);
      tail.child.kill('SIGINT');
      expect(await tail.exited).toBe(0);
      expect(tail.lines).toEqual(['{"n":"this gateway"}']);
    } finally {
      await publisher.endAsync();
      if (tail.child.exitCode === null) tail.child.kill('SIGKILL');
    }
  });

  it('takes the embedded broker and its login when there is no uplink.url, and options win over the file', async () => {
    const { tailTarget } = await import('../../daemon/cli/tail-config.js');
    const file = configFile(
      'floor.yaml',
      'broker: { enabled: true, host: 0.0.0.0, port: 1884, username: floor, password: dock-secret }',
    );
    expect(await tailTarget({ config: file })).toEqual({
      options: {
        config: file,
        url: 'mqtt://127.0.0.1:1884',
        prefix: 'readpoint/v1',
        site: SITE,
        gateway: GW,
      },
      connect: { username: 'floor', password: 'dock-secret' },
    });
    expect(await tailTarget({ config: file, url: 'mqtt://10.0.0.5:1883', site: '+' })).toEqual({
      options: { config: file, url: 'mqtt://10.0.0.5:1883', prefix: 'readpoint/v1', site: '+', gateway: GW },
      connect: {},
    });
    // With consumer logins only, the first one this user can read logs in.
    const secretFile = join(dirname(file), 'wms.password');
    writeFileSync(secretFile, 'wms-secret\n');
    const consumers = configFile(
      'consumers.yaml',
      `broker: { host: 0.0.0.0, port: 1884, consumers: [{ username: gone, passwordFile: /nonexistent/x }, ` +
        `{ username: wms, passwordFile: ${secretFile} }] }`,
    );
    expect((await tailTarget({ config: consumers })) as { connect: unknown }).toMatchObject({
      connect: { username: 'wms', password: 'wms-secret' },
    });
    const central = configFile(
      'tls.yaml',
      `uplink: { url: "mqtts://central:8883", username: gw, password: s3cret, ca: ${join(dir, 'missing-ca.pem')} }`,
    );
    expect(await tailTarget({ config: central })).toMatch(
      /^cannot read a TLS file named in .*tls\.yaml: uplink\.ca: cannot read .*missing-ca\.pem: ENOENT/,
    );
    expect(await tailTarget({})).toBe(
      'say which broker to watch: --url mqtt://HOST:PORT, or --config FILE for the gateway that file configures',
    );
    const r = spawnSync(process.execPath, [cliPath, 'tail', '--config', join(dir, 'absent.yaml')], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/absent\.yaml/);
    expect(r.stderr).toMatch(/give --url/);
  });
});
