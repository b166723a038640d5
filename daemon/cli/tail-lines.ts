/**
 * `readpoint tail` without `--dedup`: one MQTT message in, at most one output line out. Decides
 * what a message is by its payload (an ObjectEvent, a reject, a health report, anything else),
 * keeps only the readers and read points asked for, and prints it for people or, with `json`,
 * exactly as it came. Pure: no I/O.
 */
import { Columns, clean, eventCells, healthLine, rejectCells, timeFormatter } from './tail-format.js';

export interface TailLinesOptions {
  /** Print each payload as it came (its line breaks as spaces) instead of a readable line. */
  readonly json?: boolean;
  /** Print the topic before each line. */
  readonly topic?: boolean;
  /** Keep events and rejects of these readers only (health lists only these). */
  readonly readers?: readonly string[];
  /** Keep rejects of these read points only (events are narrowed by their topic already). */
  readonly readPoints?: readonly string[];
  /** IANA time zone of the printed times; default the local one. */
  readonly timeZone?: string;
}

type Json = Record<string, unknown>;
type Kind = 'event' | 'reject' | 'health' | 'other';

/** What a payload is, by its shape (a raw --topic may bring anything). */
export function kindOf(body: unknown): Kind {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'other';
  const b = body as Json;
  if (b.type === 'ObjectEvent') return 'event';
  if (typeof b.code === 'string' && typeof b.rawHex === 'string') return 'reject';
  if (Array.isArray(b.readers) && typeof b.outbox === 'object') return 'health';
  return 'other';
}

const MAX_OTHER = 200;

export class TailLines {
  private readonly time: (iso: unknown) => string;
  private readonly events = new Columns();
  private readonly rejects = new Columns();

  constructor(private readonly options: TailLinesOptions = {}) {
    this.time = timeFormatter(options.timeZone);
  }

  /** The line to print for one message, or undefined when a filter drops it. */
  message(topic: string, payload: Buffer): string | undefined {
    const text = payload.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const kind = kindOf(body);
    if (!this.keep(kind, body as Json)) return undefined;
    const line = this.options.json
      ? text.replace(/\r?\n|\r/g, ' ')
      : this.human(kind, body as Json, topic, text);
    return this.options.topic ? `${clean(topic)} ${line}` : line;
  }

  private keep(kind: Kind, body: Json): boolean {
    const { readers, readPoints } = this.options;
    if (kind === 'event') return !readers || readers.includes(String(body['rp:reader']));
    if (kind === 'reject')
      return (
        (!readers || readers.includes(String(body.reader))) &&
        (!readPoints || readPoints.includes(String(body.readPoint)))
      );
    if (kind === 'health') return true;
    // Something else, under a raw --topic: a reader filter cannot say whose it is.
    return !readers && !readPoints;
  }

  private human(kind: Kind, body: Json, topic: string, text: string): string {
    switch (kind) {
      case 'event':
        return this.events.line(eventCells(body, this.time));
      case 'reject':
        return this.rejects.line(rejectCells(body, this.time));
      case 'health':
        return healthLine(body, this.time, this.options.readers);
      default: {
        const shown = clean(text.length > MAX_OTHER ? `${text.slice(0, MAX_OTHER)}…` : text);
        return this.options.topic ? shown : `${clean(topic)}  ${shown}`;
      }
    }
  }
}
