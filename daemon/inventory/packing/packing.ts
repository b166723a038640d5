/**
 * Packing at the edge: the read points in `pack` mode are pack stations. The packer scans a case
 * or pallet SSCC, then its units; the close code, the next SSCC or a quiet spell (closeAfterS)
 * closes the case with an EPCIS AggregationEvent ADD on `<base>/aggregations/<readPoint>`; the
 * remove code then a unit takes it out of a recent case (DELETE). The events are recorded
 * through the recorder, durable and ordered like events; an open case survives a restart.
 *
 * The station learns its scans through the scan commands, where every barcode is offered in the
 * order read and before its event is recorded: codes are taken (no event), SSCCs and units are
 * noted and left to make their ObjectEvents as anywhere else (the case and the units were seen
 * here). Event observers are told later, when an event is numbered, which may be after a close
 * code read just behind it: a close could then miss the last unit.
 */
import type { ReaderConfig } from '../../../config/schema.js';
import { decodeRead } from '../../identity/decode.js';
import type { Logger } from '../../log.js';
import { RepeatLimiter } from '../../log-limit.js';
import { readPointSettings } from '../../read-points.js';
import type { InventoryDeps, InventoryFeature } from '../features.js';
import type { ScanCommand } from '../scan-commands.js';
import { AggregationWriter } from './aggregation-event.js';
import { type Outcome, PackStation } from './pack-station.js';
import { StationStore } from './station-store.js';

/** Longest wait at stop for the last states to be saved (their events may wait on the outbox). */
const STOP_WAIT_MS = 5000;

interface Station {
  readonly station: PackStation;
  readonly store: StationStore;
  readonly writer: AggregationWriter;
  readonly topic: string;
  readonly closeCode: string;
  readonly removeCode: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Starts the pack stations of the configuration; undefined when there are none. */
export async function startPacking(deps: InventoryDeps): Promise<InventoryFeature | undefined> {
  const packing = new Packing(deps);
  if (packing.size === 0) return undefined;
  await packing.start();
  return packing;
}

export class Packing implements InventoryFeature {
  readonly name = 'packing';
  private readonly stations = new Map<string, Station>();
  private readonly readers: ReadonlyMap<string, ReaderConfig>;
  private readonly log: Logger;
  private readonly notes: RepeatLimiter;
  private notRecorded = 0;
  private removeHandler: (() => void) | undefined;

  constructor(private readonly deps: InventoryDeps) {
    this.log = deps.log.child({ feature: 'packing' });
    this.notes = new RepeatLimiter(this.log, { intervalMs: 10_000 });
    this.readers = new Map(deps.config.readers.map((r) => [r.id, r]));
    const settings = readPointSettings(deps.config, deps.topics);
    const part = deps.store.part('packing');
    for (const point of deps.config.readPoints) {
      if (point.mode !== 'pack' || !point.pack) continue;
      const { pack } = point;
      this.stations.set(point.id, {
        station: new PackStation(point.id, {
          closeAfterMs: pack.closeAfterS * 1000,
          maxChildren: pack.maxChildren,
          keepClosed: pack.keepClosed,
        }),
        store: new StationStore(part, point.id),
        writer: new AggregationWriter(settings.get(point.id)!.where, point.id),
        topic: deps.topics.aggregations(point.id),
        closeCode: pack.closeCode,
        removeCode: pack.removeCode,
        timer: undefined,
      });
    }
  }

  get size(): number {
    return this.stations.size;
  }

  /** Reads back the open cases (one whose time ran out while stopped closes now), then takes scans. */
  async start(): Promise<void> {
    for (const [id, s] of this.stations) {
      const { pack } = this.deps.config.readPoints.find((p) => p.id === id)!;
      const problems = await s.store.load(s.station, pack!.maxChildren, pack!.keepClosed);
      for (const problem of problems) this.log.warn({ readPoint: id }, problem);
      if (s.station.open)
        this.log.info(
          { readPoint: id, parent: s.station.open.parent, children: s.station.open.children.size },
          'open case taken up again',
        );
      this.arm(s);
    }
    this.removeHandler = this.deps.scanCommands.add(this.take);
  }

