/** How `readpoint outbox stats` shows an outbox: lines for a technician, or one JSON object. */
import type { OutboxSummary } from '../outbox/inspect.js';

/** The summary as one JSON object: times as ISO 8601 with their age in seconds at `now`. */
export function summaryJson(s: OutboxSummary, now: number): object {
  const age = (at: number) => Math.max(0, Math.round((now - at) / 100) / 10);
  const ranges = s.drops.ranges;
  return {
    dir: s.dir,
    depth: s.depth,
    bytes: s.bytes,
    diskBytes: s.diskBytes,
    ...(s.firstSeq !== undefined ? { firstSeq: s.firstSeq, lastSeq: s.lastSeq } : {}),
    highestSeq: s.highestSeq,
    ...(s.oldestAt !== undefined
      ? { oldestAt: new Date(s.oldestAt).toISOString(), oldestAgeS: age(s.oldestAt) }
      : {}),
    ...(s.newestAt !== undefined
      ? { newestAt: new Date(s.newestAt).toISOString(), newestAgeS: age(s.newestAt) }
      : {}),
    readPoints: s.readPoints,
    drops: {
      total: s.drops.total,
      unannounced: s.drops.unannounced,
      ...(ranges.length > 0 ? { firstSeq: ranges[0]!.from, lastSeq: ranges.at(-1)!.to } : {}),
      ranges: ranges.map((r) => ({
        from: r.from,
        to: r.to,
        fromAt: new Date(r.fromAt).toISOString(),
        toAt: new Date(r.toAt).toISOString(),
      })),
    },
    quarantined: s.quarantined,
    damaged: s.damaged,
    ...(s.damaged > 0 ? { damagedKeys: s.damagedKeys } : {}),
  };
}

/** The summary as aligned lines, one figure per line. */
export function summaryLines(s: OutboxSummary, now: number): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(20)}${value}`;
  const when = (at: number) => `${new Date(at).toISOString()} (${ago(now - at)})`;
  const lines = [`outbox ${s.dir} (read from a snapshot; the store was not changed)`];
  if (s.depth === 0) {
    lines.push(row('undelivered events', '0 (nothing waits: every event was delivered or dropped)'));
  } else {
    lines.push(
      row('undelivered events', `${s.depth}, ${size(s.bytes)} as counted against outbox.maxBytes`),
      row('sequence numbers', `${s.firstSeq}..${s.lastSeq}`),
      row('oldest accepted', when(s.oldestAt!)),
      row('newest accepted', when(s.newestAt!)),
      row(
        'per read point',
        Object.entries(s.readPoints)
          .map(([point, n]) => `${printable(point)} ${n}`)
          .join(', '),
      ),
    );
  }
  lines.push(
    row('highest sequence', `${s.highestSeq} (the next event gets a higher number)`),
    row('on disk', size(s.diskBytes)),
  );
  const { total, unannounced, ranges } = s.drops;
  let dropped = `${total} over the outbox's life`;
  if (unannounced > 0) {
    const span = ranges.length === 1 ? 'seq' : `${ranges.length} ranges, seq`;
    dropped += `; ${unannounced} not yet announced upstream (${span} ${ranges[0]!.from}..${ranges.at(-1)!.to})`;
  } else if (total > 0) dropped += '; all announced upstream';
  lines.push(row('dropped', dropped));
  lines.push(row('quarantined', `${s.quarantined} record(s) set aside as undecodable (never delivered)`));
  if (s.damaged > 0)
    lines.push(
      row(
        'damaged',
        `${s.damaged} event record(s) cannot be decoded (${s.damagedKeys.join(', ')}${s.damaged > s.damagedKeys.length ? ', ...' : ''}); the daemon sets them aside when it reaches them`,
      ),
    );
  return lines;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} = ${bytes} bytes`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h ago`;
}

/** A name from the store, safe to print on a terminal. */
const printable = (text: string) => (/^[\x21-\x7e]+$/.test(text) ? text : JSON.stringify(text));
