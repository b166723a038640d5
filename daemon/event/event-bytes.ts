/**
 * The event's bytes, written directly: `JSON.stringify(buildEvent(sighting, where, sequence))`
 * character for character, without the event object. What a read point configures is escaped
 * once into constant fragments in the key order of `buildEvent`; each event only adds its own
 * values. buildEvent stays the readable definition of the event (and the schema checks use it);
 * test/daemon/event/event-bytes.test.ts holds the two to the same bytes.
 */
import type { AiValue, UnitIdentity } from '../identity/identity.js';
import { businessText } from './business-context.js';
import { EPCIS_CONTEXT, type ReadPointContext, RP_NAMESPACE, type Sighting } from './epcis.js';
import { EventIdNamer } from './event-id.js';
import { isoTime, localOffsets, type ZoneOffsets } from './event-time.js';

const json = JSON.stringify;
/**
 * A string as JSON writes it. Most need no escape: quoted as they are, which is cheaper than
 * JSON.stringify; any quote, backslash, control character or surrogate goes to JSON.stringify.
 */
function quote(s: string): string {
  return ESCAPED.test(s) ? json(s) : `"${s}"`;
}
/**
 * What JSON writes other than as it is: a control character, quote, backslash or surrogate (a
 * compiled regular expression scans a value faster than a loop over its characters).
 */
