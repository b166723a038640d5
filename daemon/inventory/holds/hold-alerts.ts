/**
 * The check on the read path: each event's unit is looked up in the hold index as it is
 * numbered (constant time, nothing allocated for a unit not held). A held unit fires its read
 * point's local signal at once and gets an alert, recorded durably after the event once the
 * entry's text is read from disk. The entries of several alerts are read at once, and the alerts
 * recorded in the order their units were read. Alerts are rate-limited per unit and hold, in
 * bounded memory. Once recorded, each alert is told to the listeners (the console) as a short
 * notice.
 */
import type { HoldAlert, Topics } from '../../contract/topics.js';
import type { Logger } from '../../log.js';
import type { Recorder } from '../../recorder.js';
import type { EventObserver, NumberedEvent } from '../observers.js';
import type { HoldAlertListeners } from './hold-alert-listeners.js';
import type { HoldBook } from './hold-book.js';
import { entryName, type HoldEntry } from './hold-entry.js';
import type { HoldHit, HoldIndex } from './hold-index.js';
import type { HoldSignals } from './hold-signal.js';

/** Units and holds whose last alert time is kept for the rate limit; the oldest are forgotten. */
const MAX_RATE_KEYS = 10_000;

export interface AlertCounts {
  hits: number;
  alerts: number;
  /** Sightings of held units not alerted because of the rate limit. */
  heldBack: number;
  /** Alerts that could not be recorded (an entry gone from disk meanwhile, a store error). */
  failures: number;
}

export interface HoldAlertsOptions {
  readonly site: string;
  readonly gatewayId: string;
  readonly alertIntervalMs: number;
  readonly versionOf: (list: HoldHit['list']) => number | undefined;
  /** Told of each alert once recorded; absent, nobody is. */
  readonly listeners?: HoldAlertListeners;
}

export class HoldAlerts implements EventObserver {
  readonly counts: AlertCounts = { hits: 0, alerts: 0, heldBack: 0, failures: 0 };
  private readonly lastAlert = new Map<string, { at: number; repeated: number }>();
  private readonly hits: HoldHit[] = [];
  private readonly collect = (hit: HoldHit) => {
    this.hits.push(hit);
  };
  private stopped = false;
  /** Settles once the last alert queued is handed to the recorder (or given up). */
  private inReadOrder: Promise<void> = Promise.resolve();

