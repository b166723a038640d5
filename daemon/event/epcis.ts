/**
 * The event: one serial-unit location event as an EPCIS 2.0 ObjectEvent (JSON-LD binding), plus
 * readpoint's own fields under the `rp:` namespace. Its shape is the wire contract, described
 * for consumers by daemon/contract/event.schema.json and checked in tests against GS1's schema.
 */
import type { UnitIdentity } from '../identity/identity.js';
import type { Direction } from '../smoothing/pass.js';
import type { TransitionKind } from '../smoothing/transition.js';
import {
  type BizTransaction,
  type BusinessContext,
  businessFields,
  type EventDestination,
  type EventSource,
} from './business-context.js';
import { EventIdNamer } from './event-id.js';
import { offsetText } from './event-time.js';

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
/** The namespace of readpoint's own event fields; versioned with the topic prefix. */
export const RP_NAMESPACE = 'urn:readpoint:epcis:v1:';

/** What the smoother knows about one pass of a unit at a read point, and what it reports. */
export interface Sighting {
  readonly identity: UnitIdentity;
  readonly readerId: string;
  readonly readPointId: string;
  /** Wall-clock ms of the first and last read folded into the event. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly readCount: number;
  readonly antenna?: number;
  readonly rssi?: number;
  /** What the event reports; default `arrival`. */
  readonly transition?: TransitionKind;
  /** Wall-clock ms the transition happened (the event time); default `firstSeen`. */
  readonly time?: number;
  /** A passage's direction and its confidence (0-1). */
  readonly direction?: Direction;
  readonly confidence?: number;
  /** The bizStep of this event when not the read point's (a passage's inbound / outbound). */
  readonly bizStep?: string;
  /** The read point's transaction context when the transition happened; absent when none. */
  readonly context?: BusinessContext;
}

/** Where and why, from the read point's configuration. */
export interface ReadPointContext {
  readonly gatewayId: string;
  readonly readPointUri: string;
  readonly bizLocation?: string;
  readonly bizStep?: string;
  readonly disposition?: string;
}

/** The decoded identity as the event carries it (`rp:unit`). */
export type UnitFields = Pick<
  UnitIdentity,
  | 'source'
  | 'scheme'
  | 'aim'
  | 'gtin'
  | 'serial'
  | 'sscc'
  | 'gln'
  | 'glnExtension'
  | 'grai'
  | 'giai'
  | 'key'
  | 'lot'
  | 'expiry'
  | 'digitalLink'
> & {
  /** Every AI of the label or tag with its value, in the order read (as `readpoint decode` prints it). */
  readonly ais?: UnitIdentity['ais'];
  readonly epcHex?: string;
  readonly tagUri?: string;
  /** Present (true) for a tag whose EPC is not a GS1 EPC, named by its raw URI. */
  readonly nonGs1?: true;
};

export interface EpcisObjectEvent {
  readonly '@context': readonly [string, { readonly rp: string }];
  readonly type: 'ObjectEvent';
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventTimeZoneOffset: string;
  readonly action: 'OBSERVE';
  readonly epcList: readonly string[];
  readonly bizStep?: string;
  readonly disposition?: string;
  readonly readPoint: { readonly id: string };
  readonly bizLocation?: { readonly id: string };
  readonly bizTransactionList?: readonly BizTransaction[];
  readonly sourceList?: readonly EventSource[];
  readonly destinationList?: readonly EventDestination[];
  readonly 'rp:gateway': string;
  readonly 'rp:reader': string;
  readonly 'rp:readPoint': string;
  readonly 'rp:sequence': number;
  readonly 'rp:readCount': number;
  readonly 'rp:firstSeen': string;
  readonly 'rp:lastSeen': string;
  readonly 'rp:antenna'?: number;
  readonly 'rp:rssi'?: number;
  readonly 'rp:transition': TransitionKind;
  readonly 'rp:direction'?: Direction;
  readonly 'rp:directionConfidence'?: number;
  readonly 'rp:unit': UnitFields;
}

