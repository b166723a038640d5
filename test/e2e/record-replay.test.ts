/**
 * Record and replay on real parts: the daemon as a child process with a ThingMagic module at a
 * two-zone dock door (the simulator on a socat PTY), events to a real Mosquitto. `readpoint
 * record` takes the reader's raw traffic from the running daemon over its control socket while a
 * pallet goes in and out; `readpoint replay` of that capture under the same config gives the
 * events the live run delivered, byte for byte but for their sequence numbers (the live outbox
 * numbers the gateway's events over its whole life, replay from 1). The reader's ring gives the
 * same. With the daemon stopped, `record` opens the module itself.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThingMagicSimulator, type ThingMagicSimulator } from '../../drivers/thingmagic/simulator.js';
import { tagEpc, tagUri } from '../support/captures.js';
import { runCli, startCli } from '../support/cli-process.js';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPtyDevice, type PtyDevice } from '../support/pty-device.js';

const PALLET = [101, 102, 103];
const STRAY = 999;

let dir: string;
let config: string;
let mosquitto: Mosquitto;
let pty: PtyDevice;
let tm: ThingMagicSimulator;
let daemon: DaemonProcess | undefined;
let events: Collector;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-replay-'));
  mosquitto = await startMosquitto();
  pty = await openPtyDevice(dir, 'm6e');
  tm = await startThingMagicSimulator({ path: pty.devicePath, cycleMs: 200 });
  config = join(dir, 'readpoint.yaml');
  writeFileSync(
    config,
    `gateway: { id: gw-rec, site: site-test }
dataDir: ${join(dir, 'data')}
log: { level: info }
uplink:
  url: ${mosquitto.url}
  healthIntervalS: 1
  retry: { minMs: 100, maxMs: 1000 }
readPoints:
  - { id: dock-3, suppressionS: 1, direction: { inbound: receiving, outbound: shipping } }
readers:
  - id: dock-3-rfid
    driver: thingmagic
    path: ${pty.readerPath}
    readPoint: dock-3
    region: NA2
    antennas: [1, 2]
    rssiFloorDbm: -80
    antennaMap:
      - { antenna: 1, zone: outside }
      - { antenna: 2, zone: inside }
    retry: { minMs: 100, maxMs: 1000 }
    capture: { ringMinutes: 5 }
`,
  );
  events = await collect(mosquitto.url, 'readpoint/v1/site-test/gw-rec/events/+');
  daemon = startDaemon(config);
  await daemon.waitForLog(
    (l) => l.msg === 'reader state' && l.reader === 'dock-3-rfid' && l.state === 'connected',
    20_000,
  );
  await daemon.waitForLog((l) => l.msg === 'readpoint running', 20_000);
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await events?.close();
  await tm?.close();
  await pty?.close();
  await mosquitto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The pallet read `times` times on each antenna in turn (a forklift through the door). */
async function pass(antennas: number[], times: number, rssi = -58) {
  for (const antenna of antennas)
    for (let i = 0; i < times; i++)
      await tm.report(PALLET.map((s) => ({ epc: tagEpc(s).toString('hex'), antenna, rssi })));
}

type Json = Record<string, unknown>;
const withoutSeq = (e: Json) => {
  const { 'rp:sequence': _, ...rest } = e;
  return rest;
};
const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Json);

