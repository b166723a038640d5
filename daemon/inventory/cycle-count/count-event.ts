/**
 * The cycle count event: one EPCIS 2.0 ObjectEvent (action OBSERVE, bizStep cycle_counting)
 * listing the units present at a read point, with readpoint's fields saying what appeared and
 * what went missing since the read point's previous count. Its shape is the wire contract of the
 * counts topic (daemon/contract/count.schema.json); it also validates against GS1's schema.
 *
 * A large count is split into numbered parts: each part carries at most `unitsPerPart` URIs of
 * each list (present, appeared, missing), so no message grows with the stock of a warehouse. The
 * parts of one count share `rp:count.id` and its totals, and are recorded together in order.
 */
import {
  EPCIS_CONTEXT,
  type EpcisObjectEvent,
  type ReadPointContext,
  RP_NAMESPACE,
  timeZoneOffset,
} from '../../event/epcis.js';
import { EventIdNamer } from '../../event/event-id.js';

/** What one count found, the lists sorted. */
export interface CountTaken {
  readonly readPointId: string;
  /** Wall-clock ms of the count. */
  readonly at: number;
  readonly present: readonly string[];
  readonly appeared: readonly string[];
  readonly missing: readonly string[];
  /** Wall-clock ms of the count compared with; absent for a read point's first count. */
  readonly previousAt?: number;
  readonly windowS: number;
  /** More units were present than a count lists (`maxUnits`): missing is not reported then. */
  readonly truncated: boolean;
}

/** `rp:count`: where this part stands in its count, and the count's totals. */
export interface CountFields {
  /** The count's ID, shared by its parts: the first part's eventID. */
  readonly id: string;
  readonly part: number;
  readonly parts: number;
  readonly units: number;
  readonly appeared: number;
  readonly missing: number;
  readonly previous?: string;
  readonly windowS: number;
  readonly truncated?: true;
}

/** An ObjectEvent's envelope and readpoint's own fields, with the count in place of a read's. */
export interface CountEvent
  extends Pick<
    EpcisObjectEvent,
    | '@context'
    | 'type'
    | 'eventID'
    | 'eventTime'
    | 'eventTimeZoneOffset'
    | 'action'
    | 'epcList'
    | 'readPoint'
    | 'bizLocation'
    | 'rp:gateway'
    | 'rp:readPoint'
    | 'rp:sequence'
  > {
  readonly bizStep: 'cycle_counting';
  readonly 'rp:count': CountFields;
  readonly 'rp:appeared': readonly string[];
  readonly 'rp:missing': readonly string[];
}

/** The name the count events' IDs are made of, in place of a unit URI. */
const COUNT_NAME = 'urn:readpoint:cycle-count';

/** How many parts a count takes. */
export function partsOf(count: CountTaken, unitsPerPart: number): number {
  const longest = Math.max(count.present.length, count.appeared.length, count.missing.length);
  return Math.max(1, Math.ceil(longest / unitsPerPart));
}

/**
 * The count's events, one builder per part (called with the part's sequence number). Event IDs
 * are name-based UUIDs of the gateway, the read point URI, the count's time (ms) and the part
 * number: the same count always has the same IDs.
 */
export function countEvents(
  count: CountTaken,
  where: ReadPointContext,
  unitsPerPart: number,
): ((seq: number) => string)[] {
  const parts = partsOf(count, unitsPerPart);
  const namer = new EventIdNamer(where.gatewayId, where.readPointUri);
  const id = namer.of(COUNT_NAME, `${count.at}:1`);
  const eventTime = new Date(count.at).toISOString();
  const eventTimeZoneOffset = timeZoneOffset(count.at);
  const slice = (list: readonly string[], part: number) =>
    list.slice((part - 1) * unitsPerPart, part * unitsPerPart);
  const builders: ((seq: number) => string)[] = [];
  for (let part = 1; part <= parts; part++) {
    const fields: CountFields = {
      id,
      part,
      parts,
      units: count.present.length,
      appeared: count.appeared.length,
      missing: count.missing.length,
      ...(count.previousAt !== undefined ? { previous: new Date(count.previousAt).toISOString() } : {}),
      windowS: count.windowS,
      ...(count.truncated ? { truncated: true as const } : {}),
    };
    const epcList = slice(count.present, part);
    const appeared = slice(count.appeared, part);
    const missing = slice(count.missing, part);
    const eventID = part === 1 ? id : namer.of(COUNT_NAME, `${count.at}:${part}`);
    builders.push((seq) => {
      const event: CountEvent = {
        '@context': [EPCIS_CONTEXT, { rp: RP_NAMESPACE }],
        type: 'ObjectEvent',
        eventID,
        eventTime,
        eventTimeZoneOffset,
        action: 'OBSERVE',
        epcList,
        bizStep: 'cycle_counting',
        readPoint: { id: where.readPointUri },
        ...(where.bizLocation ? { bizLocation: { id: where.bizLocation } } : {}),
        'rp:gateway': where.gatewayId,
        'rp:readPoint': count.readPointId,
        'rp:sequence': seq,
        'rp:count': fields,
        'rp:appeared': appeared,
        'rp:missing': missing,
      };
      return JSON.stringify(event);
    });
  }
  return builders;
}
