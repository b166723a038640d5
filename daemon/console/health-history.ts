/**
 * The console's charts over time, sampled from the same health snapshot the health topic carries
 * (no second source of truth): each reader's reads per minute for its sparkline, and the outbox's
 * depth, oldest undelivered age and runway over the last hour. Fixed-size rings.
 */
import type { HealthPayload } from '../contract/topics.js';
import { mibText } from '../mebibytes.js';

/** Reader sparkline: one point every 2 s, 10 minutes. */
export const SPARK_EVERY_MS = 2_000;
const SPARK_POINTS = 300;
/** Outbox chart: one point every 10 s, one hour. */
export const OUTBOX_EVERY_MS = 10_000;
const OUTBOX_POINTS = 360;

export interface OutboxSeries {
  /** Seconds since the epoch, oldest first. */
  readonly t: number[];
  readonly depth: number[];
  /** null when nothing is undelivered. */
  readonly oldestAgeS: (number | null)[];
  /** null when the outbox is not filling. */
  readonly runwayS: (number | null)[];
}

class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly size: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }
  all(): readonly T[] {
    return this.items;
  }
}

interface OutboxPoint {
  readonly t: number;
  readonly depth: number;
  readonly oldestAgeS: number | null;
  readonly runwayS: number | null;
}

export class HealthHistory {
  private readonly sparks = new Map<string, Ring<number>>();
  private readonly outbox = new Ring<OutboxPoint>(OUTBOX_POINTS);
  private lastSpark = Number.NEGATIVE_INFINITY;
  private lastOutbox = Number.NEGATIVE_INFINITY;

  /** Whether a point is due at `now` (else a snapshot is not needed for the history). */
  due(now: number): boolean {
    return now - this.lastSpark >= SPARK_EVERY_MS || now - this.lastOutbox >= OUTBOX_EVERY_MS;
  }

  /** Takes what is due from a snapshot taken at `now`. */
  sample(health: HealthPayload, now: number): void {
    if (now - this.lastSpark >= SPARK_EVERY_MS) {
      this.lastSpark = now;
      for (const r of health.readers) {
        let ring = this.sparks.get(r.id);
        if (!ring) {
          ring = new Ring(SPARK_POINTS);
          this.sparks.set(r.id, ring);
        }
        ring.push(r.readsPerMin ?? 0);
      }
    }
    if (now - this.lastOutbox >= OUTBOX_EVERY_MS) {
      this.lastOutbox = now;
      const o = health.outbox;
      this.outbox.push({
        t: Math.round(now / 1000),
        depth: o.depth,
        oldestAgeS: o.oldestUndeliveredAgeS ?? null,
        runwayS: o.runwayS,
      });
    }
  }

  /** A reader's reads per minute, oldest first. */
  spark(readerId: string): readonly number[] {
    return this.sparks.get(readerId)?.all() ?? [];
  }

  outboxSeries(): OutboxSeries {
    const points = this.outbox.all();
    return {
      t: points.map((p) => p.t),
      depth: points.map((p) => p.depth),
      oldestAgeS: points.map((p) => p.oldestAgeS),
      runwayS: points.map((p) => p.runwayS),
    };
  }
}

/**
 * What needs a technician's eye now, from the health snapshot: readers not connected, events
 * dropped or held back, a store that cannot be written, an uplink down, hold alerts (counted),
 * the daemon near its memory limit, standing warnings (hold lists past their index's limit among
 * them).
 */
/** Of its memory limit, the share of own memory that is worth an alert. */
const NEAR_LIMIT = 0.8;

const mib = (bytes: number) => mibText(bytes, 0);

export function alertsOf(health: HealthPayload): string[] {
  const alerts: string[] = [];
  for (const r of health.readers)
    if (r.state !== 'connected')
      alerts.push(`reader ${r.id} is ${r.state}${r.lastError ? `: ${r.lastError}` : ''}`);
  const o = health.outbox;
  if (o.writeError) alerts.push(`the outbox cannot be written: ${o.writeError}`);
  if (o.readingStopped) alerts.push('the readers are held back: the outbox is full (stop-reading)');
  if (o.unannouncedDrops > 0)
    alerts.push(`${o.unannouncedDrops} event(s) dropped by the outbox (${o.policy})`);
  if (o.runwayS !== null && o.runwayS < 3600)
    alerts.push(`the outbox is full in ${Math.round(o.runwayS / 60)} min at this rate`);
  if (health.uplink.state !== 'connected') alerts.push(`uplink ${health.uplink.state}`);
  // Hold alerts themselves go upstream on .../alerts/<readPoint>; health carries their counts.
  const holds = health.inventory?.holds;
  if (typeof holds?.alerts === 'number' && holds.alerts > 0)
    alerts.push(
      `${holds.alerts} hold alert(s) since start: units on a hold list were seen (the newest listed below)`,
    );
  if (typeof holds?.alertFailures === 'number' && holds.alertFailures > 0)
    alerts.push(`${holds.alertFailures} hold alert(s) could not be recorded`);
  const m = health.memory;
  if (m?.ownBytes !== undefined && m.limitBytes !== undefined && m.ownBytes > NEAR_LIMIT * m.limitBytes)
    alerts.push(
      `the daemon uses ${mib(m.ownBytes)} of its ${mib(m.limitBytes)} memory limit: the kernel kills it at the limit`,
    );
  for (const w of health.warnings ?? []) alerts.push(w);
  if (health.config?.lastReload && !health.config.lastReload.ok)
    alerts.push(`last reload failed: ${health.config.lastReload.message}`);
  return alerts;
}
