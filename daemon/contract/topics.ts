/**
 * The wire contract: every topic readpoint publishes, and the shape of each payload.
 * Upstream systems rely on these; change them only with a version bump of the prefix
 * (readpoint/v1 -> readpoint/v2) and a migration note in CHANGELOG.md; additions within a version
 * are optional fields, recorded there too. docs/topics-and-payloads.md describes every payload.
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
  /** Periodic `HealthPayload`, QoS 0, retained: a late subscriber gets the latest at once. */
  readonly health: string;
  /**
   * `RejectPayload` per read that could not be framed or decoded, QoS 0; per reader at most
   * `rejects.burst` at once and `rejects.perSecond` beyond, the others counted in `skipped`.
   */
  readonly rejects: string;
  /** `OverflowNotice` per batch of events the outbox's overflow policy dropped, QoS 1, not retained. */
  readonly overflow: string;
  /** Filter matching every event of this gateway. */
  readonly allEvents: string;
  /** Retained `SummaryPayload` (reads, events, rejects per reader) on the `jobs.summary` schedule. */
  readonly summary: string;
  /** `<base>/alerts/<readPoint>`: a `HoldAlert` per held unit seen there, QoS 1, durable like events. */
  alerts(readPoint: string): string;
  /** Upstream input, retained: `<base>/context/<readPoint>`, the read point's transaction context. */
  context(readPoint: string): string;
  /** Filter of every read point's context input (`<base>/context/+`). */
  readonly contexts: string;
  /** `ContextChange` per change of a read point's context, QoS 1, recorded in the outbox. */
  contextChanges(readPoint: string): string;
  /**
   * `<prefix>/<site>/<gateway>/counts/<readPoint>`: the cycle counts of a read point (EPCIS
   * ObjectEvents, bizStep cycle_counting; daemon/contract/count.schema.json), QoS 1, not retained.
   */
  counts(readPoint: string): string;
  /**
   * Upstream input: `WhereQuestion`s (where was this unit seen last?), answered with a
   * `WhereAnswer` on the question's MQTT 5 response topic or its `replyTo`.
   */
  readonly queryWhere: string;
  /**
   * `<prefix>/<site>/<gateway>/replies/`: answers to questions from upstream go only below it
   * (`replyTopicAllowed`), so a requester cannot make the gateway publish on a contract topic.
   */
  readonly replies: string;
  /** Whether an answer may go to `topic`, a topic a requester named (see `replyTopicAllowed`). */
  replyTopicAllowed(topic: string): boolean;
  /** The topics upstream systems publish to and the gateway subscribes to, by kind. */
  readonly inputs: InputTopics;
  /**
   * `<base>/aggregations/<readPoint>`: one EPCIS AggregationEvent of a pack station (a case
   * closed: ADD; a unit taken out: DELETE), QoS 1, not retained, durable like events.
   */
  aggregations(readPoint: string): string;
}

/** What upstream may publish to a gateway, by kind (the embedded broker grants kinds to consumers). */
export interface InputTopics {
  /** Holds and recalls: `<prefix>/<site>/holds` (the whole site) and `<base>/holds`. */
  readonly holds: readonly string[];
  /** Retained transaction context per read point: `<base>/context/<readPoint>`; this is `<base>/context/`. */
  readonly context: string;
  /** Questions: `<base>/query/<question>` (e.g. `query/where`); this is `<base>/query/`. */
  readonly query: string;
}

export type InputKind = 'holds' | 'context' | 'query';
export const INPUT_KINDS: readonly InputKind[] = ['holds', 'context', 'query'];

/** Levels a reply topic may have below the replies prefix. */
export const MAX_REPLY_LEVELS = 4;

/**
 * Whether `topic` is below `replies` (which ends in `/`) with 1 to MAX_REPLY_LEVELS further
 * levels, each a valid segment (so no wildcard, no empty level, nothing but [A-Za-z0-9._-]).
 */
export function replyTopicAllowed(replies: string, topic: string): boolean {
  if (!topic.startsWith(replies)) return false;
  const levels = topic.slice(replies.length).split('/');
  return levels.length <= MAX_REPLY_LEVELS && levels.every((level) => SEGMENT.test(level));
}

/** The input topics of the gateway whose topics are below `base` (`<prefix>/<site>/<gateway>`). */
export function inputTopics(base: string): InputTopics {
  const siteBase = base.slice(0, base.lastIndexOf('/'));
  return {
    holds: [`${siteBase}/holds`, `${base}/holds`],
    context: `${base}/context/`,
    query: `${base}/query/`,
  };
}

