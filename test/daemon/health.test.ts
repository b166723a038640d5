/** The health payload: what it says about the outbox, checked against its JSON Schema. */
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../daemon/dispatcher.js';
import { healthSnapshot } from '../../daemon/health.js';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';
import type { Outbox } from '../../daemon/outbox/outbox.js';
import type { Driver, ReaderStatus } from '../../drivers/driver.js';
import { FakeUplink } from '../support/fake-uplink.js';
import { MemoryOutbox } from '../support/memory-outbox.js';
import { healthErrors } from '../support/schemas.js';
import { baseOptions, put, recordingStore, tempDirs } from './outbox/helpers.js';

const dir = tempDirs();

function snapshot(outbox: Outbox, now: number) {
  const uplink = new FakeUplink(10);
  return healthSnapshot(
    {
      gatewayId: 'gw',
      site: 'site',
      startedAt: now - 60_000,
      drivers: () => [],
      pipelines: () => [],
      outbox,
      uplink,
      dispatcher: new Dispatcher(new MemoryOutbox(), uplink, silentLogger(), 10),
    },
    now,
  );
}

describe('health', () => {
  it('lists each reader with its rate, disconnects and rejects by code, valid against the schema', () => {
    const now = 2_000_000;
    const uplink = new FakeUplink(10);
    const status: ReaderStatus = {
      id: 'scanner-1',
      driver: 'serial-line',
      state: 'connected',
      reads: 9,
      rejects: 1, // the driver counts only the frames it rejects itself (overlong)
      reconnects: 1,
      lastReadAt: now - 1500,
      discardedOnStop: 0,
    };
    const h = healthSnapshot(
      {
        gatewayId: 'gw',
        site: 'site',
        startedAt: now - 60_000,
        drivers: () => [{ status: () => status } as unknown as Driver],
        pipelines: () => [],
        outbox: new MemoryOutbox(),
        uplink,
        dispatcher: { stats: () => ({ published: 6 }) },
        readerExtras: (id) =>
          id === 'scanner-1'
            ? {
                reads: 9,
                readsPerMin: 4.25,
                errors: 1,
                rejects: 3,
                rejectsByCode: { 'check-digit': 2, overlong: 1 },
              }
            : undefined,
        nextHeartbeat: () => now + 30_000,
      },
      now,
    );
    expect(healthErrors(h)).toEqual([]);
    expect([h.time, h.nextHeartbeatAt]).toEqual([
      new Date(now).toISOString(),
      new Date(now + 30_000).toISOString(),
    ]);
    expect(h.readers).toEqual([
      {
        id: 'scanner-1',
        driver: 'serial-line',
        state: 'connected',
        connected: true,
        reads: 9,
        rejects: 3,
        reconnects: 1,
        readsPerMin: 4.3,
        errors: 1,
        rejectsByCode: { 'check-digit': 2, overlong: 1 },
        lastReadAgeS: 1.5,
      },
    ]);
  });

  it('reports drops, the policy, the backlog, rates, the runway and a failing store', async () => {
    let now = 1_000_000;
    const store = recordingStore();
    const o = new LevelOutbox(dir(), { ...baseOptions, maxEvents: 10 }, silentLogger(), {
      now: () => now,
      writeBatch: store.writeBatch,
      retry: { minMs: 5, maxMs: 20 },
    });
    await o.open();
    await put(o, 4);
    now += 2_000;
    for (let i = 0; i < 8; i++) await put(o, 1); // 12 in all: 1 and 2 dropped
    store.state.failing = Number.POSITIVE_INFINITY;
    const held = put(o, 2);
    await expect.poll(() => o.stats().writeError).toBeDefined();
    now += 3_000;
    const h = snapshot(o, now);
    expect(healthErrors(h)).toEqual([]);
    expect(h.outbox).toEqual({
      depth: 10,
      bytes: o.stats().bytes,
      oldestUndeliveredAgeS: 1004, // entry 3, accepted at 1003 (ms since the epoch), is the oldest left
      dropped: 2,
      firstDroppedSeq: 1,
      lastDroppedSeq: 2,
      lastSeq: 14,
      backlog: 10,
      policy: 'drop-oldest',
      appendRate: 1.6, // 8 stored in the 5 s since the first batch
      ackRate: 0,
      runwayS: 0, // full
      readingStopped: true,
      stalledS: 3,
      stalls: 1,
      held: 2,
      writeError: 'ENOSPC: no space left on device',
      unannouncedDrops: 2,
      totalDropped: 2,
      quarantined: 0,
      replaying: false,
    });
    store.state.failing = 0;
    expect(await held).toEqual([true, true]);
    const after = snapshot(o, now).outbox;
    expect(after).toMatchObject({ readingStopped: false, held: 0, dropped: 4, lastDroppedSeq: 4 });
    expect(after.writeError).toBeUndefined();
    await o.close();
  });

  it('stays valid for an outbox that reports only the basic figures', () => {
    const h = snapshot(new MemoryOutbox(), Date.now());
    expect(healthErrors(h)).toEqual([]);
    expect(h.outbox).toMatchObject({ backlog: 0, runwayS: null, readingStopped: false, totalDropped: 0 });
  });
});
