/**
 * Reading capture files (capture/capture-file.ts): a good one back read for read, and every bad
 * one with a clear error naming the file and line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CaptureEntry, captureEntries } from '../../../daemon/capture/capture-file.js';
import { captureText, palletPass, tagEpc } from '../../support/captures.js';

const dir = mkdtempSync(join(tmpdir(), 'rp-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string): string {
  const path = join(dir, `c${++n}.capture`);
  writeFileSync(path, text);
  return path;
}

async function all(path: string, partial = false): Promise<CaptureEntry[]> {
  const out: CaptureEntry[] = [];
  for await (const e of captureEntries(path, { partial })) out.push(e);
  return out;
}

const { reads } = palletPass([101, 102], [1, 2], 0, 3);
const good = captureText(reads);
const lines = good.trimEnd().split('\n');

describe('capture files', () => {
  it('reads back the header, every read as it was, and the end', async () => {
    const entries = await all(file(good));
    expect(entries[0]).toMatchObject({ kind: 'header', header: { format: 'readpoint-capture', version: 1 } });
    const back = entries.filter((e) => e.kind === 'read').map((e) => e.read);
    expect(back).toEqual(reads);
    expect(back[0]!.data).toEqual(tagEpc(101));
    expect(entries.at(-1)).toMatchObject({ kind: 'end', cutOff: false, end: { end: 'stopped', reads: 12 } });
  });

  it('hides the secrets of the reader in the header', () => {
    const header = JSON.parse(lines[0]!);
    expect(header.reader).toEqual({ id: 'rfid-1', driver: 'thingmagic' });
  });

  const bad: [string, string, RegExp][] = [
    ['an empty file', '', /c\d+\.capture: empty, not a readpoint capture/],
    ['not a capture', '{"hello":1}\n', /:1: not a readpoint capture/],
    [
      'another version',
      `${lines[0]!.replace('"version":1', '"version":7')}\n`,
      /:1: capture format version 7; this readpoint reads version 1/,
    ],
    ['a line that is not JSON', [lines[0], lines[1], '{"t":', ...lines.slice(2)].join('\n'), /:3: not JSON/],
    [
      'a bad field',
      [lines[0], lines[1]!.replace('"k":"epc"', '"k":"nfc"'), ...lines.slice(2)].join('\n'),
      /:2: "k" is "nfc", not "epc" or "barcode"/,
    ],
    [
      'bytes not in hex',
      [lines[0], lines[1]!.replace(/"d":"[0-9a-f]+"/, '"d":"zz"'), ...lines.slice(2)].join('\n'),
      /:2: "d" is not the read's bytes/,
    ],
    [
      'reads out of order',
      [lines[0], lines[5], lines[1], ...lines.slice(6)].join('\n'),
      /:3: out of order \("m" 0 before the previous line's 200\)/,
    ],
    ['a line after the end', `${good}${lines.at(-1)}\n`, /:15: a line after the capture's end line/],
  ];
  for (const [what, text, message] of bad)
    it(`refuses ${what}`, async () => {
      // Each ends with its newline: only the fault named is in the file.
      await expect(all(file(text.endsWith('\n') || text === '' ? text : `${text}\n`))).rejects.toThrow(
        message,
      );
    });

  it('refuses a capture cut off, and with partial replays its complete reads', async () => {
    // The end line gone, and the last read cut mid-way.
    const cut = `${lines.slice(0, -1).join('\n')}\n${lines[1]!.slice(0, 20)}`;
    const path = file(cut);
    await expect(all(path)).rejects.toThrow(
      /the capture was cut off \(its last line is cut off\); --partial replays the complete reads before the cut/,
    );
    const entries = await all(path, true);
    expect(entries.filter((e) => e.kind === 'read')).toHaveLength(12);
    expect(entries.at(-1)).toMatchObject({ kind: 'end', cutOff: true, end: { reads: 12, m: 500 } });
    await expect(all(file(`${lines.slice(0, 5).join('\n')}\n`))).rejects.toThrow(
      /the capture was cut off \(it has no end line\); --partial/,
    );
  });

  it('refuses a line longer than any read can make, without holding it', async () => {
    const long = `${lines[0]}\n{"t":1,"m":1,"k":"epc","d":"${'ab'.repeat(70_000)}"}\n${lines.at(-1)}\n`;
    await expect(all(file(long))).rejects.toThrow(/:2: longer than the \d+ bytes a line may be/);
  });
});