/** The input kind `topic` is of for this gateway, if any (one level below context/ or query/). */
export function inputKindOf(inputs: InputTopics, topic: string): InputKind | undefined {
  if (inputs.holds.includes(topic)) return 'holds';
  for (const kind of ['context', 'query'] as const) {
    const prefix = inputs[kind];
    if (topic.startsWith(prefix) && SEGMENT.test(topic.slice(prefix.length))) return kind;
  }
  return undefined;
}

export function topics(prefix: string, site: string, gateway: string): Topics {
  for (const part of prefix.split('/')) segment(part, 'topic prefix part');
  const base = `${prefix}/${segment(site, 'site')}/${segment(gateway, 'gateway id')}`;
  const replies = `${base}/replies/`;
  return {
    events: (readPoint) => `${base}/events/${segment(readPoint, 'read point id')}`,
    status: `${base}/status`,
    health: `${base}/health`,
    rejects: `${base}/rejects`,
    overflow: `${base}/overflow`,
    allEvents: `${base}/events/+`,
    summary: `${base}/summary`,
    queryWhere: `${base}/query/where`,
    alerts: (readPoint) => `${base}/alerts/${segment(readPoint, 'read point id')}`,
    context: (readPoint) => `${base}/context/${segment(readPoint, 'read point id')}`,
    contexts: `${base}/context/+`,
    contextChanges: (readPoint) => `${base}/context-changes/${segment(readPoint, 'read point id')}`,
    counts: (readPoint) => `${base}/counts/${segment(readPoint, 'read point id')}`,
    replies,
    replyTopicAllowed: (topic) => replyTopicAllowed(replies, topic),
    inputs: inputTopics(base),
    aggregations: (readPoint) => `${base}/aggregations/${segment(readPoint, 'read point id')}`,
  };
}

export type StatusPayload = 'online' | 'offline';

/** A question on `.../query/where`. Schema: daemon/contract/where-question.schema.json. */
export interface WhereQuestion {
  /** The units asked about: scans (`\x1d` for a GS), Digital Link URIs, EPC hex or EPC URIs. */
  readonly units: readonly string[];
  /** MQTT 3.1.1: where the answer goes (MQTT 5: the response topic wins). */
  readonly replyTo?: string;
  /** Handed back in the answer as given. */
  readonly correlationId?: string;
}

/** The answer to a `WhereQuestion`. Schema: daemon/contract/where-answer.schema.json. */
export interface WhereAnswer {
  readonly gateway: string;
  readonly site: string;
  readonly time: string;
  readonly correlationId?: string;
  /** One per unit asked about, in the order asked; absent when the question itself was refused. */
  readonly results?: readonly WhereResult[];
  /** Why the question was refused (not JSON, a field wrong, too many units). */
  readonly error?: { readonly code: string; readonly message: string };
}

/** What the gateway knows of one unit asked about. */
export type WhereResult =
  | {
      readonly query: string;
      readonly found: true;
      /** The URI the unit's events name it by. */
      readonly unit: string;
      readonly readPoint: string;
      readonly reader: string;
      /** The last event's time, ISO 8601 (its eventTime). */
      readonly time: string;
      readonly transition: string;
      readonly eventID: string;
      readonly sequence: number;
    }
  | { readonly query: string; readonly found: false; readonly unit: string }
  | {
      readonly query: string;
      readonly found: false;
      readonly error: { readonly code: string; readonly message: string };
    };

/**
 * Published on `.../rejects` for a read that could not be framed or decoded. A noisy reader's
 * rejects are published at a bounded rate (`rejects.burst`, `rejects.perSecond`); the ones held
 * back are counted in the next published reject of the same reader, so each message stands for
 * `1 + (skipped?.total ?? 0)` rejects and a reader's messages add up to its rejects.
 */
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
  /**
   * Additive within v1: rejects of this reader not published since its previous published reject
   * (this one not counted), in all and by code; absent when none were held back.
   */
  readonly skipped?: RejectSkipped;
}

/** The rejects of a reader that a published reject stands for beyond itself. */
export interface RejectSkipped {
  readonly total: number;
  readonly byCode: Readonly<Record<string, number>>;
}

/**
 * Published on `.../overflow` (QoS 1) while the outbox drops events: at most one per second,
 * each naming exactly the sequence numbers dropped since the previous one. At least once: a
 * notice not acknowledged is merged into the next (also after a restart), so a consumer takes
 * the union of `ranges`. Schema: daemon/contract/overflow.schema.json.
 */
