/**
 * The last count of each read point, kept in the inventory store (part `counts`, one record per
 * read point) so the next count says what appeared and went missing also after a restart.
 */
import type { InventoryPart } from '../inventory-store.js';

/** A count as the health report gives it; what is kept in memory between counts. */
export interface CountSummary {
  /** Wall-clock ms of the count. */
  readonly at: number;
  readonly units: number;
  readonly appeared: number;
  readonly missing: number;
  readonly parts: number;
  readonly truncated: boolean;
}

/** A count as stored: its units are read from the store only when the next count is taken. */
export interface LastCount extends Omit<CountSummary, 'units'> {
  /** The units it listed, sorted. */
  readonly units: readonly string[];
}

export const summaryOf = (count: LastCount): CountSummary => ({ ...count, units: count.units.length });

/** A stored record read back: anything else than a count's shape is no previous count. */
function parse(text: string): LastCount | undefined {
  try {
    const v = JSON.parse(text) as Partial<LastCount>;
    if (
      typeof v.at !== 'number' ||
      !Array.isArray(v.units) ||
      !v.units.every((u) => typeof u === 'string') ||
      typeof v.appeared !== 'number' ||
      typeof v.missing !== 'number' ||
      typeof v.parts !== 'number' ||
      typeof v.truncated !== 'boolean'
    )
      return undefined;
    // Sorted again: the next count's comparison walks both lists in order.
    return { ...(v as LastCount), units: [...v.units].sort() };
  } catch {
    return undefined;
  }
}

export class LastCounts {
  constructor(private readonly part: InventoryPart) {}

  /** The read point's last count; undefined when it has none (or its record is unreadable). */
  async get(readPointId: string): Promise<LastCount | undefined> {
    const text = await this.part.get(readPointId);
    return text === undefined ? undefined : parse(text);
  }

  async put(readPointId: string, count: LastCount): Promise<void> {
    await this.part.put(readPointId, JSON.stringify(count));
  }
}
