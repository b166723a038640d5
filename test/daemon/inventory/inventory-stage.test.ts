/**
 * The inventory stage as the gateway starts it: with a store it can open, the configured features
 * run and the control socket answers; with a store it cannot open (a file where its directory
 * should be), the features are off, health says why, and the stage still starts and stops, so the
 * gateway's reads and events go on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.js';
import { topics } from '../../../daemon/contract/topics.js';
import { askDaemon } from '../../../daemon/inventory/control-client.js';
import { InventoryStage } from '../../../daemon/inventory/inventory-stage.js';
import { ScanCommands } from '../../../daemon/inventory/scan-commands.js';
import { silentLogger } from '../../../daemon/log.js';
import { EventWriter, readPointRuntimes } from '../../../daemon/read-points.js';
import { Recorder } from '../../../daemon/recorder.js';
import { Smoother } from '../../../daemon/smoothing/smoother.js';
import { InboundLink } from '../../../daemon/uplink/inbound-link.js';
import { MemoryOutbox } from '../../support/memory-outbox.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function start(dataDir: string) {
  const config = parseConfig(
    `gateway: { id: gw-1, site: s-1 }
dataDir: ${dataDir}
holds: { upstream: false }
readPoints:
  - { id: dock-1 }
readers:
  - { id: gun, driver: serial-line, path: /dev/null, readPoint: dock-1 }
`,
    'f.yaml',
    {},
  );
  const t = topics('readpoint/v1', 's-1', 'gw-1');
  const recorder = new Recorder(new MemoryOutbox(), { batchMax: 64, retryMs: 10 }, silentLogger());
  const points = readPointRuntimes(config, t);
  return InventoryStage.start({
    config,
    topics: t,
    inbound: new InboundLink(t, silentLogger()),
    recorder,
    events: new EventWriter(points, recorder),
    smoother: new Smoother({ maxTracked: 100 }, new Map([...points].map(([id, p]) => [id, p.rules]))),
    scanCommands: new ScanCommands(),
    log: silentLogger(),
  });
}

describe('the inventory stage', () => {
  it('runs the configured features over its store and answers on the control socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-stage-'));
    dirs.push(dir);
    const stage = await start(dir);
    try {
      expect(Object.keys(stage.health())).toEqual(['holds']);
      expect(await askDaemon(dir, 'holds.list', { limit: 10 })).toMatchObject({ holds: [] });
    } finally {
      await stage.stop();
    }
  });

  it('turns the features off, says why in health, and still starts and stops, when its store cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-stage-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'inventory'), 'not a LevelDB directory');
    const stage = await start(dir);
    try {
      const health = stage.health();
      expect(Object.keys(health)).toEqual(['store']);
      expect(String(health.store?.error)).toMatch(new RegExp(`^${join(dir, 'inventory')}: `));
      await expect(askDaemon(dir, 'holds.list', {})).rejects.toThrow(/^unknown command "holds.list"/);
    } finally {
      await stage.stop();
    }
  });
});
