/**
 * Hold alerts of units read together: their entries are read from the store at once, in
 * whatever order the reads finish, and the alerts are recorded in the order the units were read.
 * The index, book and recorder are stand-ins here so the test decides when each read finishes;
 * holds-feature.test.ts runs the same alerts on the real index, store and recorder.
 */
import { describe, expect, it, vi } from 'vitest';
import { topics } from '../../../../daemon/contract/topics.js';
import type { UnitIdentity } from '../../../../daemon/identity/identity.js';
import type { HoldAlertListeners } from '../../../../daemon/inventory/holds/hold-alert-listeners.js';
import { HoldAlerts } from '../../../../daemon/inventory/holds/hold-alerts.js';
import type { HoldBook } from '../../../../daemon/inventory/holds/hold-book.js';
import type { HoldEntry } from '../../../../daemon/inventory/holds/hold-entry.js';
import type { HoldHit, HoldIndex } from '../../../../daemon/inventory/holds/hold-index.js';
import type { HoldSignals } from '../../../../daemon/inventory/holds/hold-signal.js';
import type { NumberedEvent } from '../../../../daemon/inventory/observers.js';
import { silentLogger } from '../../../../daemon/log.js';
import { Recorder } from '../../../../daemon/recorder.js';
import { MemoryOutbox } from '../../../support/memory-outbox.js';

const GTIN = '09506000134352';
const keyOf = (serial: string) => `u|${GTIN}|${serial}`;

/** A read from the store that the test finishes, with an entry or an error. */
interface PendingGet {
  readonly name: string;
  resolve(entry: HoldEntry | undefined): void;
  reject(err: Error): void;
}

function standIns() {
  const gets: PendingGet[] = [];
  const index = {
    size: 1,
    lookup(identity: UnitIdentity, _now: number, collect: (hit: HoldHit) => void) {
      collect({ list: 'local', kind: 'unit', key: keyOf(identity.serial!) });
    },
  } as unknown as HoldIndex;
  const book = {
    get: (_list: string, name: string) =>
      new Promise<HoldEntry | undefined>((resolve, reject) => gets.push({ name, resolve, reject })),
  } as unknown as HoldBook;
  const fired: string[] = [];
  const signals = { fire: (_point: string, unit: string) => fired.push(unit) } as unknown as HoldSignals;
  const notices: number[] = [];
  const listeners = { notify: (n: { eventSequence: number }) => notices.push(n.eventSequence) };
  return {
    gets,
    index,
    book,
    signals,
    fired,
    notices,
    listeners: listeners as unknown as HoldAlertListeners,
  };
}

function sighted(seq: number, serial: string): NumberedEvent {
  const uri = `https://id.gs1.org/01/${GTIN}/21/${serial}`;
  return {
    seq,
    eventId: `urn:uuid:00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    topic: 'readpoint/v1/dc/gw/events/dock-1',
    sighting: {
      identity: { source: 'gs1-element-string', scheme: 'sgtin', uri, gtin: GTIN, serial } as UnitIdentity,
      readerId: 'gun',
      readPointId: 'dock-1',
      firstSeen: 1_800_000_000_000 + seq,
      lastSeen: 1_800_000_000_000 + seq,
      readCount: 1,
    },
  };
}

const entryOf = (serial: string): HoldEntry => ({
  kind: 'unit',
  key: keyOf(serial),
  gtin: GTIN,
  unit: serial,
  reason: 'quality',
});

function alertsFor(s: ReturnType<typeof standIns>, recorder: Recorder) {
  return new HoldAlerts(
    s.index,
    s.book,
    recorder,
    topics('readpoint/v1', 'dc', 'gw'),
    s.signals,
    { site: 'dc', gatewayId: 'gw', alertIntervalMs: 60_000, versionOf: () => 1, listeners: s.listeners },
    silentLogger(),
  );
}

describe('hold alerts of units read together', () => {
  it('are recorded in read order whichever entry is read first, a failed read costing only its own alert', async () => {
    const s = standIns();
    const outbox = new MemoryOutbox();
    const recorder = new Recorder(outbox, { batchMax: 64, retryMs: 10 }, silentLogger());
    const alerts = alertsFor(s, recorder);
    ['A1', 'B2', 'C3', 'D4'].forEach((serial, i) => {
      alerts.eventNumbered(sighted(100 + i, serial));
    });
    // Every signal fired at the index's match, before any entry was read; the four reads at once.
    expect(s.fired.map((u) => u.slice(-2))).toEqual(['A1', 'B2', 'C3', 'D4']);
    expect(s.gets.map((g) => g.name)).toEqual(['A1', 'B2', 'C3', 'D4'].map(keyOf));
    // The last read first, then the second (which fails), the third, the first.
    s.gets[3]!.resolve(entryOf('D4'));
    s.gets[1]!.reject(new Error('IO error: read failed'));
    s.gets[2]!.resolve(entryOf('C3'));
    await new Promise((r) => setImmediate(r));
    expect(outbox.entries.size).toBe(0); // nothing recorded ahead of the first unit's alert
    s.gets[0]!.resolve(entryOf('A1'));
    await vi.waitFor(() => expect(s.notices).toHaveLength(3));
    const recorded = [...outbox.entries.values()].map((e) => JSON.parse(e.payload as string));
    expect(recorded.map((a) => [a.serial, a.eventSequence, a.sequence])).toEqual([
      ['A1', 100, 1],
      ['C3', 102, 2],
      ['D4', 103, 3],
    ]);
    expect(s.notices).toEqual([100, 102, 103]);
    expect(alerts.counts).toEqual({ hits: 4, alerts: 3, heldBack: 0, failures: 1 });
  });

  it('wait for each alert to be handed to the recorder, not for it to be stored', async () => {
    const s = standIns();
    const handed: string[] = [];
    const stored: (() => void)[] = [];
    const recorder = {
      recordAll(events: { build: (seq: number) => string }[]) {
        handed.push(JSON.parse(events[0]!.build(handed.length + 1)).serial);
        return new Promise((resolve) => stored.push(() => resolve({ stored: 1, refused: 0 })));
      },
    } as unknown as Recorder;
    const alerts = alertsFor(s, recorder);
    alerts.eventNumbered(sighted(7, 'A1'));
    alerts.eventNumbered(sighted(8, 'B2'));
    for (const [i, g] of s.gets.entries()) g.resolve(entryOf(['A1', 'B2'][i]!));
    // Both handed over while the first is still unwritten: they can share a group commit.
    await vi.waitFor(() => expect(handed).toEqual(['A1', 'B2']));
    expect(s.notices).toEqual([]);
    for (const done of stored) done();
    await vi.waitFor(() => expect(s.notices).toEqual([7, 8]));
    expect(alerts.counts.alerts).toBe(2);
  });
});