  constructor(
    private readonly index: HoldIndex,
    private readonly book: HoldBook,
    private readonly recorder: Recorder,
    private readonly topics: Topics,
    private readonly signals: HoldSignals,
    private readonly options: HoldAlertsOptions,
    private readonly log: Logger,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  eventNumbered(event: NumberedEvent): void {
    if (this.index.size === 0 || this.stopped) return;
    const { sighting } = event;
    if (sighting.transition === 'departure') return;
    const now = Date.now();
    this.index.lookup(sighting.identity, now, this.collect);
    if (this.hits.length === 0) return;
    const hits = this.hits.splice(0);
    let signalled = false;
    for (const hit of hits) {
      this.counts.hits++;
      const repeated = this.admit(`${sighting.identity.uri}\n${hit.list}\n${nameOfHit(hit)}`, now);
      if (repeated === undefined) {
        this.counts.heldBack++;
        continue;
      }
      if (!signalled) this.signals.fire(sighting.readPointId, sighting.identity.uri);
      signalled = true;
      this.queue(event, hit, repeated);
    }
  }

  /**
   * Reads the entry now, beside any other alert's, and records the alert once every alert queued
   * before it has been handed to the recorder: the outbox numbers them in read order. The chain
   * waits for the hand-over only, never for a write, so a burst of held units shares group commits.
   */
  private queue(event: NumberedEvent, hit: HoldHit, repeated: number): void {
    const failed = (err: unknown) => {
      this.counts.failures++;
      this.log.error({ err, seq: event.seq }, 'could not record a hold alert');
    };
    // Settled at once into a value: a read that fails while earlier alerts wait is not left unhandled.
    const entry = this.book.get(hit.list, nameOfHit(hit)).then(
      (found) => ({ found }),
      (err: unknown) => ({ err }),
    );
    this.inReadOrder = this.inReadOrder
      .then(async () => {
        const read = await entry;
        if ('err' in read) failed(read.err);
        else this.record(event, hit, repeated, read.found)?.catch(failed);
      })
      .catch(failed);
  }

  /** The sightings held back since the last alert of this key, or undefined to hold this one back. */
  private admit(key: string, now: number): number | undefined {
    const last = this.lastAlert.get(key);
    if (last && now - last.at < this.options.alertIntervalMs) {
      last.repeated++;
      return undefined;
    }
    this.lastAlert.delete(key);
    if (this.lastAlert.size >= MAX_RATE_KEYS) this.lastAlert.delete(this.lastAlert.keys().next().value!);
    this.lastAlert.set(key, { at: now, repeated: 0 });
    return last?.repeated ?? 0;
  }

  /** Hands the alert to the recorder at once; the promise settles once it is stored and told. */
  private record(
    event: NumberedEvent,
    hit: HoldHit,
    repeated: number,
    entry: HoldEntry | undefined,
  ): Promise<void> | undefined {
    // A hash collision, or the entry removed in between: no alert.
    if (!entry || entry.key !== hit.key || this.stopped) return undefined;
    const { sighting } = event;
    const id = sighting.identity;
    const alert = (sequence: number): HoldAlert => ({
      type: 'hold',
      gateway: this.options.gatewayId,
      site: this.options.site,
      readPoint: sighting.readPointId,
      reader: sighting.readerId,
      time: new Date(sighting.time ?? sighting.firstSeen).toISOString(),
      unit: id.uri,
      ...(id.gtin !== undefined ? { gtin: id.gtin } : {}),
      ...(id.serial !== undefined ? { serial: id.serial } : {}),
      ...(id.lot !== undefined ? { lot: id.lot } : {}),
      eventID: event.eventId,
      eventSequence: event.seq,
      transition: sighting.transition ?? 'arrival',
      hold: holdOf(hit, entry, this.options.versionOf(hit.list)),
      ...(repeated > 0 ? { repeated } : {}),
      sequence,
    });
    const topic = this.topics.alerts(sighting.readPointId);
    let sequence = 0;
    const recording = this.recorder.recordAll([
      {
        topic,
        build: (seq) => {
          sequence = seq;
          return JSON.stringify(alert(seq));
        },
      },
    ]);
    return recording.then((recorded) =>
      this.recorded(event, hit, entry, repeated, sequence, recorded.stored),
    );
  }

  private recorded(
    event: NumberedEvent,
    hit: HoldHit,
    entry: HoldEntry,
    repeated: number,
    sequence: number,
    stored: number,
  ): void {
    const { sighting } = event;
    const id = sighting.identity;
    this.counts.alerts++;
    // Only an alert the outbox took is told: a screen shows what goes upstream.
    if (stored === 1)
      this.options.listeners?.notify({
        unit: id.uri,
        readPoint: sighting.readPointId,
        reader: sighting.readerId,
        time: new Date(sighting.time ?? sighting.firstSeen).toISOString(),
        list: hit.list,
        kind: entry.kind,
        ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
        ...(entry.reference !== undefined ? { reference: entry.reference } : {}),
        sequence,
        eventSequence: event.seq,
        repeated,
      });
    this.log.warn(
      {
        readPoint: sighting.readPointId,
        unit: id.uri,
        list: hit.list,
        reference: entry.reference,
        seq: event.seq,
      },
      'held unit seen',
    );
  }
}

function nameOfHit(hit: HoldHit): string {
  return hit.range
    ? entryName({ key: hit.key, serials: { from: `${hit.range[0]}`, to: `${hit.range[1]}` } })
    : hit.key;
}

function holdOf(hit: HoldHit, entry: HoldEntry, version: number | undefined): HoldAlert['hold'] {
  const { key: _key, ...rest } = entry;
  return { list: hit.list, ...(version !== undefined ? { version } : {}), ...rest };
}