describe('record and replay', () => {
  it('replays a capture from the running daemon to the events the live run delivered', async () => {
    await expect.poll(() => tm.isReading(), { timeout: 10_000 }).toBe(true);
    const capture = join(dir, 'dock-3.capture');
    const rec = startCli(['record', '--config', config, '--reader', 'dock-3-rfid', '--out', capture]);
    await rec.waitForStderr(/recording reader dock-3-rfid from the running daemon/);
    // In: outside, then inside; a stray read below the floor. Out: inside, then outside.
    await tm.report([{ epc: tagEpc(STRAY).toString('hex'), antenna: 1, rssi: -90 }]);
    await pass([1, 2], 3);
    await events.waitFor(3, 20_000);
    await pass([2, 1], 2);
    await events.waitFor(6, 20_000);
    rec.child.kill('SIGINT');
    expect(await rec.exited).toBe(0);
    expect(rec.stderr()).toMatch(/recorded 31 reads of reader dock-3-rfid into .*dock-3\.capture\n/);

    const live = events.messages.map((m) => JSON.parse(m.payload.toString('utf8')) as Json);
    expect(live.map((e) => [e['rp:transition'], e.epcList, e['rp:direction']])).toEqual([
      ...PALLET.map((s) => ['passage', [tagUri(s)], 'inbound']),
      ...PALLET.map((s) => ['passage', [tagUri(s)], 'outbound']),
    ]);

    const file = readFileSync(capture, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(file[0]!)).toMatchObject({
      format: 'readpoint-capture',
      version: 1,
      source: 'daemon',
      gateway: 'gw-rec',
      reader: {
        id: 'dock-3-rfid',
        driver: 'thingmagic',
        antennaMap: [
          { antenna: 1, zone: 'outside' },
          { antenna: 2, zone: 'inside' },
        ],
      },
    });
    expect(JSON.parse(file.at(-1)!)).toMatchObject({ end: 'stopped', reads: 31, dropped: 0 });
    expect(JSON.parse(file[1]!)).toMatchObject({ k: 'epc', d: tagEpc(STRAY).toString('hex'), a: 1, r: -90 });

    const replayed = await runCli(['replay', capture, '--config', config, '--json']);
    expect(replayed.code).toBe(0);
    const again = lines(replayed.stdout);
    // The same events, field for field and with the same event IDs; only the numbering differs.
    expect(again.map(withoutSeq)).toEqual(live.map(withoutSeq));
    expect(again.map((e) => e['rp:sequence'])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(replayed.stderr).toMatch(/31 reads of reader dock-3-rfid/);
    expect(replayed.stderr).toMatch(
      /6 events \(passage inbound 3, passage outbound 3\), 0 rejects, 1 reads under the RSSI floor/,
    );

    // The reader's ring holds the same traffic (it has kept reads since the daemon started).
    const ring = join(dir, 'ring.capture');
    const dumped = await runCli([
      'record',
      '--config',
      config,
      '--reader',
      'dock-3-rfid',
      '--out',
      ring,
      '--ring',
    ]);
    expect(dumped.code).toBe(0);
    expect(JSON.parse(readFileSync(ring, 'utf8').split('\n')[0]!)).toMatchObject({ source: 'ring' });
    const fromRing = await runCli(['replay', ring, '--config', config, '--json']);
    expect(fromRing.code).toBe(0);
    expect(lines(fromRing.stdout).map(withoutSeq)).toEqual(live.map(withoutSeq));
  });

  it('ends a capture cleanly when the daemon stops, then records from the module itself', async () => {
    const cut = join(dir, 'cut.capture');
    const during = startCli(['record', '--config', config, '--reader', 'dock-3-rfid', '--out', cut]);
    await during.waitForStderr(/recording reader dock-3-rfid from the running daemon/);
    await daemon!.kill('SIGTERM');
    daemon = undefined;
    expect(await during.exited).toBe(2);
    expect(during.stderr()).toMatch(/the daemon stopped answering \(.+\); 0 reads were recorded\n$/);
    expect(JSON.parse(readFileSync(cut, 'utf8').trimEnd().split('\n').at(-1)!)).toMatchObject({
      end: 'daemon-stopped',
      reads: 0,
    });

    const capture = join(dir, 'alone.capture');
    const rec = startCli(['record', '--config', config, '--reader', 'dock-3-rfid', '--out', capture]);
    await rec.waitForStderr(/recording reader dock-3-rfid from its device/);
    await rec.waitForStderr(/reader dock-3-rfid connected/);
    await expect.poll(() => tm.isReading(), { timeout: 10_000 }).toBe(true);
    await pass([1, 2], 2);
    // Each read is written as it comes: wait for the header and the twelve reads.
    await expect
      .poll(() => readFileSync(capture, 'utf8').split('\n').length - 2, { timeout: 10_000 })
      .toBe(12);
    rec.child.kill('SIGINT');
    expect(await rec.exited).toBe(0);
    const replayed = await runCli(['replay', capture, '--config', config, '--json']);
    expect(replayed.code).toBe(0);
    expect(
      lines(replayed.stdout).map((e) => [
        e['rp:transition'],
        e.epcList,
        e['rp:direction'],
        e['rp:readCount'],
      ]),
    ).toEqual(PALLET.map((s) => ['passage', [tagUri(s)], 'inbound', 4]));
    expect(JSON.parse(readFileSync(capture, 'utf8').trimEnd().split('\n').at(-1)!)).toMatchObject({
      end: 'stopped',
      reads: 12,
    });
  });
});
