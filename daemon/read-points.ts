/**
 * The read points at run time: each one's event context and topic, its smoothing rules, and the
 * writer that turns the smoother's transitions into events in the outbox (from a read, or from
 * the smoothing tick for departures, presence reports and passages).
 */
import type { Config, ReadPointConfig } from '../config/schema.js';
import type { Topics } from './contract/topics.js';
import type { BusinessContext } from './event/business-context.js';
import type { ReadPointContext, Sighting } from './event/epcis.js';
import { EventBytes } from './event/event-bytes.js';
import type { EventObserver } from './inventory/observers.js';
import type { Logger } from './log.js';
import type { EventTally, PendingEvent, Recorder } from './recorder.js';
import type { ReadPointRules } from './smoothing/smoother.js';
import type { Transition } from './smoothing/transition.js';

/** A read point's settings as it runs: what a reload compares. */
export interface ReadPointSettings {
  readonly config: ReadPointConfig;
  readonly where: ReadPointContext;
  readonly topic: string;
  readonly rules: ReadPointRules;
}

export interface ReadPointRuntime extends ReadPointSettings {
  /** Writes this read point's events as JSON (what buildEvent would give, without the object). */
  readonly eventBytes: EventBytes;
}

export function readPointSettings(config: Config, topics: Topics): Map<string, ReadPointSettings> {
  const out = new Map<string, ReadPointSettings>();
  for (const rp of config.readPoints) {
    const where: ReadPointContext = {
      gatewayId: config.gateway.id,
      readPointUri: rp.uri ?? `urn:readpoint:${config.gateway.site}:${config.gateway.id}:${rp.id}`,
      ...(rp.bizLocation ? { bizLocation: rp.bizLocation } : {}),
      ...(rp.bizStep ? { bizStep: rp.bizStep } : {}),
      ...(rp.disposition ? { disposition: rp.disposition } : {}),
    };
    const rules: ReadPointRules = {
      departureMs: (rp.suppressionS ?? config.smoothing.suppressionS) * 1000,
      departures: rp.departures ?? false,
      ...(rp.presenceS !== undefined ? { presenceMs: rp.presenceS * 1000 } : {}),
      ...(rp.fixtureAfterS !== undefined ? { fixtureAfterMs: rp.fixtureAfterS * 1000 } : {}),
      twoZone: rp.direction !== undefined,
    };
    out.set(rp.id, { config: rp, where, topic: topics.events(rp.id), rules });
  }
  return out;
}

/** The read points with the writers of their events. */
export function readPointRuntimes(config: Config, topics: Topics): Map<string, ReadPointRuntime> {
  const out = new Map<string, ReadPointRuntime>();
  for (const [id, settings] of readPointSettings(config, topics))
    out.set(id, { ...settings, eventBytes: new EventBytes(settings.where) });
  return out;
}

/**
 * What one transition's event says, taken when the transition happens (the pass moves on). One
 * object of one shape: absent fields are undefined, which the event leaves out.
 */
function sightingOf(t: Transition, point: ReadPointRuntime, context: BusinessContext | undefined): Sighting {
  const p = t.pass;
  const direction = t.direction;
  return {
    identity: t.identity ?? p.identity(),
    readerId: p.readerId,
    readPointId: t.readPointId,
    firstSeen: p.firstAt,
    lastSeen: p.lastAt,
    readCount: p.readCount,
    antenna: p.antenna,
    rssi: p.rssi,
    transition: t.kind,
    time: t.time,
    direction,
    confidence: direction === undefined ? undefined : (t.confidence ?? 0),
    bizStep:
      direction === 'inbound'
        ? point.config.direction?.inbound
        : direction === 'outbound'
          ? point.config.direction?.outbound
          : undefined,
    context,
  };
}

export interface Written {
  readonly stored: number;
  /** Refused by the outbox's drop-newest policy (counted and announced there). */
  readonly refused: number;
}

/** Turns transitions into events in the outbox, in the order given. */
export class EventWriter {
  private observers: readonly EventObserver[] = [];
  /** The transaction context active at each read point that has one. */
  private readonly contexts = new Map<string, BusinessContext>();

  constructor(
    private points: ReadonlyMap<string, ReadPointRuntime>,
    /** The gateway's recorder; replay hands a stand-in that numbers and keeps the events. */
    private readonly recorder: Pick<Recorder, 'recordAll' | 'recordInto'>,
    private readonly log?: Logger,
  ) {}

  /** Adds an observer of every event numbered from now on (observers.ts). */
  observe(observer: EventObserver): void {
    this.observers = [...this.observers, observer];
  }

  /**
   * Sets (or with undefined, clears) the transaction context of a read point: every transition
   * written from now on carries it, until it is changed.
   */
  setContext(readPointId: string, context: BusinessContext | undefined): void {
    if (context === undefined) this.contexts.delete(readPointId);
    else this.contexts.set(readPointId, context);
  }

  /** Takes the read points of a reloaded configuration; writes already called keep the old ones. */
  reconfigure(points: ReadonlyMap<string, ReadPointRuntime>): void {
    this.points = points;
  }

  /** Resolves once every event is durable in the outbox (or refused). */
  write(transitions: readonly Transition[]): Promise<Written> {
    return this.recorder.recordAll(this.pending(transitions));
  }

  /**
   * As `write`, counting each event into `tally` as it is stored or refused; the promise may be
   * shared with other writes of the same group commit (`Recorder.recordInto`). The list is not
   * kept: its events are taken before this returns, so the caller may use it again.
   */
  writeInto(transitions: readonly Transition[], tally: EventTally): Promise<void> {
    return this.recorder.recordInto(this.pending(transitions), tally);
  }

  /** The transitions' events, ready to be numbered. */
  private pending(transitions: readonly Transition[]): PendingEvent[] {
    // Every event is recorded at once, in order, before any await: events keep the order of their
    // transitions and share group commits.
    const pending = new Array<PendingSighting>(transitions.length);
    const contexts = this.contexts.size === 0 ? undefined : this.contexts;
    for (let i = 0; i < transitions.length; i++) {
      const t = transitions[i]!;
      const point = this.points.get(t.readPointId);
      if (!point) throw new Error(`transition at unknown read point ${t.readPointId}`);
      pending[i] = new PendingSighting(
        point.topic,
        point.eventBytes,
        sightingOf(t, point, contexts?.get(t.readPointId)),
        this.observers,
        this.log,
      );
    }
    return pending;
  }
}

/** One event waiting for its sequence number: its text is written once it has one. */
class PendingSighting implements PendingEvent {
  constructor(
    readonly topic: string,
    private readonly bytes: EventBytes,
    private readonly sighting: Sighting,
    private readonly observers: readonly EventObserver[],
    private readonly log: Logger | undefined,
  ) {}

  build(seq: number): string {
    const text = this.bytes.event(this.sighting, seq);
    if (this.observers.length > 0) this.tell(text, seq);
    return text;
  }

  private tell(text: string, seq: number): void {
    const event = { sighting: this.sighting, seq, eventId: this.bytes.eventIdIn(text), topic: this.topic };
    for (const observer of this.observers) {
      try {
        observer.eventNumbered(event);
      } catch (err) {
        this.log?.error({ err, seq }, 'an event observer failed; it missed this event');
      }
    }
  }
}
