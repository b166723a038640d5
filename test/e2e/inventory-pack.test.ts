/**
 * A pack station on real parts: a socat pseudo-terminal stands in for the station's scanner, the
 * daemon runs as a child process, Mosquitto is the central broker. Cases are closed by the close
 * code, by the next SSCC and by a quiet spell; a unit is taken out of a closed case; an open case
 * outlives a restart. Every AggregationEvent delivered is valid against GS1's EPCIS 2.0 schema
 * and ours, and comes after the ObjectEvents of the units it packs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemon } from '../support/daemon.js';
import { writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';
import { aggregationErrors, gs1Errors, ownErrors } from '../support/schemas.js';

const SSCC = ['106141411234567897', '106141411234567903', '106141411234567910', '340123450000000017'];
const caseScan = (i: number) => `]C100${SSCC[i]}\r`;
const caseUri = (i: number) => `https://id.gs1.org/00/${SSCC[i]}`;
const unitScan = (serial: string) => `]d2010950600013435221${serial}\x1d10LOT1\r`;
const unitUri = (serial: string) => `https://id.gs1.org/01/09506000134352/21/${serial}`;

let dir: string;
let broker: Mosquitto;
let pty: Pty;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-e2e-pack-'));
  broker = await startMosquitto();
  pty = await openPty(dir);
});

afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL');
  await pty?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Aggregation {
  eventID: string;
  action: string;
  parentID: string;
  childEPCs: string[];
  readPoint: { id: string };
  'rp:sequence': number;
  'rp:closedBy'?: string;
}
interface ObjectEvent {
  epcList: string[];
  'rp:sequence': number;
}
interface Health {
  inventory?: { packing?: Record<string, unknown> };
}

const parsed = <T>(c: Collector): T[] => c.messages.map((m) => JSON.parse(String(m.payload)) as T);

async function running(config: string): Promise<DaemonProcess> {
  const daemon = startDaemon(config);
  daemons.push(daemon);
  await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected', 15_000);
  return daemon;
}

/** The daemon's config with the pack station closing a quiet case after `closeAfterS`. */
const configWith = (closeAfterS: number) =>
  writeE2eConfig({
    dir,
    uplinkUrl: broker.url,
    extra: `  - id: pack-1
    mode: pack
    suppressionS: 1
    pack: { closeCode: CLOSE-CASE, removeCode: REMOVE-UNIT, closeAfterS: ${closeAfterS} }
`,
    readers: `  - id: pack-scanner
    driver: serial-line
    readPoint: pack-1
    path: ${pty.readerPath}
    delimiter: CR
`,
  });

describe('pack station -> daemon -> Mosquitto', () => {
  it('delivers valid AggregationEvents: close code, next SSCC, a unit taken out, timeouts, a case across a restart', async () => {
    const aggregations = await collect(broker.url, 'readpoint/v1/site-test/gw-test/aggregations/+');
    const events = await collect(broker.url, 'readpoint/v1/site-test/gw-test/events/+');
    try {
      let daemon = await running(configWith(600));

      // A case of five units (one scanned twice), closed by the close code.
      await pty.write(
        `${caseScan(0)}${['U1', 'U2', 'U3', 'U3', 'U4', 'U5'].map(unitScan).join('')}CLOSE-CASE\r`,
      );
      await aggregations.waitFor(1, 15_000);
      // The next SSCC closes a case (and opens another, left open).
      await pty.write(caseScan(1) + unitScan('V1') + unitScan('V2') + caseScan(2) + unitScan('W1'));
      await aggregations.waitFor(2, 15_000);
      // The remove code, then a unit of the first case.
      await pty.write(`REMOVE-UNIT\r${unitScan('U2')}`);
      await aggregations.waitFor(3, 15_000);

      const health = await daemon.waitForLog(
        (l) => l.msg === 'health' && (l.health as Health).inventory?.packing?.removed === 1,
        15_000,
      );
      expect((health.health as Health).inventory?.packing).toMatchObject({
        stations: 1,
        openCases: 1,
        children: 1,
        closed: { closeCode: 1, nextCase: 1, timeout: 0 },
        removed: 1,
        duplicates: 1,
        unitsWithoutCase: 0,
      });
      expect(await daemon.kill('SIGTERM')).toBe(0);

      // The case left open is taken up again by the next run; its time has run out there: it closes.
      daemon = await running(configWith(1));
      await aggregations.waitFor(4, 15_000);
      // A quiet spell closes a case on the running daemon too.
      await pty.write(caseScan(3) + unitScan('X1'));
      await aggregations.waitFor(5, 15_000);
      expect(await daemon.kill('SIGTERM')).toBe(0);

      const unique = new Map(parsed<Aggregation>(aggregations).map((e) => [e.eventID, e]));
      const got = [...unique.values()].sort((a, b) => a['rp:sequence'] - b['rp:sequence']);
      for (const e of got) {
        expect(gs1Errors(e)).toEqual([]);
        expect(aggregationErrors(e)).toEqual([]);
        expect(e.readPoint.id).toBe('urn:readpoint:site-test:gw-test:pack-1');
      }
      expect(got.map((e) => [e.action, e.parentID, e.childEPCs, e['rp:closedBy'] ?? null])).toEqual([
        ['ADD', caseUri(0), ['U1', 'U2', 'U3', 'U4', 'U5'].map(unitUri), 'close-code'],
        ['ADD', caseUri(1), ['V1', 'V2'].map(unitUri), 'next-case'],
        ['DELETE', caseUri(0), [unitUri('U2')], null],
        ['ADD', caseUri(2), [unitUri('W1')], 'timeout'],
        ['ADD', caseUri(3), [unitUri('X1')], 'timeout'],
      ]);
      // The units still make their ObjectEvents, numbered before the AggregationEvent that packs them.
      const objects = new Map<string, number>();
      for (const e of parsed<ObjectEvent>(events)) {
        expect(gs1Errors(e)).toEqual([]);
        expect(ownErrors(e)).toEqual([]);
        if (!objects.has(e.epcList[0]!)) objects.set(e.epcList[0]!, e['rp:sequence']);
      }
      for (const e of got.filter((a) => a.action === 'ADD'))
        for (const child of e.childEPCs) expect(objects.get(child)).toBeLessThan(e['rp:sequence']);
      expect([...objects.keys()]).toEqual(
        expect.arrayContaining([
          ...[0, 1, 2, 3].map(caseUri),
          ...['U1', 'U5', 'V2', 'W1', 'X1'].map(unitUri),
        ]),
      );
    } finally {
      await aggregations.close();
      await events.close();
    }
  });
});