const ESCAPED = /[\u0000-\u001f"\\\ud800-\udfff]/;
/** A number as JSON writes it (`null` for NaN and the infinities). */
const num = (n: number): string => (Number.isFinite(n) ? `${n}` : 'null');

/** The events of one read point. */
export class EventBytes {
  private readonly names: EventIdNamer;
  private readonly head: string;
  private readonly pointBizStep: string | undefined;
  private readonly bizStep: string;
  /** From `disposition` to just before the reader's id. */
  private readonly place: string;
  /** `place` cut where a transaction context's lists go (before `rp:gateway`). */
  private readonly placeBeforeContext: string;
  private readonly gateway: string;
  // The last reader and read point ids seen, escaped (they rarely change between events).
  private readerId = '';
  private readerText = ',"rp:reader":""';
  private readPointId = '';
  private readPointText = ',"rp:readPoint":""';

  constructor(
    where: ReadPointContext,
    private readonly offsets: ZoneOffsets = localOffsets,
  ) {
    this.names = new EventIdNamer(where.gatewayId, where.readPointUri);
    this.head = `{"@context":[${json(EPCIS_CONTEXT)},{"rp":${json(RP_NAMESPACE)}}],"type":"ObjectEvent","eventID":"`;
    this.pointBizStep = where.bizStep;
    this.bizStep = where.bizStep ? `,"bizStep":${json(where.bizStep)}` : '';
    this.placeBeforeContext =
      (where.disposition ? `,"disposition":${json(where.disposition)}` : '') +
      `,"readPoint":{"id":${json(where.readPointUri)}}` +
      (where.bizLocation ? `,"bizLocation":{"id":${json(where.bizLocation)}}` : '');
    this.gateway = `,"rp:gateway":${json(where.gatewayId)}`;
    this.place = this.placeBeforeContext + this.gateway;
  }

  /** The `eventID` inside an event's text written by `event()` (a slice of it, not a new hash). */
  eventIdIn(text: string): string {
    return text.slice(this.head.length, this.head.length + 45);
  }

  /** The event of `sighting` with outbox sequence number `sequence`, as JSON text. */
  event(sighting: Sighting, sequence: number): string {
    const { identity, firstSeen, lastSeen } = sighting;
    const transition = sighting.transition ?? 'arrival';
    const time = sighting.time ?? firstSeen;
    const id = this.names.of(
      identity.uri,
      transition === 'arrival' ? firstSeen : `${firstSeen}:${transition}:${time}`,
    );
    // Most events are of one moment (an arrival at its first read): format it once.
    const eventTime = isoTime(time);
    const first = firstSeen === time ? eventTime : isoTime(firstSeen);
    const last = lastSeen === firstSeen ? first : lastSeen === time ? eventTime : isoTime(lastSeen);
    let out = `${this.head}${id}","eventTime":"${eventTime}","eventTimeZoneOffset":"${this.offsets.at(time)}","action":"OBSERVE","epcList":[${quote(identity.uri)}]`;
    const bizStep = sighting.bizStep ?? this.pointBizStep;
    out += bizStep === this.pointBizStep ? this.bizStep : bizStep ? `,"bizStep":${quote(bizStep)}` : '';
    const context = sighting.context;
    // Without a context (most events) the place is one constant fragment.
    if (context !== undefined) out += `${this.placeBeforeContext}${businessText(context)}${this.gateway}`;
    else out += this.place;
    out += `${this.reader(sighting.readerId)}${this.readPoint(sighting.readPointId)},"rp:sequence":${num(sequence)},"rp:readCount":${num(sighting.readCount)},"rp:firstSeen":"${first}","rp:lastSeen":"${last}"`;
    if (sighting.antenna !== undefined) out += `,"rp:antenna":${num(sighting.antenna)}`;
    if (sighting.rssi !== undefined) out += `,"rp:rssi":${num(sighting.rssi)}`;
    out += `,"rp:transition":${quote(transition)}`;
    if (sighting.direction !== undefined) out += `,"rp:direction":${quote(sighting.direction)}`;
    if (sighting.confidence !== undefined) out += `,"rp:directionConfidence":${num(sighting.confidence)}`;
    return `${out},"rp:unit":${unitJson(identity)}}`;
  }

  private reader(id: string): string {
    if (id !== this.readerId) {
      this.readerText = `,"rp:reader":${json(id)}`;
      this.readerId = id;
    }
    return this.readerText;
  }

  private readPoint(id: string): string {
    if (id !== this.readPointId) {
      this.readPointText = `,"rp:readPoint":${json(id)}`;
      this.readPointId = id;
    }
    return this.readPointText;
  }
}

/** True when JSON writes `s` as it is, between quotes: no quote, backslash, control or surrogate. */
function plain(s: string): boolean {
  return !ESCAPED.test(s);
}

/**
 * `,"<name>":<value as JSON>`: `open` is the text up to and with the value's opening quote, so a
 * plain value costs two joins, not four.
 */
const field = (open: string, value: string): string =>
  plain(value) ? `${open}${value}"` : `${open.slice(0, -1)}${json(value)}`;

/** `{"source":..,"scheme":..` by source and scheme: a handful of pairs, each written once. */
const unitHeads = new Map<string, Map<string, string>>();

function unitHead(source: string, scheme: string): string {
  let bySource = unitHeads.get(source);
  if (bySource === undefined) {
    bySource = new Map();
    unitHeads.set(source, bySource);
  }
  let head = bySource.get(scheme);
  if (head === undefined) {
    head = `{"source":${json(source)},"scheme":${json(scheme)}`;
    // Sources and schemes come from the decoders' fixed lists; anything else is not kept.
    if (bySource.size < 64) bySource.set(scheme, head);
  }
  return head;
}

/** `ais`: what JSON.stringify writes for the (AI, value) pairs, each `{ai, value}`. */
function aisJson(ais: readonly AiValue[]): string {
  let out = ',"ais":[';
  for (let i = 0; i < ais.length; i++) {
    const e = ais[i]!;
    out += `${i === 0 ? '' : ','}${field('{"ai":"', e.ai)}${field(',"value":"', e.value)}}`;
  }
  return `${out}]`;
}

/** `rp:unit`: the fields of `unitFields` (epcis.ts) in its order. */
function unitJson(u: UnitIdentity): string {
  let out = unitHead(u.source, u.scheme);
  if (u.aim !== undefined) out += field(',"aim":"', u.aim);
  if (u.gtin !== undefined) out += field(',"gtin":"', u.gtin);
  if (u.serial !== undefined) out += field(',"serial":"', u.serial);
  if (u.sscc !== undefined) out += field(',"sscc":"', u.sscc);
  if (u.gln !== undefined) out += field(',"gln":"', u.gln);
  if (u.glnExtension !== undefined) out += field(',"glnExtension":"', u.glnExtension);
  if (u.grai !== undefined) out += field(',"grai":"', u.grai);
  if (u.giai !== undefined) out += field(',"giai":"', u.giai);
  if (u.key !== undefined) out += field(',"key":"', u.key);
  if (u.lot !== undefined) out += field(',"lot":"', u.lot);
  if (u.expiry !== undefined) out += field(',"expiry":"', u.expiry);
  if (u.digitalLink !== undefined) out += field(',"digitalLink":"', u.digitalLink);
  if (u.ais && u.ais.length > 0) out += aisJson(u.ais);
  const epc = u.epc;
  if (epc) {
    out += field(',"epcHex":"', epc.hex.toUpperCase());
    if (epc.tagUri !== undefined) out += field(',"tagUri":"', epc.tagUri);
    if (epc.nonGs1) out += ',"nonGs1":true';
  }
  return `${out}}`;
}