export interface OverflowNotice {
  readonly gateway: string;
  readonly site: string;
  /** The outbox's overflow policy (`outbox.overflow`). */
  readonly policy: string;
  /** Events dropped in this notice (the sum of its ranges). */
  readonly dropped: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** When the first and the last dropped event (by sequence number) were accepted, ISO 8601. */
  readonly firstAt: string;
  readonly lastAt: string;
  /** Every dropped sequence number, as inclusive [from, to] ranges in ascending order. */
  readonly ranges: readonly (readonly [number, number])[];
  /** Dropped over the gateway's whole life (kept across restarts). */
  readonly totalDropped: number;
  readonly time: string;
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
  // Added within v1 (optional for consumers of older gateways):
  /** state === 'connected'. */
  readonly connected?: boolean;
  /** Reads per minute over the last minute. */
  readonly readsPerMin?: number;
  /** Times the reader went disconnected (a failed open, a lost device or connection). */
  readonly errors?: number;
  /** Additive within v1: rejected reads since start by reject code (the `code` of `RejectPayload`); {} when none. */
  readonly rejectsByCode?: Readonly<Record<string, number>>;
}

/** The running configuration and its live reloads. */
export interface ConfigHealth {
  /** 1 at start, +1 for each reload that was applied. */
  readonly generation: number;
  readonly loadedAt: string;
  readonly reloads: number;
  readonly reloadFailures: number;
  /** The last reload asked for (SIGHUP): applied or refused, and why. */
  readonly lastReload?: { readonly at: string; readonly ok: boolean; readonly message: string };
}

/** Published (retained) on `.../summary` on the `jobs.summary` schedule, daily by default. */
export interface SummaryPayload {
  readonly gateway: string;
  readonly site: string;
  /** The period: since the previous summary (or the start), until now. ISO 8601. */
  readonly from: string;
  readonly to: string;
  readonly readers: readonly ReaderSummary[];
  readonly totals: Omit<ReaderSummary, 'id'>;
  /** Events delivered (PUBACK) in the period, and the outbox depth at its end. */
  readonly delivered: number;
  readonly outboxDepth: number;
}

export interface ReaderSummary {
  readonly id: string;
  readonly reads: number;
  readonly events: number;
  readonly rejects: number;
  readonly errors: number;
}

/** Published (retained) on `.../health` every `uplink.healthIntervalS`. */
export interface HealthPayload {
  readonly gateway: string;
  readonly site: string;
  readonly time: string;
  readonly uptimeS: number;
  /** When the next scheduled heartbeat is due. Added within v1. */
  readonly nextHeartbeatAt?: string;
  readonly readers: readonly ReaderHealth[];
  readonly events: {
    readonly published: number;
    readonly suppressedReads: number;
    readonly rejected: number;
    // Added within v1 (optional for consumers of older gateways):
    readonly belowFloorReads?: number;
    readonly noReads?: number;
    readonly multiReads?: number;
  };
  /**
   * Open passes, fixtures among them, passes ended early to stay bounded (added within v1); the
   * bound, and the heap bytes the open passes take, estimated (added later within v1).
   */
  readonly smoothing?: {
    readonly tracked: number;
    readonly fixtures: number;
    readonly evicted: number;
    readonly maxTracked?: number;
    readonly bytes?: number;
  };
  readonly outbox: {
    readonly depth: number;
    readonly bytes: number;
    readonly oldestUndeliveredAgeS?: number;
    readonly dropped: number;
    readonly firstDroppedSeq?: number;
    readonly lastDroppedSeq?: number;
    readonly lastSeq: number;
    // Added within v1:
    /** Undelivered events (the same as depth). */
    readonly backlog: number;
    /** `outbox.overflow`: drop-oldest, drop-newest or stop-reading. */
    readonly policy: string;
    /** Events accepted / acknowledged per second, over the last ~30 s. */
    readonly appendRate: number;
    readonly ackRate: number;
    /** Seconds until the outbox is full at the current net fill rate; null when it is not filling. */
    readonly runwayS: number | null;
    /** The readers are held back now (stop-reading with a full outbox, or a store that cannot be written). */
    readonly readingStopped: boolean;
    /** Seconds the readers were held back since start, and how many times it happened. */
    readonly stalledS: number;
    readonly stalls: number;
    /** Events waiting in memory for the store (not yet accepted). */
    readonly held: number;
    /** Present while the store cannot be written, e.g. `ENOSPC: no space left on device`. */
    readonly writeError?: string;
    /** Dropped events not yet announced in an acknowledged overflow notice. */
    readonly unannouncedDrops: number;
    /** Dropped over the gateway's whole life (kept across restarts). */
    readonly totalDropped: number;
    /** Stored records that could not be decoded since start, moved aside under `q!` and logged. */
    readonly quarantined: number;
    /** A backlog is being replayed beside live events (docs/durability.md, "Replay after an outage"). */
    readonly replaying: boolean;
  };
  readonly uplink: {
    readonly state: string;
    readonly connects: number;
    readonly inflight: number;
    readonly rttMs?: number;
    /** Additive within v1, with several nodes in uplink.url: the node in use or last tried, from 0. */
    readonly node?: number;
    /** That node's URL without its login. */
    readonly nodeUrl?: string;
    /** Connections made to another node than the one before, since start. */
    readonly nodeSwitches?: number;
  };
  readonly config?: ConfigHealth;
  /**
   * Additive within v1: standing warnings of the running configuration that weaken its security
   * (an anonymous broker beyond loopback, an uplink certificate not verified) or that it cannot
   * keep (a memory budget beyond its process's memory limit); [] when none.
   */
  readonly warnings?: readonly string[];
  /** Additive within v1: the embedded broker, when it runs. */
  readonly broker?: BrokerHealth;
  /** Additive within v1: the inventory features at the edge that run (holds, where-is, ...), by name. */
  readonly inventory?: InventoryHealth;
  /** Additive within v1: the daemon's own memory against its budget and its process's limit. */
  readonly memory?: MemoryHealth;
}

