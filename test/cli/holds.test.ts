import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlServer, controlSocketPath } from '../../daemon/inventory/control-server.js';
import { HoldBook } from '../../daemon/inventory/holds/hold-book.js';
import { holdCommand } from '../../daemon/inventory/holds/hold-commands.js';
import { parseHoldEntry } from '../../daemon/inventory/holds/hold-entry.js';
import { HoldIndex } from '../../daemon/inventory/holds/hold-index.js';
import { HoldLists } from '../../daemon/inventory/holds/hold-lists.js';
import { InventoryStore } from '../../daemon/inventory/inventory-store.js';
import { silentLogger } from '../../daemon/log.js';
import { runCli } from '../support/cli-process.js';

const GTIN = '09506000134352';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-holds-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `readpoint holds ARGS --data-dir DIR`, as a technician runs it. */
async function cli(args: string[]): Promise<{ status: number | string; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCli(['holds', ...args, '--data-dir', dir]);
  return { status: code, stdout, stderr };
}

/** The store as the daemon loads it at start: entries into an index, and the versions. */
async function loaded() {
  const store = new InventoryStore(dir);
  await store.open();
  try {
    const index = new HoldIndex();
    const versions = await new HoldBook(store.part('holds')).load((list, entry) => index.add(list, entry));
    return { counts: index.counts(), size: index.size, versions };
  } finally {
    await store.close();
  }
}

/** Every file of the store with its bytes: what a command that only reads must leave as it was. */
async function storeFiles(): Promise<Record<string, string>> {
  const store = join(dir, 'inventory');
  const out: Record<string, string> = {};
  for (const name of (await readdir(store)).sort())
    out[name] = (await readFile(join(store, name))).toString('hex');
  return out;
}

