/**
 * The AggregationEvent of a pack station (EPCIS 2.0, JSON-LD binding): a case closed (ADD: these
 * units are now in this case) or a unit taken out of a case (DELETE). Its shape is the wire
 * contract of `<base>/aggregations/<readPoint>`, described by daemon/contract/aggregation.schema.json.
 */
import { EPCIS_CONTEXT, type ReadPointContext, RP_NAMESPACE, timeZoneOffset } from '../../event/epcis.js';
import { EventIdNamer } from '../../event/event-id.js';

/** How a case came to be closed. */
export type ClosedBy = 'close-code' | 'next-case' | 'timeout';

/** A change of a case's content, as the pack station decides it. */
export type CaseChange =
  | {
      readonly action: 'ADD';
      /** The case's URI (its SSCC as a GS1 Digital Link URI). */
      readonly parent: string;
      /** The units packed, in the order first scanned. */
      readonly children: readonly string[];
      readonly openedAt: number;
      /** Wall-clock ms the case closed: the event time. */
      readonly closedAt: number;
      readonly closedBy: ClosedBy;
      /** The reader of the closing scan (none for a timeout). */
      readonly readerId?: string;
    }
  | {
      readonly action: 'DELETE';
      readonly parent: string;
      readonly child: string;
      /** Wall-clock ms of the scan of the unit taken out: the event time. */
      readonly at: number;
      readonly readerId?: string;
    };

export interface AggregationEvent {
  readonly '@context': readonly [string, { readonly rp: string }];
  readonly type: 'AggregationEvent';
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventTimeZoneOffset: string;
  readonly action: 'ADD' | 'DELETE';
  readonly parentID: string;
  readonly childEPCs: readonly string[];
  readonly bizStep: 'packing' | 'unpacking';
  readonly disposition?: string;
  readonly readPoint: { readonly id: string };
  readonly bizLocation?: { readonly id: string };
  readonly 'rp:gateway': string;
  readonly 'rp:readPoint': string;
  readonly 'rp:reader'?: string;
  readonly 'rp:sequence': number;
  /** ADD: when the case was opened (its SSCC scanned), and what closed it. */
  readonly 'rp:openedAt'?: string;
  readonly 'rp:closedBy'?: ClosedBy;
}

/** Writes the AggregationEvents of one pack station. */
export class AggregationWriter {
  private readonly namer: EventIdNamer;

  constructor(
    private readonly where: ReadPointContext,
    private readonly readPointId: string,
  ) {
    this.namer = new EventIdNamer(where.gatewayId, where.readPointUri);
  }

  /**
   * The event of a change. Its ID is a name-based UUID (as an ObjectEvent's) of the gateway, read
   * point, case and `add:<opened ms>:<closed ms>` or `delete:<ms>:<unit URI>`: the same change
   * always gets the same ID, so a consumer drops a repeated one by its ID.
   */
  event(change: CaseChange, sequence: number): AggregationEvent {
    const { where } = this;
    const add = change.action === 'ADD';
    const time = add ? change.closedAt : change.at;
    const name = add ? `add:${change.openedAt}:${change.closedAt}` : `delete:${change.at}:${change.child}`;
    return {
      '@context': [EPCIS_CONTEXT, { rp: RP_NAMESPACE }],
      type: 'AggregationEvent',
      eventID: this.namer.of(change.parent, name),
      eventTime: new Date(time).toISOString(),
      eventTimeZoneOffset: timeZoneOffset(time),
      action: change.action,
      parentID: change.parent,
      childEPCs: add ? change.children : [change.child],
      bizStep: add ? 'packing' : 'unpacking',
      ...(where.disposition ? { disposition: where.disposition } : {}),
      readPoint: { id: where.readPointUri },
      ...(where.bizLocation ? { bizLocation: { id: where.bizLocation } } : {}),
      'rp:gateway': where.gatewayId,
      'rp:readPoint': this.readPointId,
      ...(change.readerId !== undefined ? { 'rp:reader': change.readerId } : {}),
      'rp:sequence': sequence,
      ...(add
        ? { 'rp:openedAt': new Date(change.openedAt).toISOString(), 'rp:closedBy': change.closedBy }
        : {}),
    };
  }

  /** The event as published (JSON text). */
  text(change: CaseChange, sequence: number): string {
    return JSON.stringify(this.event(change, sequence));
  }
}
