/**
 * `readpoint tail --dedup`: MQTT messages (events and overflow notices) in, output lines out.
 * The consumer's logic is daemon/consumer/dedup.ts; this file reads the wire format and writes
 * one line per verdict, human-readable or as JSON with a `kind`. Pure: no I/O.
 */

import { Dedup, type DedupSummary, type Report } from '../consumer/dedup.js';
import type { Range } from '../consumer/ranges.js';
import type { OverflowNotice } from '../contract/topics.js';

export interface DedupLinesOptions {
  readonly window: number;
  readonly json: boolean;
}

/** Where a message came from: `<prefix>/<site>/<gateway>/events/<readPoint>` or `.../overflow`. */
function origin(topic: string): { kind: 'events' | 'overflow'; gateway?: string } {
  const parts = topic.split('/');
  const n = parts.length;
  if (parts[n - 1] === 'overflow' && n >= 3)
    return { kind: 'overflow', gateway: `${parts[n - 3]}/${parts[n - 2]}` };
  if (parts[n - 2] === 'events' && n >= 4)
    return { kind: 'events', gateway: `${parts[n - 4]}/${parts[n - 3]}` };
  return { kind: 'events' };
}

const span = ([from, to]: Range) => (from === to ? `#${from}` : `#${from}-#${to}`);
const spans = (ranges: readonly Range[]) => ranges.map(span).join(', ');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const pad = (kind: string) => kind.padEnd(9);

type Event = Record<string, unknown>;

export class DedupLines {
  private readonly dedup: Dedup;
  private messages = 0;
  private invalid = 0;

  constructor(private readonly options: DedupLinesOptions) {
    this.dedup = new Dedup({ window: options.window });
  }

  /** The output lines for one message; `problems` gets a line for a message that is not understood. */
  message(topic: string, payload: Buffer, problems: (line: string) => void): string[] {
    this.messages++;
    const from = origin(topic);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.refuse(problems, topic, 'not JSON');
    }
    if (typeof body !== 'object' || body === null) return this.refuse(problems, topic, 'not a JSON object');
    return from.kind === 'overflow'
      ? this.overflow(topic, from.gateway, body as OverflowNotice, problems)
      : this.event(topic, from.gateway, body as Event, problems);
  }

  summary(): DedupSummary & { messages: number; invalid: number } {
    return { messages: this.messages, invalid: this.invalid, ...this.dedup.summary() };
  }

  summaryLine(): string {
    const s = this.summary();
    if (this.options.json) return JSON.stringify({ kind: 'summary', ...s });
    const missing = [
      `${s.late} arrived late`,
      `${s.explained} explained by overflow`,
      `${s.unexplained} UNEXPLAINED`,
      ...(s.forgotten > 0 ? [`${s.forgotten} forgotten (too many gaps)`] : []),
    ].join(', ');
    return [
      `${pad('summary')} ${plural(s.messages, 'message')}: ${plural(s.events, 'event')} (${s.late} late, ${s.behind} behind)`,
      `${plural(s.duplicates, 'duplicate')} dropped`,
      `${plural(s.gaps, 'gap')} (${s.missing} missing: ${missing})`,
      `${plural(s.overflowNotices, 'overflow notice')} (${s.dropped} dropped)`,
      ...(s.invalid > 0 ? [`${s.invalid} not understood`] : []),
    ].join(', ');
  }

  private refuse(problems: (line: string) => void, topic: string, why: string): string[] {
    this.invalid++;
    problems(`readpoint tail: ignored a message on ${topic}: ${why}`);
    return [];
  }

  private event(topic: string, gateway: string | undefined, event: Event, problems: (l: string) => void) {
    const seq = event['rp:sequence'];
    const id = event.eventID;
    const gw = gateway ?? event['rp:gateway'];
    if (typeof id !== 'string' || typeof gw !== 'string' || !Number.isSafeInteger(seq) || (seq as number) < 0)
      return this.refuse(problems, topic, 'not an event (no eventID, rp:gateway or rp:sequence)');
    return this.dedup.event(gw, seq as number, id).map((r) => this.render(r, topic, event));
  }

  private overflow(
    topic: string,
    gateway: string | undefined,
    n: OverflowNotice,
    problems: (l: string) => void,
  ) {
    const gw = gateway ?? (typeof n.site === 'string' ? `${n.site}/${n.gateway}` : undefined);
    const ranges: Range[] = (Array.isArray(n.ranges) ? (n.ranges as unknown[]) : [])
      .filter(
        (r): r is [number, number] =>
          Array.isArray(r) && r.length === 2 && r.every((x) => Number.isSafeInteger(x)),
      )
      .map(([a, b]) => [a, b] as const);
    if (ranges.length === 0 && Number.isSafeInteger(n.firstSeq) && Number.isSafeInteger(n.lastSeq))
      ranges.push([n.firstSeq, n.lastSeq]);
    if (!gw || ranges.length === 0) return this.refuse(problems, topic, 'not an overflow notice');
    const report = this.dedup.overflow(gw, ranges);
    if (this.options.json)
      return [JSON.stringify({ kind: 'overflow', gateway: gw, explains: report.explains, notice: n })];
    const explains = report.explains.length > 0 ? ` explains ${spans(report.explains)}` : '';
    return [
      `${pad('overflow')} ${gw} ${spans(ranges)} (${n.dropped} dropped, ${n.policy}, ${n.totalDropped} in total)${explains}`,
    ];
  }

  private render(r: Report, topic: string, event: Event): string {
    if (this.options.json) {
      switch (r.kind) {
        case 'gap':
          return JSON.stringify(r);
        case 'duplicate':
          return JSON.stringify({ kind: r.kind, gateway: r.gateway, seq: r.seq, eventID: r.eventID, topic });
        default:
          return JSON.stringify({
            kind: r.kind,
            gateway: r.gateway,
            seq: r.seq,
            eventID: r.eventID,
            ...(r.kind === 'event' && r.behind ? { behind: true } : {}),
            topic,
            event,
          });
      }
    }
    switch (r.kind) {
      case 'gap':
        return `${pad('gap')} ${r.gateway} ${span([r.from, r.to])} (${r.missing} missing) ${r.explained ? 'explained by overflow' : 'UNEXPLAINED'}`;
      case 'duplicate':
        return `${pad('duplicate')} ${r.gateway} #${r.seq} ${r.eventID} (dropped)`;
      default: {
        const epcs = Array.isArray(event.epcList) ? event.epcList.join(' ') : '';
        const what = `${r.gateway} #${r.seq} ${String(event['rp:readPoint'])} ${epcs} ${String(event.eventTime)}`;
        if (r.kind === 'late') return `${pad('late')} ${what} (fills a gap)`;
        return `${pad('event')} ${what}${r.behind ? ' (behind: below the highest number, ID not remembered)' : ''}`;
      }
    }
  }
}
