/**
 * What two configurations make of one capture, side by side: the events each emits (by
 * transition, passages by direction), the rejects by code, the reads under the RSSI floor, and the
 * events only one of them emits. Two events are the same when they say the same thing: the same
 * unit, read point, transition, direction and time (their sequence numbers, read counts and
 * event IDs aside). Pure: no I/O.
 */
import type { PipelineCounters } from '../pipeline.js';
import type { ReplayedEvent } from './replay.js';

/** Events one run keeps for the comparison, at most (a capture of days is cut down first). */
export const MAX_COMPARED_EVENTS = 1_000_000;

type Json = Record<string, unknown>;

/** What one configuration made of the capture. */
export class ReplayTally {
  events = 0;
  /** `arrival`, `departure`, `presence`, `passage inbound`, ... -> count. */
  readonly byKind = new Map<string, number>();
  /** The events by what they say (sameness key), in the order emitted. */
  readonly byKey = new Map<string, Json[]>();
  rejects = new Map<string, number>();
  counters: PipelineCounters | undefined;

  add(event: ReplayedEvent): void {
    if (++this.events > MAX_COMPARED_EVENTS)
      throw new Error(
        `more than ${MAX_COMPARED_EVENTS} events to compare: replay a shorter capture (or each config on its own)`,
      );
    const e = JSON.parse(event.payload) as Json;
    const kind = kindOf(e);
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    const key = sameness(e);
    const list = this.byKey.get(key);
    if (list) list.push(e);
    else this.byKey.set(key, [e]);
  }

  /** Takes the pipeline's counts at the end of the run. */
  close(counters: PipelineCounters, rejectCodes: ReadonlyMap<string, number>): void {
    this.counters = { ...counters };
    this.rejects = new Map(rejectCodes);
  }
}

/** `passage inbound`, or the transition alone. */
export function kindOf(e: Json): string {
  const t = String(e['rp:transition'] ?? '?');
  return e['rp:direction'] === undefined ? t : `${t} ${String(e['rp:direction'])}`;
}

function sameness(e: Json): string {
  const epc = Array.isArray(e.epcList) ? e.epcList.join(' ') : '';
  return `${String(e.eventTime)}\n${String(e['rp:readPoint'])}\n${kindOf(e)}\n${epc}`;
}

export interface CompareRow {
  readonly what: string;
  readonly a: number;
  readonly b: number;
}

export interface Comparison {
  /** Counts side by side; rows that differ have `a !== b`. */
  readonly rows: readonly CompareRow[];
  /** Events only the first / only the second configuration emits, by event time. */
  readonly onlyA: readonly Json[];
  readonly onlyB: readonly Json[];
}

export function compare(a: ReplayTally, b: ReplayTally): Comparison {
  const rows: CompareRow[] = [{ what: 'events', a: a.events, b: b.events }];
  for (const kind of union(a.byKind, b.byKind))
    rows.push({ what: `  ${kind}`, a: a.byKind.get(kind) ?? 0, b: b.byKind.get(kind) ?? 0 });
  const count = (t: ReplayTally, k: keyof PipelineCounters) => t.counters?.[k] ?? 0;
  rows.push({ what: 'reads', a: count(a, 'reads'), b: count(b, 'reads') });
  rows.push({ what: 'reads under the RSSI floor', a: count(a, 'belowFloor'), b: count(b, 'belowFloor') });
  rows.push({ what: 'rejects', a: count(a, 'rejected'), b: count(b, 'rejected') });
  for (const code of union(a.rejects, b.rejects))
    rows.push({ what: `  ${code}`, a: a.rejects.get(code) ?? 0, b: b.rejects.get(code) ?? 0 });
  return { rows, onlyA: only(a, b), onlyB: only(b, a) };
}

/** The events of `x` beyond those `y` has with the same key, by event time. */
function only(x: ReplayTally, y: ReplayTally): Json[] {
  const out: Json[] = [];
  for (const [key, list] of x.byKey) {
    const same = y.byKey.get(key)?.length ?? 0;
    for (let i = same; i < list.length; i++) out.push(list[i]!);
  }
  const time = (e: Json) => Date.parse(String(e.eventTime));
  return out.sort((p, q) => time(p) - time(q));
}

function union(x: ReadonlyMap<string, number>, y: ReadonlyMap<string, number>): string[] {
  return [...new Set([...x.keys(), ...y.keys()])].sort();
}
