/**
 * What a live reload changes: the difference between the running configuration and a new one,
 * worked out before anything is touched.
 *
 * - Readers added, removed or changed (any field) are started, stopped or restarted one by one;
 *   the others keep reading.
 * - Read points added, removed or changed (their own fields, or the smoothing defaults they
 *   inherit) get new smoothing rules; the passes open at a changed or removed read point are
 *   ended first, as if their units had left, so their departures and passages are reported.
 * - An uplink change (broker URL, login, TLS, keepalive, in-flight window, retry) reconnects it.
 * - Jobs, the metrics endpoint and the log level are swapped in place.
 * - The logins at the embedded broker (network readers, consumers, the floor login, anonymous
 *   access) are replaced (the gateway reads and checks them first, password files included, so a
 *   reload also picks up a changed file); sessions under a changed or removed login are closed.
 * - The outbox is never touched. What cannot change while running (the gateway's identity and
 *   topics, the data directory, the outbox, the embedded broker's address, limits and whether it
 *   runs, the smoothing memory bound, how rejects are logged and published, the pack stations and
 *   the readers that scan there, the read points' transaction-context settings, the holds settings
 *   and local signals, the where-is index's bounds, the web console) makes the whole reload
 *   refused, naming each field: the running configuration stays as it is.
 */
import { embeddedBrokerRuns } from '../config/broker.js';
import type { Config, ReaderConfig } from '../config/schema.js';
import { topics } from './contract/topics.js';
import { contextSettings } from './inventory/context/context-settings.js';
import { holdSettings } from './inventory/holds/hold-settings.js';
import { packStationConfig } from './inventory/packing/pack-config.js';
import { readPointSettings } from './read-points.js';

export interface ReloadPlan {
  /** Fields whose change needs a restart; when not empty, nothing is applied. */
  readonly restartNeeded: readonly string[];
  readonly readers: {
    readonly added: readonly ReaderConfig[];
    readonly removed: readonly string[];
    readonly changed: readonly ReaderConfig[];
  };
  readonly readPoints: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly changed: readonly string[];
  };
  readonly uplink: boolean;
  readonly jobs: boolean;
  readonly metrics: boolean;
  readonly logLevel: boolean;
  /** True when the new configuration changes nothing that runs. */
  readonly unchanged: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The embedded broker's own settings; its logins (readers, consumers, anonymous access) change live. */
const listener = (b: Config['broker']) => {
  const { username: _u, password: _p, consumers: _c, allowAnonymous: _a, ...rest } = b;
  return rest;
};

/** The uplink's settings that need a reconnect (the health interval is a job, the prefix a restart). */
const connection = (c: Config) => {
  const { healthIntervalS: _h, topicPrefix: _p, ...rest } = c.uplink;
  return rest;
};

export function planReload(running: Config, next: Config): ReloadPlan {
  const restartNeeded: string[] = [];
  const needs = (field: string, a: unknown, b: unknown) => {
    if (!same(a, b)) restartNeeded.push(field);
  };
  needs('gateway', running.gateway, next.gateway);
  needs('dataDir', running.dataDir, next.dataDir);
  needs('outbox', running.outbox, next.outbox);
  needs('broker', listener(running.broker), listener(next.broker));
  needs('whether the embedded broker runs', embeddedBrokerRuns(running), embeddedBrokerRuns(next));
  needs('broker.limits', running.broker.limits, next.broker.limits);
  needs('uplink.topicPrefix', running.uplink.topicPrefix, next.uplink.topicPrefix);
  needs('smoothing.maxTracked', running.smoothing.maxTracked, next.smoothing.maxTracked);
  needs('memory', running.memory, next.memory);
  needs('rejects', running.rejects, next.rejects);
  needs('console', running.console, next.console);
  needs('pack stations (their read points or readers)', packStationConfig(running), packStationConfig(next));
  needs(
    'transaction contexts (read points with context, their scanners)',
    contextSettings(running),
    contextSettings(next),
  );
  needs("holds (the holds section, read points' holdSignal)", holdSettings(running), holdSettings(next));
  needs('where', running.where, next.where);

  const before = new Map(running.readers.map((r) => [r.id, r]));
  const after = new Map(next.readers.map((r) => [r.id, r]));
  const readers = {
    added: next.readers.filter((r) => !before.has(r.id)),
    removed: running.readers.filter((r) => !after.has(r.id)).map((r) => r.id),
    changed: next.readers.filter((r) => before.has(r.id) && !same(before.get(r.id), r)),
  };

  // Compared as they run: a read point also changes when a smoothing default it inherits does.
  const t = topics(running.uplink.topicPrefix, running.gateway.site, running.gateway.id);
  const pointsBefore = readPointSettings(running, t);
  const pointsAfter = readPointSettings(next, t);
  const readPoints = {
    added: [...pointsAfter.keys()].filter((id) => !pointsBefore.has(id)),
    removed: [...pointsBefore.keys()].filter((id) => !pointsAfter.has(id)),
    changed: [...pointsAfter.keys()].filter(
      (id) => pointsBefore.has(id) && !same(pointsBefore.get(id), pointsAfter.get(id)),
    ),
  };

  // Cycle counts are scheduled, and their events' places taken, when the daemon starts.
  needs('jobs.cycleCount', running.jobs.cycleCount ?? [], next.jobs.cycleCount ?? []);
  for (const c of next.jobs.cycleCount ?? [])
    needs(
      `read point ${c.readPoint} (it is counted)`,
      pointsBefore.get(c.readPoint)?.where,
      pointsAfter.get(c.readPoint)?.where,
    );

  const uplink = !same(connection(running), connection(next));
  const jobs =
    !same(running.jobs, next.jobs) || running.uplink.healthIntervalS !== next.uplink.healthIntervalS;
  const metrics = !same(running.metrics, next.metrics);
  const logLevel = running.log.level !== next.log.level;
  const unchanged =
    restartNeeded.length === 0 &&
    readers.added.length + readers.removed.length + readers.changed.length === 0 &&
    readPoints.added.length + readPoints.removed.length + readPoints.changed.length === 0 &&
    !uplink &&
    !jobs &&
    !metrics &&
    !logLevel;
  return { restartNeeded, readers, readPoints, uplink, jobs, metrics, logLevel, unchanged };
}

/** One line for the log and the health topic: what the reload did. */
export function describePlan(plan: ReloadPlan): string {
  if (plan.unchanged) return 'nothing changed';
  const parts: string[] = [];
  const list = (what: string, ids: readonly string[]) => {
    if (ids.length > 0) parts.push(`${what} ${ids.join(', ')}`);
  };
  list(
    'readers added:',
    plan.readers.added.map((r) => r.id),
  );
  list('readers removed:', plan.readers.removed);
  list(
    'readers changed:',
    plan.readers.changed.map((r) => r.id),
  );
  list('read points added:', plan.readPoints.added);
  list('read points removed:', plan.readPoints.removed);
  list('read points changed:', plan.readPoints.changed);
  if (plan.uplink) parts.push('uplink reconnected');
  if (plan.jobs) parts.push('jobs rescheduled');
  if (plan.metrics) parts.push('metrics endpoint restarted');
  if (plan.logLevel) parts.push('log level changed');
  return parts.join('; ');
}