/** The daemon's memory (docs/operations.md), bytes. */
export interface MemoryHealth {
  /** memory.budgetMb: what the daemon sizes itself to. */
  readonly budgetBytes: number;
  /** Its own memory now (RssAnon: heap and native allocations); absent where the OS does not say. */
  readonly ownBytes?: number;
  /** Of that, the JavaScript heap in use. */
  readonly heapUsedBytes: number;
  /** The memory limit of its process (a cgroup: MemoryMax=, a container's); absent when none. */
  readonly limitBytes?: number;
}

/** Each running inventory feature's counters and state, by feature name (docs/inventory.md). */
export type InventoryHealth = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** The embedded broker in a health report. */
export interface BrokerHealth {
  readonly host: string;
  readonly port: number;
  /** Whether clients without a login are let in. */
  readonly anonymous: boolean;
  /** MQTT clients logged in over the network (readers and consumers); the gateway's own session runs in process and is not one of them. */
  readonly clients: number;
  /** Logins refused since start: bad credentials, a client id owned by another login, a throttled address. */
  readonly failedLogins: number;
  /** Connections, packets, subscriptions and publishes refused since start, by reason. */
  readonly refused: Readonly<Record<string, number>>;
}

/**
 * Published on `.../alerts/<readPoint>` (QoS 1, not retained, durable through the outbox like
 * events) when a unit on a hold list is seen: at most one per unit and hold per
 * `holds.alertIntervalS`. The event of the sighting is published as always. Schema:
 * daemon/contract/hold-alert.schema.json.
 */
export interface HoldAlert {
  readonly type: 'hold';
  readonly gateway: string;
  readonly site: string;
  readonly readPoint: string;
  readonly reader: string;
  /** The event's time, ISO 8601. */
  readonly time: string;
  /** The unit as the event names it (its `epcList` entry). */
  readonly unit: string;
  readonly gtin?: string;
  readonly serial?: string;
  readonly lot?: string;
  /** The event of the sighting: its `eventID`, `rp:sequence` and `rp:transition`. */
  readonly eventID: string;
  readonly eventSequence: number;
  readonly transition: string;
  /** The entry that matched, as its list holds it, with the list and the list's version. */
  readonly hold: {
    readonly list: 'site' | 'gateway' | 'local';
    readonly version?: number;
    readonly kind: 'unit' | 'lot' | 'range' | 'gtin' | 'prefix';
    readonly unit?: string;
    readonly gtin?: string;
    readonly lot?: string;
    readonly serials?: { readonly from: string; readonly to: string };
    readonly epcPattern?: string;
    readonly reason?: string;
    readonly reference?: string;
    readonly expires?: string;
  };
  /** Sightings of this unit for this hold not alerted since the previous alert (rate limit); absent when none. */
  readonly repeated?: number;
  /** The alert's own outbox sequence number (shared with events). */
  readonly sequence: number;
}