describe('readpoint holds (no daemon running)', () => {
  it('lists from a copy of the store, leaving the store untouched, and says when there is none', async () => {
    const none = await cli(['list']);
    expect(none).toMatchObject({ status: 0, stdout: '' });
    expect(none.stderr).toContain(`readpoint holds: no holds: ${dir} has no inventory store yet`);
    expect((await cli(['add', '--unit', 'urn:epc:id:sgtin:0614141.812345.6789'])).status).toBe(0);
    const before = await storeFiles();
    const list = await cli(['list', '--json']);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({
      list: 'local',
      unit: 'urn:epc:id:sgtin:0614141.812345.6789',
    });
    expect(await storeFiles()).toEqual(before);
  });

  it('adds and lists local holds in the store', async () => {
    const add = await cli([
      'add',
      '--gtin',
      GTIN,
      '--lot',
      'L42',
      '--reason',
      'recall',
      '--reference',
      'R-118',
    ]);
    expect(add).toMatchObject({ status: 0, stdout: 'local hold list now at version 1\n' });
    expect((await cli(['add', '--epc-pattern', 'urn:epc:idpat:sgtin:0614141.812345.[100-199]'])).status).toBe(
      0,
    );
    const list = await cli(['list', '--json']);
    expect(list.status).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { list: 'local', kind: 'lot', gtin: GTIN, lot: 'L42', reason: 'recall', reference: 'R-118' },
      {
        list: 'local',
        kind: 'range',
        epcPattern: 'urn:epc:idpat:sgtin:0614141.812345.[100-199]',
        serials: { from: '100', to: '199' },
      },
    ]);
    expect((await cli(['list'])).stdout).toBe(
      `local  lot  GTIN ${GTIN} LOT L42  recall  R-118\nlocal  range  urn:epc:idpat:sgtin:0614141.812345.[100-199]\n`,
    );
  });

  it('removes a local hold named as it was added', async () => {
    const store = new InventoryStore(dir);
    await store.open();
    const lists = new HoldLists(new HoldBook(store.part('holds')));
    await lists.addLocal([
      parseHoldEntry({ gtin: GTIN, lot: 'L42' }),
      parseHoldEntry({ gtin: GTIN, lot: 'L43' }),
    ]);
    await store.close();
    expect(await cli(['remove', '--gtin', GTIN, '--lot', 'L42'])).toMatchObject({
      status: 0,
      stdout: 'local hold list now at version 2\n',
    });
    expect(await loaded()).toMatchObject({
      size: 1,
      counts: { lot: 1 },
      versions: { local: { version: 2 } },
    });
  });

  it('refuses a bad entry and wrong options with a clear message', async () => {
    expect(await cli(['add', '--gtin', '09506000134353'])).toMatchObject({
      status: 1,
      stderr: 'readpoint holds: gtin must be a GTIN of 8, 12, 13 or 14 digits with a valid check digit\n',
    });
    expect(await cli(['remove', '--gtin', GTIN, '--lot', 'L42'])).toMatchObject({
      status: 1,
      stderr: 'readpoint holds: the local list has no such entry\n',
    });
    const both = await cli(['add', '--gtin', GTIN, '--unit', 'urn:x:1']);
    expect(both.status).toBe(64);
    expect(both.stderr).toContain('name one of --unit, --gtin');
  });

  it('imports a file of 12,000 entries in chunks, and refuses a file with a bad line before changing anything', async () => {
    const lines = ['# recall R-118, batch 1', ''];
    for (let i = 0; i < 12_000; i++)
      lines.push(JSON.stringify({ unit: `https://id.gs1.org/01/${GTIN}/21/S${i}`, reference: 'R-118' }));
    const file = join(dir, 'recall.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const done = await cli(['import', file]);
    expect(done).toMatchObject({
      status: 0,
      stdout: 'imported 12000 entries; local hold list now at version 3\n',
    });
    expect(await loaded()).toMatchObject({ size: 12_000, counts: { unit: 12_000 } });

    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify({ gtin: GTIN })}\n{"gtin": "${GTIN}", "lot": 7}\n`);
    expect(await cli(['import', bad, '--replace'])).toMatchObject({
      status: 1,
      stderr: `readpoint holds: ${bad}:2: lot must be printable text of 1-20 characters\n`,
    });
    expect((await loaded()).size).toBe(12_000);

    const one = join(dir, 'one.jsonl');
    await writeFile(one, `${JSON.stringify({ gtin: GTIN, reason: 'all of it' })}`);
    expect(await cli(['import', one, '--replace'])).toMatchObject({ status: 0 });
    expect(await loaded()).toMatchObject({
      size: 1,
      counts: { gtin: 1 },
      versions: { local: { version: 4 } },
    });
  });
  it("refuses, whole, an import or an add the config's holds.indexMb has no room for", async () => {
    const config = join(dir, 'readpoint.yaml');
    await writeFile(
      config,
      `gateway: { id: gw, site: dc }
dataDir: ${dir}
holds: { indexMb: 1 }
readPoints: [{ id: dock-1 }]
readers: [{ id: gun, driver: serial-line, path: /dev/null, readPoint: dock-1 }]
`,
    );
    const withConfig = async (args: string[]) => {
      const { code, stdout, stderr } = await runCli(['holds', ...args, '--config', config]);
      return { status: code, stdout, stderr };
    };
    const file = async (name: string, from: number, count: number) => {
      const lines = Array.from({ length: count }, (_, i) =>
        JSON.stringify({ gtin: GTIN, lot: `L${from + i}` }),
      );
      const path = join(dir, name);
      await writeFile(path, `${lines.join('\n')}\n`);
      return path;
    };
    // 1 MiB: a table of 65,536 slots, which a list of 32,768 entries fills half.
    const tooMany = await file('too-many.jsonl', 0, 32_769);
    expect(await withConfig(['import', tooMany])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'readpoint holds: the hold index would take 2 MiB, more than holds.indexMb (1 MiB): nothing was changed. ' +
        'Raise holds.indexMb (or memory.budgetMb, which sets its default), or hold fewer entries: one lot, ' +
        'serial range or GTIN entry holds many units\n',
    });
    expect((await loaded()).size).toBe(0);
    expect(await withConfig(['import', await file('fits.jsonl', 0, 32_768)])).toMatchObject({
      status: 0,
      stdout: 'imported 32768 entries; local hold list now at version 7\n',
    });
    // The table holds 49,152 before it doubles: one add of a single entry still fits, an import
    // of 16,384 more does not, and changes nothing.
    expect((await withConfig(['add', '--gtin', GTIN, '--lot', 'ONE-MORE'])).status).toBe(0);
    expect((await withConfig(['import', await file('more.jsonl', 40_000, 16_384)])).status).toBe(1);
    expect(await loaded()).toMatchObject({ size: 32_769, versions: { local: { version: 8 } } });
    // With only a data dir the config's limit is not known: the change is taken (and the daemon
    // says at its next start that its lists are over the limit).
    expect((await cli(['import', await file('more.jsonl', 40_000, 16_384)])).status).toBe(0);
    expect((await loaded()).size).toBe(49_153);
  });
});

/**
 * A daemon's control socket as the CLI sees it: room for one new entry at most, weighed entries
 * new only if of lot `newLot`; each question noted in `asked` (a weigh with what `weighed` says
 * of its entries), each import answered with `version`.
 */
async function weighingDaemon(
  newLot: string,
  version: number,
  weighed: (entries: { lot: string }[]) => unknown[],
): Promise<{ asked: unknown[]; close(): Promise<void> }> {
  const control = new ControlServer(silentLogger());
  const asked: unknown[] = [];
  control.register('holds.list', async () => ({ versions: {}, holds: [] }));
  control.register('holds.room', async (args) => {
    asked.push(['room', args]);
    if ((args as { slots: number }).slots > 1)
      throw new Error('the hold index would take 2 MiB, more than holds.indexMb (1 MiB)');
    return { bytes: 1, limitBytes: 2 };
  });
  control.register('holds.weigh', async (args) => {
    const entries = (args as { entries: { lot: string }[] }).entries;
    asked.push(['weigh', ...weighed(entries)]);
    return { slots: entries.filter((e) => e.lot === newLot).length, ranges: 0 };
  });
  control.register('holds.import', async (args) => {
    asked.push(['import', (args as { entries: unknown[] }).entries.length]);
    return { version };
  });
  await control.listen(controlSocketPath(dir));
  return { asked, close: () => control.close() };
}

/** A recall file of two lots, L1 and L2. */
async function recallOfTwoLots(): Promise<string> {
  const file = join(dir, 'recall.jsonl');
  await writeFile(
    file,
    `${JSON.stringify({ gtin: GTIN, lot: 'L1' })}\n${JSON.stringify({ gtin: GTIN, lot: 'L2' })}\n`,
  );
  return file;
}

describe('readpoint holds import (a daemon running)', () => {
  it('imports through a daemon that knows no limit to ask about (started before an upgrade)', async () => {
    // The daemon's side as before holds.indexMb: list and import, no room question.
    const store = new InventoryStore(dir);
    await store.open();
    const lists = new HoldLists(new HoldBook(store.part('holds')));
    const control = new ControlServer(silentLogger());
    for (const verb of ['list', 'import'] as const)
      control.register(`holds.${verb}`, (args) => holdCommand(lists, verb, args));
    await control.listen(controlSocketPath(dir));
    try {
      const file = await recallOfTwoLots();
      expect(await cli(['import', file])).toEqual({
        status: 0,
        stdout: 'imported 2 entries; local hold list now at version 1\n',
        stderr: '',
      });
      expect((await lists.book.page('local', 10)).map((h) => h.entry.key)).toEqual([
        `l|${GTIN}|L1`,
        `l|${GTIN}|L2`,
      ]);
    } finally {
      await control.close();
      await store.close();
    }
  });
  it('weighs the entries against the list when counting them all as new does not fit, and imports what fits', async () => {
    // Weighed, only L2 is new.
    const daemon = await weighingDaemon('L2', 4, (entries) => [entries.map((e) => e.lot)]);
    try {
      const file = await recallOfTwoLots();
      expect(await cli(['import', file])).toEqual({
        status: 0,
        stdout: 'imported 2 entries; local hold list now at version 4\n',
        stderr: '',
      });
      expect(daemon.asked).toEqual([
        ['room', { slots: 2, ranges: 0, replace: false }],
        ['weigh', ['L1', 'L2']],
        ['room', { slots: 1, ranges: 0, replace: false }],
        ['import', 2],
      ]);
    } finally {
      await daemon.close();
    }
  });
  it('counts and weighs an entry the file names twice once, whichever chunks it is in', async () => {
    // 5,000 lots, the same 5,000 again (a second chunk), and one more: 5,001 distinct entries.
    const lots = Array.from({ length: 5000 }, (_, i) => `L${i}`);
    const file = join(dir, 'twice.jsonl');
    await writeFile(
      file,
      [...lots, ...lots, 'NEW'].map((lot) => `${JSON.stringify({ gtin: GTIN, lot })}\n`).join(''),
    );
    const daemon = await weighingDaemon('NEW', 9, (entries) => [entries.length, entries[0]!.lot]);
    try {
      expect(await cli(['import', file])).toEqual({
        status: 0,
        stdout: 'imported 10001 entries; local hold list now at version 9\n',
        stderr: '',
      });
      // Every line is still sent: a later line of a name is the one the list keeps.
      expect(daemon.asked).toEqual([
        ['room', { slots: 5001, ranges: 0, replace: false }],
        ['weigh', 5000, 'L0'],
        ['weigh', 1, 'NEW'],
        ['room', { slots: 1, ranges: 0, replace: false }],
        ['import', 5000],
        ['import', 5000],
        ['import', 1],
      ]);
    } finally {
      await daemon.close();
    }
  });

  it("keeps the room question's refusal when the daemon cannot weigh the entries (started before an upgrade)", async () => {
    const control = new ControlServer(silentLogger());
    const imported: unknown[] = [];
    control.register('holds.list', async () => ({ versions: {}, holds: [] }));
    control.register('holds.room', async () => {
      throw new Error('the hold index would take 64 MiB, more than holds.indexMb (48 MiB)');
    });
    control.register('holds.import', async (args) => {
      imported.push(args);
      return { version: 1 };
    });
    await control.listen(controlSocketPath(dir));
    try {
      const file = join(dir, 'recall.jsonl');
      await writeFile(file, `${JSON.stringify({ gtin: GTIN, lot: 'L1' })}\n`);
      expect(await cli(['import', file])).toEqual({
        status: 1,
        stdout: '',
        stderr: 'readpoint holds: the hold index would take 64 MiB, more than holds.indexMb (48 MiB)\n',
      });
      expect(imported).toEqual([]);
    } finally {
      await control.close();
    }
  });
  it('says how much of an import is in when a later chunk is refused', async () => {
    // A daemon whose lists filled up between the room question and the second chunk.
    const control = new ControlServer(silentLogger());
    const imported: number[] = [];
    control.register('holds.list', async () => ({ versions: {}, holds: [] }));
    control.register('holds.room', async () => ({ bytes: 1, limitBytes: 2 }));
    control.register('holds.import', async (args) => {
      if (imported.length === 1)
        throw new Error('the hold index would take 64 MiB, more than holds.indexMb (48 MiB)');
      imported.push((args as { entries: unknown[] }).entries.length);
      return { version: 7 };
    });
    await control.listen(controlSocketPath(dir));
    try {
      const file = join(dir, 'recall.jsonl');
      const lines = Array.from({ length: 6_000 }, (_, i) => JSON.stringify({ gtin: GTIN, lot: `L${i}` }));
      await writeFile(file, `${lines.join('\n')}\n`);
      expect(await cli(['import', file])).toEqual({
        status: 1,
        stdout: '',
        stderr:
          'readpoint holds: the hold index would take 64 MiB, more than holds.indexMb (48 MiB) (the first 5000 ' +
          'of 6000 entries were imported: local hold list at version 7)\n',
      });
      expect(imported).toEqual([5_000]);
    } finally {
      await control.close();
    }
  });
});
