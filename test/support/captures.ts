/** Capture files for tests: a header, read lines made as the daemon makes them, an end line. */
import { writeFileSync } from 'node:fs';
import { captureHeader, endLine, readLine } from '../../daemon/capture/capture-format.js';
import { encodeSgtin96 } from '../../daemon/identity/epc-encode.js';
import type { RawRead } from '../../drivers/driver.js';

export const tagEpc = (serial: number) =>
  encodeSgtin96({ filter: 2, companyPrefix: '0614141', itemReference: '812345', serial });
export const tagUri = (serial: number) => `urn:epc:id:sgtin:0614141.812345.${serial}`;

/** Wall-clock ms of monotonic offset 0 in the test captures. */
export const ORIGIN_AT = Date.parse('2026-12-01T08:00:00.000Z');

/** One RFID read of `serial` at offset `m` ms on `antenna`. */
export function tagRead(
  serial: number,
  m: number,
  antenna: number,
  rssi = -58,
  readerId = 'rfid-1',
): RawRead {
  return {
    readerId,
    kind: 'epc',
    data: tagEpc(serial),
    at: ORIGIN_AT + m,
    mono: m,
    antenna,
    rssi,
    pc: 0x3000,
  };
}

/** The text of a capture of `reads` by a thingmagic reader `readerId`. */
export function captureText(reads: readonly RawRead[], readerId = 'rfid-1', end = true): string {
  const header = captureHeader('driver', 'gw', { id: readerId, driver: 'thingmagic' }, ORIGIN_AT, ORIGIN_AT);
  const lines = [JSON.stringify(header), ...reads.map((r) => readLine(r, 0))];
  const last = reads.at(-1)?.mono ?? 0;
  if (end)
    lines.push(
      endLine({
        end: 'stopped',
        reads: reads.length,
        dropped: 0,
        endedAt: new Date(ORIGIN_AT + last).toISOString(),
        m: last,
      }),
    );
  return `${lines.join('\n')}\n`;
}

export function writeCapture(path: string, reads: readonly RawRead[]): string {
  writeFileSync(path, captureText(reads));
  return path;
}

/**
 * A pallet of `serials` through a two-zone dock door: `sweeps` rounds on each antenna of `antennas`
 * in turn, a read of each tag every `everyMs`, starting at `fromMs`. Returns the reads and the end.
 */
export function palletPass(
  serials: readonly number[],
  antennas: readonly number[],
  fromMs: number,
  sweeps = 5,
  everyMs = 100,
): { reads: RawRead[]; endMs: number } {
  const reads: RawRead[] = [];
  let m = fromMs;
  for (const antenna of antennas)
    for (let i = 0; i < sweeps; i++, m += everyMs)
      for (const s of serials) reads.push(tagRead(s, m, antenna));
  return { reads, endMs: m };
}

/** A pallet of three tags in (outside, then inside), 3 s with no read, out again (inside, then outside); a stray weak read. */
export function palletInAndOut(serials: readonly number[] = [101, 102, 103]): {
  reads: RawRead[];
  endMs: number;
} {
  const inward = palletPass(serials, [1, 2], 0);
  const stray = tagRead(999, inward.endMs, 1, -85);
  const outward = palletPass(serials, [2, 1], inward.endMs + 3000);
  return { reads: [...inward.reads, stray, ...outward.reads], endMs: outward.endMs };
}

/** A two-zone dock door configuration (YAML) for reader rfid-1, with its smoothing window and RSSI floor. */
export function dockDoorYaml(suppressionS: number, floor = -80): string {
  return `gateway: { id: gw, site: s }
readPoints:
  - { id: dock-1, suppressionS: ${suppressionS}, direction: { inbound: receiving, outbound: shipping } }
readers:
  - id: rfid-1
    driver: thingmagic
    path: /dev/null
    region: NA2
    readPoint: dock-1
    rssiFloorDbm: ${floor}
    antennaMap:
      - { antenna: 1, zone: outside }
      - { antenna: 2, zone: inside }
`;
}