/**
 * The event ID: a name-based UUID (RFC 9562 version 5, SHA-1) of the gateway id, read point URI,
 * unit URI and the first-seen time in ms; for events other than the arrival, `<first-seen
 * ms>:<transition>:<event time ms>` in place of the first-seen time. The same event of the same
 * pass always gets the same ID, and a redelivered or re-published event is byte-identical (it is
 * stored once, in the outbox).
 */
export function eventId(
  gatewayId: string,
  readPointUri: string,
  unitUri: string,
  firstSeen: number | string,
): string {
  return new EventIdNamer(gatewayId, readPointUri).of(unitUri, firstSeen);
}

/** `+hh:mm` / `-hh:mm` of the local time zone at `at` (EPCIS forbids `Z` here). */
export function timeZoneOffset(at: number): string {
  return offsetText(-new Date(at).getTimezoneOffset());
}

function unitFields(identity: UnitIdentity): UnitFields {
  const fields: Record<string, unknown> = { source: identity.source, scheme: identity.scheme };
  const copy = (key: keyof UnitFields, value: string | undefined) => {
    if (value !== undefined) fields[key] = value;
  };
  copy('aim', identity.aim);
  copy('gtin', identity.gtin);
  copy('serial', identity.serial);
  copy('sscc', identity.sscc);
  copy('gln', identity.gln);
  copy('glnExtension', identity.glnExtension);
  copy('grai', identity.grai);
  copy('giai', identity.giai);
  copy('key', identity.key);
  copy('lot', identity.lot);
  copy('expiry', identity.expiry);
  copy('digitalLink', identity.digitalLink);
  if (identity.ais && identity.ais.length > 0) {
    fields.ais = identity.ais;
  }
  copy('epcHex', identity.epc?.hex.toUpperCase());
  copy('tagUri', identity.epc?.tagUri);
  if (identity.epc?.nonGs1) fields.nonGs1 = true;
  return fields as UnitFields;
}

/** Builds the event of one pass. `sequence` is the outbox's per-gateway sequence number. */
export function buildEvent(sighting: Sighting, where: ReadPointContext, sequence: number): EpcisObjectEvent {
  const { identity } = sighting;
  const transition = sighting.transition ?? 'arrival';
  const time = sighting.time ?? sighting.firstSeen;
  const name = transition === 'arrival' ? sighting.firstSeen : `${sighting.firstSeen}:${transition}:${time}`;
  const bizStep = sighting.bizStep ?? where.bizStep;
  return {
    '@context': [EPCIS_CONTEXT, { rp: RP_NAMESPACE }],
    type: 'ObjectEvent',
    eventID: eventId(where.gatewayId, where.readPointUri, identity.uri, name),
    eventTime: new Date(time).toISOString(),
    eventTimeZoneOffset: timeZoneOffset(time),
    action: 'OBSERVE',
    epcList: [identity.uri],
    ...(bizStep ? { bizStep } : {}),
    ...(where.disposition ? { disposition: where.disposition } : {}),
    readPoint: { id: where.readPointUri },
    ...(where.bizLocation ? { bizLocation: { id: where.bizLocation } } : {}),
    ...(sighting.context ? businessFields(sighting.context) : {}),
    'rp:gateway': where.gatewayId,
    'rp:reader': sighting.readerId,
    'rp:readPoint': sighting.readPointId,
    'rp:sequence': sequence,
    'rp:readCount': sighting.readCount,
    'rp:firstSeen': new Date(sighting.firstSeen).toISOString(),
    'rp:lastSeen': new Date(sighting.lastSeen).toISOString(),
    ...(sighting.antenna !== undefined ? { 'rp:antenna': sighting.antenna } : {}),
    ...(sighting.rssi !== undefined ? { 'rp:rssi': sighting.rssi } : {}),
    'rp:transition': transition,
    ...(sighting.direction !== undefined ? { 'rp:direction': sighting.direction } : {}),
    ...(sighting.confidence !== undefined ? { 'rp:directionConfidence': sighting.confidence } : {}),
    'rp:unit': unitFields(identity),
  };
}
