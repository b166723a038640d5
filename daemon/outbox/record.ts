/**
 * How an outbox entry lies in LevelDB.
 *
 * Key: `e!` + the sequence number as 16 hex digits, so keys sort in sequence order; a record that
 * cannot be decoded is moved to `q!` + the same digits. `m!lastSeq` holds the highest sequence
 * number ever appended (decimal), `m!drops` the overflow drops; both are written in the batch
 * that changes them.
 *
 * Value: `<crc32, 8 hex><acceptedAt>,<topic length>:<topic><payload>`, the CRC-32 taken over
 * everything after it (as UTF-8). The payload is stored as is (no JSON escaping inside JSON), and
 * the CRC catches a damaged record: LevelDB does not verify its block checksums on reads by
 * default. A damaged record is moved to quarantine byte for byte (read again as bytes).
 */
import { crc32 } from 'node:zlib';

export const ENTRIES = { gte: 'e!', lt: 'e"' } as const;
export const QUARANTINED = { gte: 'q!', lt: 'q"' } as const;
export const LAST_SEQ = 'm!lastSeq';
/** Overflow drops since the store was created (JSON `DropTally`), so a restart keeps them. */
export const DROPS = 'm!drops';

const hex16 = (seq: number) => seq.toString(16).padStart(16, '0');
export const entryKey = (seq: number) => `e!${hex16(seq)}`;
/** Where an undecodable record under `key` is moved. */
export const quarantineKeyOf = (key: string) => `q!${key.slice(2)}`;

/** The sequence number in an `e!` or `q!` key, or undefined for a key of another shape. */
export function seqOfKey(key: string): number | undefined {
  if (key.length !== 18 || key[1] !== '!') return undefined;
  const seq = Number.parseInt(key.slice(2), 16);
  return Number.isSafeInteger(seq) && hex16(seq) === key.slice(2) ? seq : undefined;
}

export interface EntryRecord {
  readonly topic: string;
  readonly payload: string;
  readonly acceptedAt: number;
}

export function encodeRecord(r: EntryRecord): string {
  const body = `${r.acceptedAt},${r.topic.length}:${r.topic}${r.payload}`;
  return crc32(body).toString(16).padStart(8, '0') + body;
}

/** The header of a value, if whole (no CRC check: cheap, for the scan at open). */
function header(value: string): { acceptedAt: number; topicAt: number; payloadAt: number } | undefined {
  const comma = value.indexOf(',', 8);
  const colon = comma < 0 ? -1 : value.indexOf(':', comma);
  if (colon < 0) return undefined;
  const atText = value.slice(8, comma);
  const topicText = value.slice(comma + 1, colon);
  const acceptedAt = Number(atText);
  if (atText === '' || !Number.isFinite(acceptedAt) || !/^\d+$/.test(topicText)) return undefined;
  const payloadAt = colon + 1 + Number(topicText);
  return payloadAt <= value.length ? { acceptedAt, topicAt: colon + 1, payloadAt } : undefined;
}

/** acceptedAt of a value whose header is whole. */
export function acceptedAtOf(value: string): number | undefined {
  return header(value)?.acceptedAt;
}

/**
 * The record, or undefined if the value is damaged: bad header or CRC mismatch (bytes that were
 * not valid UTF-8 read back as U+FFFD, so they fail the CRC too).
 */
export function decodeRecord(value: string): EntryRecord | undefined {
  const h = header(value);
  const crc = value.slice(0, 8);
  if (!h || !/^[0-9a-f]{8}$/.test(crc) || crc32(value.slice(8)) !== Number.parseInt(crc, 16))
    return undefined;
  return {
    topic: value.slice(h.topicAt, h.payloadAt),
    payload: value.slice(h.payloadAt),
    acceptedAt: h.acceptedAt,
  };
}
