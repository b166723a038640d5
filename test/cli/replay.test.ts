/**
 * `readpoint replay` as a technician runs it: the events of a two-zone dock door capture as
 * readable lines, two smoothing configurations compared, and the errors of a bad capture, a
 * capture cut off and a configuration without the reader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureText, dockDoorYaml, palletInAndOut, tagUri } from '../support/captures.js';
import { runCli } from '../support/cli-process.js';

let dir: string;
let capture: string;
let short: string;
let long: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-replay-cli-'));
  capture = join(dir, 'dock-1.capture');
  writeFileSync(capture, captureText(palletInAndOut().reads));
  short = join(dir, 'short.yaml');
  long = join(dir, 'long.yaml');
  writeFileSync(short, dockDoorYaml(2));
  writeFileSync(long, dockDoorYaml(5, -90));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readpoint replay', () => {
  it('prints one readable line per event and a summary', async () => {
    const r = await runCli(['replay', capture, '--config', short]);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(6);
    for (const [i, s] of [101, 102, 103].entries()) {
      expect(out[i]).toMatch(
        new RegExp(`dock-1 +passage inbound \\(1\\.00\\) +${tagUri(s)} .*reader rfid-1 ant 1 -58 dBm x10$`),
      );
      expect(out[i + 3]).toMatch(new RegExp(`dock-1 +passage outbound \\(1\\.00\\) +${tagUri(s)} `));
    }
    expect(r.stderr).toMatch(/^61 reads of reader rfid-1, 4\.9 s of capture, replayed in /);
    expect(r.stderr).toMatch(
      /short\.yaml: 6 events \(passage inbound 3, passage outbound 3\), 0 rejects, 1 reads under the RSSI floor\n/,
    );
  });

  it('compares two configurations side by side, with the events only one emits', async () => {
    const r = await runCli(['replay', capture, '--config', short, '--compare', long]);
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    const row = (what: string) =>
      out
        .find((l) => l.trimStart().startsWith(`${what} `))
        ?.trim()
        .split(/ {2,}/);
    expect(out[0]).toMatch(/short\.yaml +long\.yaml$/);
    expect(row('events')).toEqual(['events', '6', '4', '*']);
    expect(row('passage inbound')).toEqual(['passage inbound', '3', '3']);
    expect(row('passage outbound')).toEqual(['passage outbound', '3', '0', '*']);
    expect(row('passage unknown')).toEqual(['passage unknown', '0', '1', '*']);
    expect(row('reads under the RSSI floor')).toEqual(['reads under the RSSI floor', '1', '0', '*']);
    expect(row('rejects')).toEqual(['rejects', '0', '0']);
    const onlyShort = out.indexOf('only with short.yaml: 6 events');
    const onlyLong = out.indexOf('only with long.yaml: 4 events');
    expect(onlyShort).toBeGreaterThan(0);
    expect(onlyLong).toBe(onlyShort + 8);
    expect(out.slice(onlyLong + 1, onlyLong + 5).map((l) => /passage (\w+)/.exec(l)?.[1])).toEqual([
      'unknown',
      'inbound',
      'inbound',
      'inbound',
    ]);

    const j = await runCli(['replay', capture, '--config', short, '--compare', long, '--json']);
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout);
    expect(report.configs).toEqual(['short.yaml', 'long.yaml']);
    expect(report.counts[0]).toEqual({ what: 'events', 'short.yaml': 6, 'long.yaml': 4 });
    expect(report.onlyA).toHaveLength(6);
    expect(report.onlyB.map((e: { epcList: string[] }) => e.epcList[0])).toEqual([
      tagUri(999),
      tagUri(101),
      tagUri(102),
      tagUri(103),
    ]);
  });

  it('says what is wrong with a capture, and replays one cut off only when asked', async () => {
    const bad = join(dir, 'bad.capture');
    writeFileSync(bad, 'hello\n');
    const r = await runCli(['replay', bad, '--config', short]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`readpoint replay: ${bad}:1: not JSON\n`);

    const cut = join(dir, 'cut.capture');
    writeFileSync(cut, captureText(palletInAndOut().reads, 'rfid-1', false));
    const refused = await runCli(['replay', cut, '--config', short]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /cut\.capture: the capture was cut off \(it has no end line\); --partial replays the complete reads before the cut\n$/,
    );
    expect(refused.stdout).toBe('');
    const partial = await runCli(['replay', cut, '--config', short, '--partial', '--json']);
    expect(partial.code).toBe(0);
    expect(partial.stdout.trimEnd().split('\n')).toHaveLength(6);
    expect(partial.stderr).toMatch(/cut off; replayed the reads before the cut/);
  });

  it('refuses a configuration without the capture reader, naming its readers', async () => {
    const r = await runCli(['replay', capture, '--config', short, '--reader', 'rfid-9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'readpoint replay: the configuration has no reader "rfid-9" (its readers: rfid-1)\n',
    );
  });
});
