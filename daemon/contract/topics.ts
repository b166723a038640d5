/**
 * The wire contract: every topic readpoint publishes, and the shape of each payload.
 * Upstream systems rely on these; change them only with a version bump of the prefix
 * (readpoint/v1 -> readpoint/v2) and a migration note in the README.
 *
 * Topic segments that come from configuration are validated by the config schema; segments
 * that could come from elsewhere go through `segment()`, which refuses anything that could
 * change the topic's structure.
 */

const SEGMENT = /^[A-Za-z0-9._-]{1,64}$/;

/** Returns `value` if it is a safe topic segment, else throws a TypeError naming `what`. */
export function segment(value: string, what: string): string {
  if (!SEGMENT.test(value)) {
    throw new TypeError(
      `${what} ${JSON.stringify(value)} is not a valid topic segment ([A-Za-z0-9._-], 1-64 chars)`,
    );
  }
  return value;
}

export interface Topics {
  /** `<prefix>/<site>/<gateway>/events/<readPoint>`: one EPCIS ObjectEvent, QoS 1, not retained. */
  events(readPoint: string): string;
  /** Retained `online` / `offline` (also the MQTT last will). */
  readonly status: string;
  /** Periodic `HealthPayload`, QoS 0. */
  readonly health: string;
  /** `RejectPayload` per read that could not be decoded, QoS 0. */
  readonly rejects: string;
  /** Filter matching every event of this gateway. */
  readonly allEvents: string;
}

export function topics(prefix: string, site: string, gateway: string): Topics {
  for (const part of prefix.split('/')) segment(part, 'topic prefix part');
  const base = `${prefix}/${segment(site, 'site')}/${segment(gateway, 'gateway id')}`;
  return {
    events: (readPoint) => `${base}/events/${segment(readPoint, 'read point id')}`,
    status: `${base}/status`,
    health: `${base}/health`,
    rejects: `${base}/rejects`,
    allEvents: `${base}/events/+`,
  };
}

export type StatusPayload = 'online' | 'offline';

/** Published on `.../rejects` for each read that could not be framed or decoded. */
export interface RejectPayload {
  readonly gateway: string;
  readonly reader: string;
  readonly readPoint?: string;
  readonly time: string;
  /** Stable machine-readable reason, e.g. `check-digit`, `overlong`. */
  readonly code: string;
  readonly message: string;
  /** The raw bytes as hex (at most the first 4096 bytes). */
  readonly rawHex: string;
  readonly rawLength: number;
}

export interface ReaderHealth {
  readonly id: string;
  readonly driver: string;
  readonly state: string;
  readonly reads: number;
  readonly rejects: number;
  readonly reconnects: number;
  readonly lastReadAgeS?: number;
  readonly lastError?: string;
}

/** Published on `.../health` every `uplink.healthIntervalS`. */
export interface HealthPayload {
  readonly gateway: string;
  readonly site: string;
  readonly time: string;
  readonly uptimeS: number;
  readonly readers: readonly ReaderHealth[];
  readonly events: {
    readonly published: number;
    readonly suppressedReads: number;
    readonly rejected: number;
  };
  readonly outbox: {
    readonly depth: number;
    readonly bytes: number;
    readonly oldestUndeliveredAgeS?: number;
    readonly dropped: number;
    readonly firstDroppedSeq?: number;
    readonly lastDroppedSeq?: number;
    readonly lastSeq: number;
  };
  readonly uplink: {
    readonly state: string;
    readonly connects: number;
    readonly inflight: number;
    readonly rttMs?: number;
  };
}
