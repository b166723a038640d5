import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeText } from '../../daemon/identity/decode.js';
import { InventoryStore } from '../../daemon/inventory/inventory-store.js';
import { WhereIndex } from '../../daemon/inventory/where/where-index.js';
import { runCli } from '../support/cli-process.js';
import { whereAnswerErrors } from '../support/schemas.js';

interface Run {
  status: number | string;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await runCli(args);
  return { status: code, stdout, stderr };
}

const TIME = Date.UTC(2026, 11, 1, 10, 2, 3, 45);
const EVENT_ID = 'urn:uuid:3c1d0f3e-2b7a-5c55-9d1e-0a4b8c6d2e10';
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'where-cli-'));
  const store = new InventoryStore(dir);
  await store.open();
  const index = new WhereIndex(store.part('where'), {
    maxUnits: 100,
    maxAgeMs: 3650 * 86_400_000,
    flushMs: 60_000,
  });
  await index.start();
  const tag = decodeText('3074257BF7194E4000001A85');
  if (!tag.ok) throw new Error(tag.reject.message);
  index.eventNumbered({
    sighting: {
      identity: tag.identity,
      readerId: 'rfid-2',
      readPointId: 'door-2',
      firstSeen: TIME,
      lastSeen: TIME,
      readCount: 4,
    },
    seq: 41,
    eventId: EVENT_ID,
    topic: 'readpoint/v1/s/g/events/door-2',
  });
  await index.stop();
  await store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readpoint where, no daemon running', () => {
  it('answers from the index in the data dir, by tag, URN or barcode of the same unit', async () => {
    const run = await cli([
      'where',
      '--data-dir',
      dir,
      '--json',
      '3074257BF7194E4000001A85',
      ']d20180614141123458216789',
    ]);
    expect(run.stderr).toBe(`no daemon is running on ${dir}: answered from its where-is index\n`);
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const seen = {
      found: true,
      unit: 'urn:epc:id:sgtin:0614141.812345.6789',
      readPoint: 'door-2',
      reader: 'rfid-2',
      time: '2026-12-01T10:02:03.045Z',
      transition: 'arrival',
      eventID: EVENT_ID,
      sequence: 41,
    };
    expect(lines).toEqual([
      { query: '3074257BF7194E4000001A85', ...seen },
      { query: ']d20180614141123458216789', ...seen },
    ]);
    expect(whereAnswerErrors({ gateway: 'g', site: 's', time: seen.time, results: lines })).toEqual([]);
  });

  it('prints one line a unit, says never seen (exit 1) and refuses what is not a unit (exit 64)', async () => {
    const seen = await cli(['where', '-d', dir, 'urn:epc:id:sgtin:0614141.812345.6789']);
    expect(seen.status).toBe(0);
    expect(seen.stdout).toMatch(
      new RegExp(
        `^urn:epc:id:sgtin:0614141\\.812345\\.6789  door-2  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.045  arrival  reader rfid-2  ${EVENT_ID}  seq 41\\n$`,
      ),
    );
    const never = await cli(['where', '-d', dir, 'https://id.gs1.org/01/09506000134352/21/NOPE']);
    expect([never.status, never.stdout]).toEqual([
      1,
      'https://id.gs1.org/01/09506000134352/21/NOPE  never seen (or forgotten)\n',
    ]);
    const bad = await cli(['where', '-d', dir, ']d2010950600013435321SN1']);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/\]d2010950600013435321SN1: not a unit: check-digit: /);
  });

  it('says so when the data dir holds no index, and leaves it without one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'where-cli-empty-'));
    try {
      const run = await cli(['where', '-d', empty, '3074257BF7194E4000001A85']);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(
        `readpoint where: no daemon is running on ${empty}, and it holds no where-is index (${join(empty, 'inventory')})\n`,
      );
      const again = await cli(['where', '-d', empty, '3074257BF7194E4000001A85']);
      expect(again.status).toBe(2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
