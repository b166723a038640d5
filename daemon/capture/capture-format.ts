/**
 * The capture format (`readpoint-capture`, version 1): a reader's raw traffic, as its driver
 * framed it and before anything was decoded, so that `readpoint replay` can run it again through
 * decode and smoothing under any configuration.
 *
 * A capture is NDJSON (one JSON object a line, UTF-8, LF):
 * - the header, first: `{"format":"readpoint-capture","version":1,"source","gateway","reader",
 *   "origin","startedAt"}`. `reader` is the reader's configuration as recorded, its secrets hidden;
 *   `origin` is the wall-clock time (ISO 8601) at which the monotonic offsets below are 0.
 * - one line per raw read, in the order the driver handed them: `{"t","m","k","d","a"?,"r"?,"p"?}`:
 *   `t` wall-clock ms since the epoch, `m` monotonic ms since `origin` (what smoothing times by),
 *   `k` kind (`epc` or `barcode`), `d` the frame's bytes in hex, `a` antenna, `r` RSSI dBm, `p` PC word.
 * - the end, last: `{"end","reads","dropped","endedAt","m"}`: why recording ended (`stopped`,
 *   `duration`, `max-bytes`, `ring`, `daemon-stopped`: the daemon it recorded from went away), the
 *   reads written, the reads the recording lost (a slow
 *   recorder), and the monotonic offset at the end. A file without it was cut off.
 */
import { isSecretKey, withoutUserinfo } from '../../config/secrets.js';
import type { RawRead, ReadKind } from '../../drivers/driver.js';

export const CAPTURE_FORMAT = 'readpoint-capture';
export const CAPTURE_VERSION = 1;

/** Where the reads were taken: the running daemon, the reader's driver opened by `record`, the ring. */
export type CaptureSource = 'daemon' | 'driver' | 'ring';

export interface CaptureHeader {
  readonly format: typeof CAPTURE_FORMAT;
  readonly version: typeof CAPTURE_VERSION;
  readonly source: CaptureSource;
  readonly gateway: string;
  /** The reader's configuration when it was recorded (secrets hidden). */
  readonly reader: { readonly id: string; readonly driver: string } & Record<string, unknown>;
  /** ISO 8601 wall-clock time of monotonic offset 0. */
  readonly origin: string;
  readonly startedAt: string;
}

export type CaptureEndReason = 'stopped' | 'duration' | 'max-bytes' | 'ring' | 'daemon-stopped';

export interface CaptureEnd {
  readonly end: CaptureEndReason;
  readonly reads: number;
  readonly dropped: number;
  readonly endedAt: string;
  readonly m: number;
}

/** What the hex of a frame may hold at most, bytes (the longest read any driver frames, 64 KiB). */
export const MAX_READ_BYTES = 65536;

/** A read as a capture line (no newline); `originMono` is the monotonic time of offset 0. */
export function readLine(read: RawRead, originMono: number): string {
  const m = Math.round((read.mono - originMono) * 1000) / 1000;
  let line = `{"t":${read.at},"m":${m},"k":"${read.kind}","d":"${read.data.toString('hex')}"`;
  if (read.antenna !== undefined) line += `,"a":${read.antenna}`;
  if (read.rssi !== undefined) line += `,"r":${read.rssi}`;
  if (read.pc !== undefined) line += `,"p":${read.pc}`;
  return `${line}}`;
}

export function endLine(end: CaptureEnd): string {
  return JSON.stringify(end);
}

/** A header for `reader` (its secrets hidden here), with offsets from `originAt`. */
export function captureHeader(
  source: CaptureSource,
  gateway: string,
  reader: { readonly id: string; readonly driver: string },
  originAt: number,
  startedAt = Date.now(),
): CaptureHeader {
  return {
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    source,
    gateway,
    reader: withoutSecrets(reader) as CaptureHeader['reader'],
    origin: new Date(originAt).toISOString(),
    startedAt: new Date(startedAt).toISOString(),
  };
}

/** A problem with a capture file, told by its line. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
}

const KINDS: ReadonlySet<string> = new Set<ReadKind>(['epc', 'barcode']);
const HEX = /^(?:[0-9a-f]{2})*$/;

/** Checks a parsed header line; throws a CaptureError that says what is wrong. */
export function checkHeader(value: unknown, where: string): CaptureHeader {
  const h = value as Partial<CaptureHeader> | null;
  if (typeof h !== 'object' || h === null || h.format !== CAPTURE_FORMAT)
    throw new CaptureError(
      `${where}: not a readpoint capture (its first line has no "format":"${CAPTURE_FORMAT}")`,
    );
  if (h.version !== CAPTURE_VERSION)
    throw new CaptureError(
      `${where}: capture format version ${JSON.stringify(h.version)}; this readpoint reads version ${CAPTURE_VERSION}`,
    );
  if (typeof h.reader?.id !== 'string' || typeof h.reader.driver !== 'string')
    throw new CaptureError(`${where}: the header names no reader (reader.id, reader.driver)`);
  if (typeof h.origin !== 'string' || Number.isNaN(Date.parse(h.origin)))
    throw new CaptureError(`${where}: the header's origin is not an ISO 8601 time`);
  return h as CaptureHeader;
}

/** A read line parsed back into a raw read of `readerId`; throws a CaptureError on a bad one. */
export function parseRead(value: unknown, readerId: string, where: string): RawRead {
  const r = value as Record<string, unknown> | null;
  const bad = (what: string) => new CaptureError(`${where}: ${what}`);
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad('not a JSON object');
  const { t, m, k, d, a, r: rssi, p } = r;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw bad('"t" (wall-clock ms) is not a number');
  if (typeof m !== 'number' || !Number.isFinite(m)) throw bad('"m" (monotonic ms) is not a number');
  if (typeof k !== 'string' || !KINDS.has(k))
    throw bad(`"k" is ${JSON.stringify(k)}, not "epc" or "barcode"`);
  if (typeof d !== 'string' || !HEX.test(d)) throw bad('"d" is not the read\'s bytes in lower-case hex');
  if (d.length / 2 > MAX_READ_BYTES)
    throw bad(`the read is ${d.length / 2} bytes, more than ${MAX_READ_BYTES}`);
  if (a !== undefined && (!Number.isInteger(a) || (a as number) < 1))
    throw bad('"a" (antenna) is not a port number');
  if (rssi !== undefined && (typeof rssi !== 'number' || !Number.isFinite(rssi)))
    throw bad('"r" (RSSI) is not a number');
  if (p !== undefined && (!Number.isInteger(p) || (p as number) < 0 || (p as number) > 0xffff))
    throw bad('"p" (PC word) is not a 16-bit number');
  return {
    readerId,
    kind: k as ReadKind,
    data: Buffer.from(d, 'hex'),
    at: t,
    mono: m,
    ...(a !== undefined ? { antenna: a as number } : {}),
    ...(rssi !== undefined ? { rssi } : {}),
    ...(p !== undefined ? { pc: p as number } : {}),
  };
}

/** Secret values hidden (passwords, tokens; the user info of URLs), whatever the depth. */
function withoutSecrets(value: unknown, key = ''): unknown {
  if (isSecretKey(key)) return '***';
  if (typeof value === 'string') return withoutUserinfo(value);
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v, k)]));
  return value;
}