  async stop(): Promise<void> {
    this.removeHandler?.();
    for (const s of this.stations.values()) clearTimeout(s.timer);
    this.notes.close();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_WAIT_MS);
    });
    const saved = Promise.all([...this.stations.values()].map((s) => s.store.settled())).then(() => true);
    const done = await Promise.race([saved, late]);
    clearTimeout(timer);
    if (!done) this.log.warn('pack stations not all saved at stop: their last change is taken up again');
  }

  health(): Record<string, unknown> {
    const all = [...this.stations.values()].map((s) => s.station);
    const sum = (f: (s: PackStation) => number) => all.reduce((n, s) => n + f(s), 0);
    const c = (s: PackStation) => s.counters;
    return {
      stations: all.length,
      openCases: sum((s) => (s.open ? 1 : 0)),
      children: sum((s) => s.open?.children.size ?? 0),
      closed: {
        closeCode: sum((s) => c(s).closed['close-code']),
        nextCase: sum((s) => c(s).closed['next-case']),
        timeout: sum((s) => c(s).closed.timeout),
      },
      emptyCases: sum((s) => c(s).emptyCases),
      removed: sum((s) => c(s).removed),
      removedBeforeClose: sum((s) => c(s).removedBeforeClose),
      duplicates: sum((s) => c(s).duplicates),
      unitsWithoutCase: sum((s) => c(s).unitsWithoutCase),
      refusedFull: sum((s) => c(s).refusedFull),
      closeWithoutCase: sum((s) => c(s).closeWithoutCase),
      removeUnknown: sum((s) => c(s).removeUnknown),
      notRecorded: this.notRecorded,
      open: Object.fromEntries(
        all.flatMap((s) =>
          s.open
            ? [
                [
                  s.id,
                  {
                    parent: s.open.parent,
                    children: s.open.children.size,
                    openedAt: new Date(s.open.openedAt).toISOString(),
                  },
                ],
              ]
            : [],
        ),
      ),
    };
  }

  /** The scan commands' handler: on the read path, synchronous, never throws. */
  private readonly take = (scan: ScanCommand): boolean => {
    const s = this.stations.get(scan.readPointId);
    if (!s) return false;
    try {
      const text = scan.data.toString('latin1');
      if (isCode(text, s.closeCode)) {
        this.apply(s, s.station.closeCode(scan.at, scan.readerId));
        return true;
      }
      if (s.removeCode !== undefined && isCode(text, s.removeCode)) {
        this.apply(s, s.station.removeCode(scan.at));
        return true;
      }
      this.note(s, scan);
    } catch (err) {
      this.log.error({ err, readPoint: scan.readPointId }, 'pack station failed on a scan');
    }
    return false;
  };

  /** An SSCC or a unit, decoded as the reader's pipeline will decode it; a reject is its to report. */
  private note(s: Station, scan: ScanCommand): void {
    const reader = this.readers.get(scan.readerId);
    if (!reader) return;
    for (const data of codesOf(scan.data, reader.multiReadSeparator)) {
      const decoded = decodeRead({ kind: 'barcode', data }, reader.format);
      if (!decoded.ok) continue;
      const { identity } = decoded;
      this.apply(
        s,
        identity.scheme === 'sscc'
          ? s.station.scanCase(identity.uri, scan.at, scan.readerId)
          : s.station.scanUnit(identity.uri, scan.at, scan.readerId),
      );
    }
  }

  /** Records the outcome's events now (in read order), saves the state after them, re-arms the timer. */
  private apply(s: Station, outcome: Outcome): void {
    const { station } = s;
    if (outcome.note) {
      const { level, message, unit } = outcome.note;
      this.notes.log(`${station.id}:${message}`, level, { readPoint: station.id, unit }, message);
    }
    if (outcome.changes.length > 0) {
      for (const change of outcome.changes)
        this.log.info(
          {
            readPoint: station.id,
            action: change.action,
            parent: change.parent,
            children: change.action === 'ADD' ? change.children.length : 1,
          },
          change.action === 'ADD' ? 'case closed' : 'unit taken out of a case',
        );
    }
    if (outcome.changes.length > 0 || outcome.saves.length > 0) {
      const durable =
        outcome.changes.length === 0
          ? Promise.resolve(true)
          : this.deps.recorder
              .recordAll(
                outcome.changes.map((c) => ({ topic: s.topic, build: (seq) => s.writer.text(c, seq) })),
              )
              .then(
                () => true,
                (err: unknown) => {
                  this.notRecorded += outcome.changes.length;
                  this.log.error({ err, readPoint: station.id }, 'aggregation event not recorded');
                  return false;
                },
              );
      s.store
        .save(outcome.saves, durable)
        .catch((err: unknown) => this.log.error({ err, readPoint: station.id }, 'pack station not saved'));
    }
    this.arm(s);
  }

  /** The open case closes by itself at its deadline. */
  private arm(s: Station): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    const deadline = s.station.deadline;
    if (deadline === undefined) return;
    s.timer = setTimeout(
      () => {
        s.timer = undefined;
        try {
          this.apply(s, s.station.timeout(Date.now()));
        } catch (err) {
          this.log.error({ err, readPoint: s.station.id }, 'pack station failed to close a case');
        }
      },
      Math.max(0, deadline - Date.now()),
    );
    s.timer.unref();
  }
}

/** The code itself, or with the AIM symbology identifier a scanner may send before it (`]C0`). */
function isCode(text: string, code: string): boolean {
  if (text === code) return true;
  return text.length === code.length + 3 && text.charCodeAt(0) === 0x5d && text.endsWith(code);
}

/** The codes of one read: split as the pipeline splits a multi-read. */
function codesOf(data: Buffer, separator: string | undefined): Buffer[] {
  if (separator === undefined) return [data];
  const sep = Buffer.from(separator, 'latin1');
  const parts: Buffer[] = [];
  for (let from = 0; from <= data.length; ) {
    let to = data.indexOf(sep, from);
    if (to < 0) to = data.length;
    if (to > from) parts.push(data.subarray(from, to));
    from = to + sep.length;
  }
  return parts;
}
