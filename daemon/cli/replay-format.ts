/**
 * `readpoint replay --compare`'s report: the counts of both configurations side by side (the
 * rows that differ marked), then the events only one of them emits, one readable line each, or
 * with `--json` one JSON document holding all of it.
 */
import type { Comparison } from '../capture/replay-compare.js';
import type { Output } from './stdout-lines.js';
import { Columns, eventCells } from './tail-format.js';

/** Events listed per side at most; the counts say how many there are. */
export const MAX_LISTED = 1000;

export async function printComparison(
  out: Output,
  c: Comparison,
  names: readonly string[],
  json: boolean,
  time: (iso: unknown) => string,
): Promise<void> {
  const [a, b] = names as [string, string];
  if (json) {
    out.write(
      JSON.stringify({
        configs: [a, b],
        counts: c.rows.map((r) => ({ what: r.what.trim(), [a]: r.a, [b]: r.b })),
        onlyA: c.onlyA.slice(0, MAX_LISTED),
        onlyB: c.onlyB.slice(0, MAX_LISTED),
      }),
    );
    return;
  }
  const width = Math.max(...c.rows.map((r) => r.what.length), 10);
  const wa = Math.max(a.length, 6);
  const wb = Math.max(b.length, 6);
  out.write(`${''.padEnd(width)}  ${a.padStart(wa)}  ${b.padStart(wb)}`);
  for (const r of c.rows)
    out.write(
      `${r.what.padEnd(width)}  ${String(r.a).padStart(wa)}  ${String(r.b).padStart(wb)}${r.a === r.b ? '' : '  *'}`,
    );
  const list = async (name: string, events: readonly Record<string, unknown>[]) => {
    out.write('');
    out.write(`only with ${name}: ${events.length} event${events.length === 1 ? '' : 's'}`);
    const columns = new Columns();
    for (const e of events.slice(0, MAX_LISTED)) {
      out.write(`  ${columns.line(eventCells(e, time))}`);
      if (out.full) await out.drained();
    }
    if (events.length > MAX_LISTED) out.write(`  ... and ${events.length - MAX_LISTED} more`);
  };
  await list(a, c.onlyA);
  await list(b, c.onlyB);
}
