/**
 * Where a pack station's cases are kept across a restart: its open case and its recent closed
 * cases, in the inventory store's `packing` part (`open!<station>`, `closed!<station>`).
 *
 * A state is saved only once the AggregationEvents its change made are durable in the outbox: a
 * crash in between finds the case still open after the restart, and its next close repeats the
 * ADD (a repeated ADD is harmless, and a timeout close repeats it with the same eventID); a case
 * is never forgotten with its event lost.
 */
import type { InventoryPart } from '../inventory-store.js';
import type { ClosedCase, OpenCase, PackStation } from './pack-station.js';

/** A saved state: what the station had at one change. */
export interface SavedStation {
  readonly open?: { parent: string; openedAt: number; lastScanAt: number; children: string[] };
  /** Absent when the recent cases did not change (they change only with an event). */
  readonly recent?: { parent: string; children: string[] }[];
}

export function snapshot(station: PackStation, withRecent: boolean): SavedStation {
  const { open } = station;
  return {
    ...(open
      ? {
          open: {
            parent: open.parent,
            openedAt: open.openedAt,
            lastScanAt: open.lastScanAt,
            children: [...open.children],
          },
        }
      : {}),
    ...(withRecent
      ? { recent: station.recent.map((c) => ({ parent: c.parent, children: [...c.children] })) }
      : {}),
  };
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 4096;
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTexts = (v: unknown, max: number): v is string[] =>
  Array.isArray(v) && v.length <= max && v.every(isText);

/** An open case read back, or undefined when the record is not one (a damaged store). */
export function openCaseOf(value: unknown, maxChildren: number): OpenCase | undefined {
  const o = value as Record<string, unknown> | null;
  if (!o || !isText(o.parent) || !isTime(o.openedAt) || !isTime(o.lastScanAt)) return undefined;
  if (!isTexts(o.children, maxChildren)) return undefined;
  return { parent: o.parent, openedAt: o.openedAt, lastScanAt: o.lastScanAt, children: new Set(o.children) };
}

/** Closed cases read back (a damaged one is left out), newest first, at most `keep`. */
export function closedCasesOf(value: unknown, keep: number, maxChildren: number): ClosedCase[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((c) => c && isText(c.parent) && isTexts(c.children, maxChildren))
    .slice(0, keep)
    .map((c) => ({ parent: c.parent as string, children: new Set(c.children as string[]) }));
}

export class StationStore {
  /** Saves in the order asked, each after the events of its change are durable. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly part: InventoryPart,
    private readonly stationId: string,
  ) {}

  /** Reads the station's saved state into it; what cannot be read back is reported, not thrown. */
  async load(station: PackStation, maxChildren: number, keep: number): Promise<string[]> {
    const problems: string[] = [];
    const [open, closed] = await this.part.getMany([`open!${this.stationId}`, `closed!${this.stationId}`]);
    if (open !== undefined) {
      station.open = openCaseOf(parse(open), maxChildren);
      if (!station.open) problems.push('the saved open case could not be read back');
    }
    if (closed !== undefined) station.recent = closedCasesOf(parse(closed), keep, maxChildren);
    return problems;
  }

  /**
   * Saves `state` once `durable` resolves true; when it resolves false (the events were not
   * stored) this state is skipped and the last one saved stays.
   */
  save(state: SavedStation, durable: Promise<boolean>): Promise<void> {
    const write = async () => {
      if (!(await durable)) return;
      const batch = this.part.batch();
      if (state.open) batch.put(`open!${this.stationId}`, JSON.stringify(state.open));
      else batch.del(`open!${this.stationId}`);
      if (state.recent) batch.put(`closed!${this.stationId}`, JSON.stringify(state.recent));
      await batch.write();
    };
    const next = this.chain.then(write);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every save asked so far is done. */
  settled(): Promise<void> {
    return this.chain;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
