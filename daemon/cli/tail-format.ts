/**
 * `readpoint tail`'s lines for people: one line per event, reject or health message, in columns
 * that line up as the stream goes (a column widens to its widest value so far). Written for a
 * technician at a dock door: local time with ms, read point, what happened, which unit, which
 * reader and antenna saw it, how strongly and how often. Pure: no I/O.
 */

type Json = Record<string, unknown>;

/** Local time with ms, `2026-11-29 10:02:03.123`; `timeZone` (an IANA name) for tests, else local. */
export function timeFormatter(timeZone?: string): (iso: unknown) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    ...(timeZone ? { timeZone } : {}),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hourCycle: 'h23',
  });
  return (iso) => {
    const at = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
    if (Number.isNaN(at)) return clean(String(iso ?? '?')).padEnd(23);
    const p = Object.fromEntries(format.formatToParts(at).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}`;
  };
}

/** Control characters (a terminal would obey them) shown as `\xNN`. */
export function clean(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? clean(v) : typeof v === 'number' ? String(v) : undefined;

/** Cells padded to the widest value each column has held; the last cell is not padded. */
export class Columns {
  private readonly widths: number[] = [];

  line(cells: readonly string[]): string {
    return cells
      .map((cell, i) => {
        if (i === cells.length - 1) return cell;
        this.widths[i] = Math.max(this.widths[i] ?? 0, cell.length);
        return cell.padEnd(this.widths[i]!);
      })
      .join('  ')
      .trimEnd();
  }
}

/** `arrival`, or a passage with its direction and confidence: `passage inbound (0.92)`. */
export function transitionText(event: Json): string {
  const transition = str(event['rp:transition']) ?? '?';
  const direction = str(event['rp:direction']);
  const confidence = event['rp:directionConfidence'];
  return [
    transition,
    ...(direction ? [direction] : []),
    ...(typeof confidence === 'number' ? [`(${confidence.toFixed(2)})`] : []),
  ].join(' ');
}

/** The decoded GS1 fields of `rp:unit`: `GTIN 00614141812345 SN 6789 LOT L1 EXP 2027-07-15`. */
export function unitFieldsText(unit: unknown): string {
  if (typeof unit !== 'object' || unit === null) return '';
  const u = unit as Json;
  const parts: string[] = [];
  const add = (label: string, key: string) => {
    const v = str(u[key]);
    if (v !== undefined) parts.push(`${label} ${v}`);
  };
  add('GTIN', 'gtin');
  add('SSCC', 'sscc');
  add('GLN', 'gln');
  add('EXT', 'glnExtension');
  add('GRAI', 'grai');
  add('GIAI', 'giai');
  add('KEY', 'key');
  add('SN', 'serial');
  add('LOT', 'lot');
  add('EXP', 'expiry');
  return parts.join(' ');
}

/** `reader rfid-1 ant 2 -55 dBm x4`: who saw it, on which antenna, how strongly, how often. */
export function readerText(event: Json): string {
  const antenna = str(event['rp:antenna']);
  const rssi = str(event['rp:rssi']);
  const count = str(event['rp:readCount']);
  return [
    `reader ${str(event['rp:reader']) ?? '?'}`,
    ...(antenna !== undefined ? [`ant ${antenna}`] : []),
    ...(rssi !== undefined ? [`${rssi} dBm`] : []),
    ...(count !== undefined ? [`x${count}`] : []),
  ].join(' ');
}

/** The cells of one event's line. */
export function eventCells(event: Json, time: (iso: unknown) => string): string[] {
  const epcs = Array.isArray(event.epcList) ? event.epcList.map((e) => str(e) ?? '?').join(' ') : '?';
  return [
    time(event.eventTime),
    str(event['rp:readPoint']) ?? '?',
    transitionText(event),
    epcs,
    unitFieldsText(event['rp:unit']),
    readerText(event),
  ];
}

/** The first `bytes` bytes of a hex string, with `…` when there is more. */
export function abbreviateHex(hex: string, bytes = 16): string {
  return hex.length > bytes * 2 ? `${hex.slice(0, bytes * 2)}…` : hex;
}

/**
 * The cells of one reject's line: `REJECT code`, reader, raw bytes (abbreviated), reason, and the
 * rejects of the reader it stands for beyond itself (`skipped`), if any.
 */
export function rejectCells(reject: Json, time: (iso: unknown) => string): string[] {
  const length = str(reject.rawLength);
  return [
    time(reject.time),
    str(reject.readPoint) ?? '-',
    'REJECT',
    str(reject.code) ?? '?',
    `reader ${str(reject.reader) ?? '?'}`,
    `raw ${abbreviateHex(str(reject.rawHex) ?? '')}${length !== undefined ? ` (${length} bytes)` : ''}`,
    str(reject.message) ?? '',
    ...skippedCells(reject.skipped),
  ];
}

/** What a reject stands for beyond itself: the rejects of its reader held back before it. */
function skippedCells(skipped: unknown): string[] {
  if (typeof skipped !== 'object' || skipped === null) return [];
  const { total, byCode } = skipped as Json;
  if (typeof total !== 'number' || total <= 0) return [];
  const codes =
    typeof byCode === 'object' && byCode !== null
      ? Object.entries(byCode as Json).map(([code, n]) => `${clean(code)} ${str(n) ?? '?'}`)
      : [];
  return [`+${total} more rejects not shown${codes.length > 0 ? `: ${codes.join(', ')}` : ''}`];
}

/** `1h02m`, `3m07s`, `42s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/**
 * One line per health message: readers (only `readers` when given) with state and reads,
 * events published, outbox depth, oldest undelivered, drops, uplink state.
 */
export function healthLine(
  health: Json,
  time: (iso: unknown) => string,
  readers?: readonly string[],
): string {
  const list = Array.isArray(health.readers) ? (health.readers as Json[]) : [];
  const shown = list
    .filter((r) => !readers || readers.includes(String(r.id)))
    .map((r) => {
      const error = str(r.lastError);
      return `${str(r.id) ?? '?'} ${str(r.state) ?? '?'} ${str(r.reads) ?? '?'} reads${error ? ` (${error})` : ''}`;
    });
  const events = (health.events ?? {}) as Json;
  const outbox = (health.outbox ?? {}) as Json;
  const uplink = (health.uplink ?? {}) as Json;
  const oldest =
    typeof outbox.oldestUndeliveredAgeS === 'number' ? duration(outbox.oldestUndeliveredAgeS) : '-';
  const up = typeof health.uptimeS === 'number' ? duration(health.uptimeS) : '?';
  return [
    time(health.time),
    `HEALTH ${str(health.site) ?? '?'}/${str(health.gateway) ?? '?'}`,
    `up ${up}`,
    `readers: ${shown.length > 0 ? shown.join(', ') : 'none'}`,
    `events ${str(events.published) ?? '?'} published`,
    `outbox ${str(outbox.depth) ?? '?'} waiting (oldest ${oldest}, ${str(outbox.dropped) ?? '?'} dropped)`,
    `uplink ${str(uplink.state) ?? '?'}`,
  ].join('  ');
}
