/**
 * A hold list update as upstream publishes it (retained, on `<prefix>/<site>/holds` or
 * `<base>/holds`): the full list, or an increment. Every update carries a version; one whose
 * version is not above the list's is ignored, so an old retained list never replaces a newer one.
 * An increment may name the version it applies on (`base`): on another one it is ignored too,
 * and the list waits for its next full update.
 *
 *   {"version": 7, "entries": [{"gtin": "09506000134352", "lot": "L42", "reason": "recall"}]}
 *   {"version": 8, "base": 7, "add": [...], "remove": [{"gtin": "09506000134352", "lot": "L42"}]}
 */
import { type HoldEntry, parseHoldEntries } from './hold-entry.js';

export type HoldUpdate =
  | { readonly version: number; readonly entries: readonly HoldEntry[] }
  | {
      readonly version: number;
      readonly base?: number;
      readonly add: readonly HoldEntry[];
      readonly remove: readonly HoldEntry[];
    };

/** Thrown for an update that cannot be taken; the message says why (and which entry). */
export class HoldUpdateError extends Error {}

function version(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1)
    throw new HoldUpdateError(`${field} must be a positive integer`);
  return value as number;
}

function entries(value: unknown, field: string, max: number, removal = false): HoldEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new HoldUpdateError(`${field} must be an array`);
  if (value.length > max) throw new HoldUpdateError(`${field} has more than ${max} entries`);
  return parseHoldEntries(value, removal, (i, message) => new HoldUpdateError(`${field}[${i}]: ${message}`));
}

/** Checks an untrusted update (already JSON-parsed); at most `maxEntries` entries in all. */
export function parseHoldUpdate(value: unknown, maxEntries: number): HoldUpdate {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HoldUpdateError('a hold update must be a JSON object');
  const o = value as Record<string, unknown>;
  for (const field of Object.keys(o))
    if (!['version', 'entries', 'base', 'add', 'remove'].includes(field))
      throw new HoldUpdateError(`unknown field ${JSON.stringify(field.slice(0, 40))}`);
  const v = version(o.version, 'version');
  if (o.entries !== undefined) {
    if (o.add !== undefined || o.remove !== undefined || o.base !== undefined)
      throw new HoldUpdateError('a full list (entries) has no base, add or remove');
    return { version: v, entries: entries(o.entries, 'entries', maxEntries) };
  }
  if (o.add === undefined && o.remove === undefined)
    throw new HoldUpdateError('a hold update has entries (the full list) or add and/or remove');
  const add = entries(o.add, 'add', maxEntries);
  const remove = entries(o.remove, 'remove', maxEntries - add.length, true);
  if (o.base === undefined) return { version: v, add, remove };
  const base = version(o.base, 'base');
  if (base >= v) throw new HoldUpdateError('base must be below version');
  return { version: v, base, add, remove };
}

/** Whether an update applies on a list now at `current` (undefined: never updated). */
export function updateApplies(update: HoldUpdate, current: number | undefined): boolean {
  if (current !== undefined && update.version <= current) return false;
  if ('base' in update && update.base !== undefined) return update.base === current;
  return true;
}
