/**
 * A command reading the inventory store of a stopped daemon (`readpoint context show`) leaves it
 * as it was: LevelDB cannot open a store without writing to it, and a command run as root would
 * leave root's files there that the daemon's user then cannot open (the daemon would not start).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contextCommand } from '../../../daemon/cli/context.js';
import { InventoryInUseError, InventorySnapshot } from '../../../daemon/inventory/inventory-snapshot.js';
import { InventoryStore } from '../../../daemon/inventory/inventory-store.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every file of the data dir, at any depth, with its bytes. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out[name] = readFileSync(path).toString('base64');
  }
  return out;
}

const ACTIVE = {
  bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:0614141000005:PO-77' }],
  since: '2026-12-07T06:00:00.000Z',
  by: 'cli',
};

async function stoppedGateway(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-inv-snap-'));
  dirs.push(dir);
  const store = new InventoryStore(dir);
  await store.open();
  await store.part('context').put('door-1', JSON.stringify({ active: ACTIVE }));
  await store.part('packing').put('head!pack-1', '{}');
  await store.close();
  return dir;
}

describe('the inventory store of a stopped daemon', () => {
  it('is read by `readpoint context show` without a byte of it changed', async () => {
    const dir = await stoppedGateway();
    const config = join(dir, 'readpoint.yaml');
    writeFileSync(
      config,
      `gateway: { id: gw, site: s }
dataDir: ${JSON.stringify(join(dir, 'data'))}
readPoints:
  - { id: door-1, context: { scanners: [gun] } }
readers:
  - { id: gun, driver: serial-line, path: /dev/null, readPoint: door-1 }
`,
    );
    // The store lives in the configured data dir.
    const data = join(dir, 'data');
    const store = new InventoryStore(data);
    await store.open();
    await store.part('context').put('door-1', JSON.stringify({ active: ACTIVE }));
    await store.close();
    const before = files(data);

    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    expect(await contextCommand('show', undefined, { config, json: true })).toBe(0);
    expect(JSON.parse(out)).toEqual({ 'door-1': ACTIVE });
    expect(files(data)).toEqual(before);
  });

  it('is copied, read and the copy removed; none is undefined; one a process holds is refused', async () => {
    const dir = await stoppedGateway();
    const before = files(dir);
    const snapshot = await InventorySnapshot.open(dir);
    const read: [string, string][] = [];
    for await (const entry of snapshot!.part('context').iterator()) read.push(entry);
    await snapshot!.close();
    expect(read).toEqual([['door-1', JSON.stringify({ active: ACTIVE })]]);
    expect(files(dir)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['inventory']);

    const empty = mkdtempSync(join(tmpdir(), 'rp-inv-snap-'));
    dirs.push(empty);
    expect(await InventorySnapshot.open(empty)).toBeUndefined();

    const running = new InventoryStore(dir);
    await running.open();
    try {
      await expect(InventorySnapshot.open(dir)).rejects.toBeInstanceOf(InventoryInUseError);
    } finally {
      await running.close();
    }
  });
});
