/**
 * The event ID's UUID (RFC 9562 version 5, SHA-1) made cheaply: the namespace, gateway id and read
 * point URI are encoded once per read point, and each event hashes one buffer in one call.
 * `eventId` in epcis.ts states what the ID is made of; this gives the same value.
 */
import * as crypto from 'node:crypto';

/** readpoint's UUID namespace (a fixed random UUID, as bytes). */
const NAMESPACE = Buffer.from('6f1b8a2e9c3d4e7fa1b25c6d7e8f9012', 'hex');

// One-shot hashing needs Node 20.12; older 20.x hash through a Hash object.
const sha1Hex: (data: Uint8Array) => string =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha1', data, 'hex')
    : (data) => crypto.createHash('sha1').update(data).digest('hex');

/** For each hex digit (by its code) of the hash's 9th byte's high nibble, the variant's digit (`10xx`). */
const VARIANT = new Uint8Array(128);
for (const c of '0123456789abcdef')
  VARIANT[c.charCodeAt(0)] = ((Number.parseInt(c, 16) & 3) | 8).toString(16).charCodeAt(0);

/** `urn:uuid:` and the UUID's dashes; the hash's first 32 hex digits go between them. */
const UUID_TEXT = 'urn:uuid:xxxxxxxx-xxxx-5xxx-xxxx-xxxxxxxxxxxx';
/** Where each of those 32 digits stands in UUID_TEXT. */
const DIGIT_AT = Uint8Array.from(
  { length: 32 },
  (_, i) => 9 + i + (i >= 8 ? 1 : 0) + (i >= 12 ? 1 : 0) + (i >= 16 ? 1 : 0) + (i >= 20 ? 1 : 0),
);
/** The ID is written here and read out as one string (one allocation, no pieces to join). */
const uuidText = Buffer.from(UUID_TEXT, 'latin1');

/** Names the events of one read point of one gateway. */
export class EventIdNamer {
  private readonly head: number;
  private scratch: Buffer;

  constructor(gatewayId: string, readPointUri: string) {
    const place = Buffer.from(`${gatewayId}\n${readPointUri}\n`, 'utf8');
    this.head = NAMESPACE.length + place.length;
    this.scratch = Buffer.allocUnsafe(this.head + 256);
    NAMESPACE.copy(this.scratch, 0);
    place.copy(this.scratch, NAMESPACE.length);
  }

  /** The ID of the event named `name` (first-seen ms, or `<ms>:<transition>:<ms>`) of `unitUri`. */
  of(unitUri: string, name: number | string): string {
    const text = typeof name === 'string' ? name : `${name}`;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    const most = this.head + 3 * (unitUri.length + 1 + text.length);
    if (most > this.scratch.length) this.grow(most);
    const buf = this.scratch;
    let end = this.head + buf.write(unitUri, this.head, 'utf8');
    buf[end++] = 0x0a;
    end += buf.write(text, end, 'utf8');
    const h = sha1Hex(buf.subarray(0, end));
    const out = uuidText;
    for (let i = 0; i < 32; i++) out[DIGIT_AT[i]!] = h.charCodeAt(i);
    // Version 5 in the 7th byte's high nibble, variant 10 in the 9th byte's top bits.
    out[DIGIT_AT[12]!] = 0x35;
    out[DIGIT_AT[16]!] = VARIANT[h.charCodeAt(16)]!;
    return out.toString('latin1', 0, UUID_TEXT.length);
  }

  private grow(size: number): void {
    const bigger = Buffer.allocUnsafe(size * 2);
    this.scratch.copy(bigger, 0, 0, this.head);
    this.scratch = bigger;
  }
}
