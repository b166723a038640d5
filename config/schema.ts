/**
 * The one schema of readpoint's configuration. It yields the TypeScript type (`Config`), the
 * validation and defaults (config/load.ts, through Ajv) and the JSON Schema editors use
 * (config/readpoint.schema.json, written by config/write-json-schema.ts; a test fails if stale).
 * Never keep a hand-written type beside it.
 */
import { type Static, Type as T } from '@sinclair/typebox';
import { BrokerLimits } from './broker-limits.js';
import { ConsoleSection } from './console.js';
import { ReadPointContext } from './context.js';
import { CycleCount } from './cycle-count.js';
import { HoldSignal, HoldsSection } from './holds.js';
import { PackMode, PackSettings } from './pack-station.js';
import {
  type Filled,
  type FormatConfig,
  PasswordFields,
  Pattern,
  ReaderBase,
  Retry,
  type RetryConfig,
  Segment,
  SerialDevice,
  Strict,
  Topic,
  Uri,
  type WithReaderDefaults,
} from './reader-base.js';
import {
  type ImpinjR700Config,
  ImpinjR700Reader,
  type ZebraFxConfig,
  ZebraFxReader,
} from './readers/mqtt-reader.js';
import { type R2000Config, R2000Reader } from './readers/r2000.js';
import { type ThingMagicConfig, ThingMagicReader } from './readers/thingmagic.js';
import { type UsbHidConfig, UsbHidReader } from './readers/usb-hid.js';

export type { FormatConfig, RetryConfig };

export const SerialLineReader = Strict(
  {
    ...ReaderBase,
    driver: T.Literal('serial-line'),
    ...SerialDevice,
    baudRate: T.Integer({
      minimum: 50,
      maximum: 4000000,
      default: 9600,
      description: 'As set on the scanner.',
    }),
    dataBits: T.Union([T.Literal(5), T.Literal(6), T.Literal(7), T.Literal(8)], {
      default: 8,
      description: 'As set on the scanner.',
    }),
    parity: T.Union(
      [T.Literal('none'), T.Literal('even'), T.Literal('odd'), T.Literal('mark'), T.Literal('space')],
      {
        default: 'none',
        description: 'As set on the scanner.',
      },
    ),
    stopBits: T.Union([T.Literal(1), T.Literal(1.5), T.Literal(2)], {
      default: 1,
      description: 'As set on the scanner.',
    }),
    delimiter: T.String({
      default: 'CR',
      description:
        'End of a read: CR, LF, CRLF, ETX, "silence" (a read ends when the line goes quiet for silenceMs), ' +
        'or any bytes as hex, e.g. "hex:03".',
      ...Pattern(
        '^(CR|LF|CRLF|ETX|silence|hex:([0-9A-Fa-f]{2}){1,8})$',
        'not a delimiter: use CR, LF, CRLF, ETX, silence, or hex: followed by 1-8 bytes as hex digits (e.g. hex:03)',
      ),
    }),
    silenceMs: T.Integer({
      minimum: 5,
      maximum: 5000,
      default: 50,
      description: 'Gap that ends a read for delimiter: silence.',
    }),
    maxReadLength: T.Integer({
      minimum: 16,
      maximum: 65536,
      default: 4096,
      description: 'Longest read in bytes; longer input is rejected and the stream resynchronises.',
    }),
  },
  'A line-oriented scanner on a serial port (RS-232, USB-serial, USB CDC-ACM).',
);

export const SimulatorReader = Strict(
  {
    ...ReaderBase,
    driver: T.Literal('simulator'),
    readsPerSecond: T.Number({
      exclusiveMinimum: 0,
      maximum: 100000,
      default: 5,
      description: 'Pace of the conveyor.',
    }),
    units: T.Integer({
      minimum: 1,
      maximum: 1000000,
      default: 200,
      description: 'Distinct serialized units on the conveyor.',
    }),
    repeats: T.Integer({
      minimum: 1,
      maximum: 100,
      default: 3,
      description: 'Reads per unit pass (a scanner re-reads).',
    }),
    epcShare: T.Number({
      minimum: 0,
      maximum: 1,
      default: 0.3,
      description: 'Share of reads that are SGTIN-96 tags.',
    }),
    garbageShare: T.Number({
      minimum: 0,
      maximum: 1,
      default: 0.02,
      description: 'Share of reads that are noise.',
    }),
    limit: T.Optional(
      T.Integer({ minimum: 1, description: 'Stop after this many reads (tests, benchmarks).' }),
    ),
    seed: T.Integer({
      default: 1,
      description: 'Seed of the pseudo-random sequence (same seed, same reads).',
    }),
    door: T.Boolean({
      default: false,
      description:
        'A two-zone dock door instead of a conveyor: each tagged unit is read first on one antenna, then ' +
        'on the other (the first half of its repeats on each, rounded up): even units from antenna 1 to ' +
        "antenna 2, odd units from antenna 2 to antenna 1; with 4 or more repeats, every fifth unit's last " +
        'read comes from the antenna it left (a reflection). Map antennas 1 and 2 to zones in antennaMap ' +
        'to see passages inbound and outbound. Off: each tagged unit is read on one antenna (1 or 2).',
    }),
  },
  'A virtual conveyor: serialized GS1 DataMatrix reads and SGTIN-96 tags, with repeats and garbage.',
);

export const Reader = T.Union([
  SerialLineReader,
  SimulatorReader,
  R2000Reader,
  ThingMagicReader,
  UsbHidReader,
  ImpinjR700Reader,
  ZebraFxReader,
]);

const Cron = (description: string, schedule?: string) =>
  T.String({ minLength: 9, maxLength: 120, ...(schedule ? { default: schedule } : {}), description });

const Bizterm = (description: string) =>
  T.String({
    ...Pattern(
      '^([a-z_]+|[A-Za-z][A-Za-z0-9+.-]*:[^\\s]+)$',
      'not a CBV term or URI: use a CBV word in lowercase letters and "_" (e.g. receiving, in_progress) ' +
        'or your own URI (scheme:rest, no spaces)',
    ),
    description,
  });

/** One broker URL; every node of a list obeys the same rules. */
const BrokerUrl = T.String({
  ...Pattern(
    '^(mqtt|mqtts|tcp|ssl)://',
    'not a broker URL: start it with mqtt://, mqtts://, tcp:// or ssl://',
  ),
});

export const ReadPoint = Strict(
  {
    id: Segment('Read point id, the last segment of its events topic.'),
    uri: T.Optional(Uri('EPCIS readPoint.id; defaults to urn:readpoint:<site>:<gateway>:<id>.')),
    bizLocation: T.Optional(Uri('EPCIS bizLocation.id (e.g. an SGLN URI); omitted when absent.')),
    bizStep: T.Optional(Bizterm('CBV business step, e.g. receiving, shipping, or your own URI.')),
    disposition: T.Optional(Bizterm('CBV disposition, e.g. in_progress, or your own URI.')),
    suppressionS: T.Optional(
      T.Number({
        minimum: 0,
        maximum: 86400,
        description:
          'Reads of the same unit within this many seconds of its last read are one pass; a unit not read ' +
          'for longer has departed. Default: smoothing.suppressionS.',
      }),
    ),
    departures: T.Optional(
      T.Boolean({
        description:
          'Also publish a departure event when a unit has not been read for suppressionS (default: only arrivals).',
      }),
    ),
    presenceS: T.Optional(
      T.Number({
        minimum: 1,
        maximum: 86400,
        description:
          'Publish a presence event for a unit that stays, this many seconds after its last event.',
      }),
    ),
    fixtureAfterS: T.Optional(
      T.Number({
        minimum: 1,
        maximum: 31536000,
        description:
          'A unit read without a break for this long is a fixture (a tag on the door frame, a reference tag): ' +
          'no more events about it until it has departed and comes back.',
      }),
    ),
    holdSignal: T.Optional(HoldSignal),
    direction: T.Optional(
      Strict(
        {
          inbound: Bizterm('bizStep of a unit that passed from outside to inside, e.g. receiving.'),
          outbound: Bizterm('bizStep of a unit that passed from inside to outside, e.g. shipping.'),
        },
        'A two-zone dock door: the readers map antennas to the zones inside and outside (antennaMap). Each ' +
          'pass is one passage event at its end, with its direction and a confidence, instead of arrival ' +
          '(and departure) events.',
      ),
    ),
    context: T.Optional(ReadPointContext),
    mode: T.Optional(PackMode),
    pack: T.Optional(PackSettings),
  },
  'A place where units are seen: a conveyor scan tunnel, a dock door.',
);

export const Config = Strict(
  {
    gateway: Strict(
      {
        id: Segment("This gateway's id: a topic segment."),
        site: Segment('The site (warehouse) id: a topic segment.'),
      },
      'Who this gateway is.',
    ),
    dataDir: T.String({
      minLength: 1,
      default: './data',
      description: 'Outbox and state; relative to the working directory.',
    }),
    log: T.Optional(
      Strict(
        {
          level: T.Union(
            ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => T.Literal(l)),
            { default: 'info', description: 'Least severe level logged.' },
          ),
        },
        'Logging (JSON lines on stdout).',
        {},
      ),
    ),
    broker: T.Optional(
      Strict(
        {
          enabled: T.Union([T.Literal('auto'), T.Literal(true), T.Literal(false)], {
            default: 'auto',
            description:
              'Run the embedded broker: auto runs it only when something needs it (a network reader, ' +
              'or no uplink.url); true always; false never.',
          }),
          host: T.String({
            default: '127.0.0.1',
            description: 'Listen address; 0.0.0.0 to serve the floor network.',
          }),
          port: T.Integer({
            minimum: 0,
            maximum: 65535,
            default: 1883,
            description: 'TCP port; 0 picks a free one.',
          }),
          username: T.Optional(
            T.String({
              minLength: 1,
              description:
                "A consumer login (reads the gateway's topics); when set, anonymous clients are refused.",
            }),
          ),
          password: T.Optional(
            T.String({ minLength: 1, description: 'Use ${ENV_VAR} to keep it out of the file.' }),
          ),
          limits: T.Optional(BrokerLimits),
          consumers: T.Optional(
            T.Array(
              Strict(
                {
                  username: T.String({ minLength: 1, maxLength: 128, description: 'Its MQTT username.' }),
                  ...PasswordFields('at start and at each reload'),
                  publish: T.Optional(
                    T.Array(T.Union([T.Literal('holds'), T.Literal('context'), T.Literal('query')]), {
                      uniqueItems: true,
                      maxItems: 3,
                      description:
                        'Input kinds this login may publish to the gateway (none when absent): holds ' +
                        '(<prefix>/<site>/holds and <prefix>/<site>/<gateway>/holds), context ' +
                        '(<prefix>/<site>/<gateway>/context/<readPoint>), query (<prefix>/<site>/<gateway>/query/' +
                        '<question>, never retained). Nothing else, ever: the gateway still validates every message. ' +
                        'Grant a kind only to the system that owns it (a recall service: holds; a WMS: context).',
                    }),
                  ),
                },
                "A consumer login: it reads the gateway's own topics and publishes nothing beyond what publish grants.",
              ),
              { description: 'More consumer logins beside username/password (local dashboards, a WMS).' },
            ),
          ),
          allowAnonymous: T.Boolean({
            default: false,
            description:
              'Let clients without a login in, as read-only consumers, even beside consumer logins or ' +
              'beyond loopback (where a broker with no login is otherwise refused); beyond loopback it is ' +
              'logged as a warning at every start and shown in health.',
          }),
        },
        "The embedded MQTT broker (aedes): the upstream when uplink.url is absent, and the floor's " +
          'broker for network readers and local consumers. Only the gateway publishes its topics; ' +
          "username/password is a consumer login (reads the gateway's topics, writes nothing).",
        {},
      ),
    ),
    uplink: T.Optional(
      Strict(
        {
          url: T.Optional(
            T.Union(
              [
                BrokerUrl,
                T.Array(BrokerUrl, {
                  minItems: 1,
                  maxItems: 16,
                  description: 'The nodes of one clustered broker, tried in turn.',
                }),
              ],
              {
                description:
                  'Central broker; absent = the embedded broker. Use mqtts:// (or ssl://) beyond this box: a login ' +
                  'over mqtt:// to a host other than loopback is a standing warning in health. A login in the URL ' +
                  'must be percent-encoded (/ as %2F, @ as %40); uplink.username / uplink.password need not be. A ' +
                  'list names the nodes of one clustered broker: each connection attempt goes to the next node, ' +
                  'and a connection that holds stays on its node until it is lost. Every node takes the same ' +
                  'login and TLS files.',
              },
            ),
          ),
          clientId: T.Optional(
            T.String({ minLength: 1, maxLength: 64, description: 'Defaults to readpoint-<site>-<gateway>.' }),
          ),
          username: T.Optional(T.String({ minLength: 1, description: 'Login at the central broker.' })),
          password: T.Optional(
            T.String({ minLength: 1, description: 'Use ${ENV_VAR} to keep it out of the file.' }),
          ),
          ca: T.Optional(
            T.String({
              minLength: 1,
              description:
                'PEM file of the CA that signs the broker certificate; needs an mqtts:// (or ssl://) url.',
            }),
          ),
          cert: T.Optional(
            T.String({
              minLength: 1,
              description: 'PEM client certificate file (mutual TLS); needs an mqtts:// url.',
            }),
          ),
          key: T.Optional(
            T.String({
              minLength: 1,
              description:
                'PEM client key file (mutual TLS). Keep it mode 0600: open to group or others, it is a standing ' +
                'warning in health.',
            }),
          ),
          rejectUnauthorized: T.Boolean({
            default: true,
            description:
              'Verify the broker certificate (leave on). false is logged at every connection and is a standing ' +
              'warning in health.',
          }),
          topicPrefix: Topic('Topics are <topicPrefix>/<site>/<gateway>/...', 'readpoint/v1'),
          keepaliveS: T.Integer({
            minimum: 1,
            maximum: 3600,
            default: 30,
            description: 'MQTT keepalive; a silent link is detected within 1.5 x this.',
          }),
          inflight: T.Integer({
            minimum: 1,
            maximum: 1000,
            default: 100,
            description: 'Events published and awaiting PUBACK at most.',
          }),
          liveShare: T.Number({
            minimum: 0,
            maximum: 1,
            default: 0.2,
            description:
              'After an outage, the share of the in-flight window kept for events read since the reconnect ' +
              'while the backlog drains, so live reads are not queued behind it. Each lane keeps sequence ' +
              'order; a live event may arrive before older backlog events of the same read point. 0: strict ' +
              'sequence order for everything. See "Replay after an outage" in docs/durability.md.',
          }),
          thread: T.Boolean({
            default: false,
            description:
              'Run the MQTT client on a worker thread of its own. The main thread then does less per event ' +
              'and the process as a whole somewhat more (see docs/benchmarks.md): worth it only on a box with ' +
              'a core to spare. Ignored with the embedded broker as upstream (its in-process connection stays ' +
              'on the main thread). A thread that fails is restarted and its events are sent again.',
          }),
          retry: T.Optional(Retry),
          protocolVersion: T.Union([T.Literal(4), T.Literal(5)], {
            default: 4,
            description:
              'MQTT protocol to the upstream broker: 4 is MQTT 3.1.1, 5 is MQTT 5. With 5, questions from ' +
              'upstream may name their answer topic and correlation data the MQTT 5 way, and the broker is told ' +
              'the largest message the gateway takes (maxInboundBytes). Mosquitto takes both; the embedded broker ' +
              '(aedes) and RabbitMQ before 3.13 take 4 only.',
          }),
          maxInboundBytes: T.Integer({
            minimum: 1024,
            maximum: 268435455,
            default: 16777216,
            description:
              'The largest message the gateway takes from upstream (holds, contexts, questions), bytes. With ' +
              'protocolVersion 5 the broker is told this (plus room for the topic) and sends nothing larger; ' +
              'with 4 a larger message is received whole, then dropped unread and counted. Each input has its ' +
              'own, smaller bound too.',
          }),
          healthIntervalS: T.Number({
            minimum: 1,
            maximum: 3600,
            default: 30,
            description: 'Seconds between health messages (unless jobs.health gives a schedule).',
          }),
        },
        'Where events go (MQTT QoS 1).',
        {},
      ),
    ),
    outbox: T.Optional(
      Strict(
        {
          maxEvents: T.Integer({ minimum: 10, default: 1000000, description: 'Events stored at most.' }),
          maxBytes: T.Integer({
            minimum: 10000,
            default: 2147483648,
            description:
              'Bytes of stored events at most (events as sent, before compression: about 1.1 KB each, so the ' +
              'default holds the default maxEvents with room to spare).',
          }),
          overflow: T.Union([T.Literal('drop-oldest'), T.Literal('drop-newest'), T.Literal('stop-reading')], {
            default: 'drop-oldest',
            description:
              'When the outbox is full: drop-oldest deletes the oldest undelivered events, drop-newest refuses ' +
              'new ones (both counted on the health topic and announced on the overflow topic with the exact ' +
              'sequence numbers); stop-reading drops nothing and holds the readers back until the outbox has ' +
              'drained below 95% (reads then wait in the readers and the serial buffers).',
          }),
          batchMax: T.Integer({
            minimum: 1,
            maximum: 10000,
            default: 512,
            description: 'Events per group commit at most.',
          }),
          sync: T.Union([T.Literal('batch'), T.Literal('interval')], {
            default: 'batch',
            description:
              'batch: every group commit is fsynced before its events count as accepted (an accepted event ' +
              'survives a power cut). interval: commits go to the page cache and are fsynced at most every ' +
              'syncIntervalMs (a process crash loses nothing; a power cut loses at most the last ' +
              'syncIntervalMs of accepted events). See "Sync policy" in docs/durability.md.',
          }),
          syncIntervalMs: T.Integer({
            minimum: 5,
            maximum: 10000,
            default: 100,
            description: 'With sync: interval, the longest time an accepted event stays unsynced.',
          }),
        },
        'The durable LevelDB outbox.',
        {},
      ),
    ),
    smoothing: T.Optional(
      Strict(
        {
          suppressionS: T.Number({
            minimum: 0,
            maximum: 86400,
            default: 10,
            description:
              'Reads of a unit within this many seconds of its last read at a read point are one pass.',
          }),
          maxTracked: T.Optional(
            T.Integer({
              minimum: 100,
              maximum: 10000000,
              description:
                'Units remembered at most (open passes over all read points). Default: from memory.budgetMb, ' +
                'a fifth of it at about 250 bytes per unit (128 MiB: 107,374 units).',
            }),
          ),
        },
        'Many raw reads -> one event per unit per read point per pass.',
        {},
      ),
    ),
    memory: T.Optional(
      Strict(
        {
          budgetMb: T.Integer({
            minimum: 32,
            maximum: 65536,
            default: 128,
            description:
              "The daemon's own memory (RssAnon: heap and native allocations), MiB, that it sizes itself to: " +
              'a fifth for the units smoothing tracks (unless smoothing.maxTracked is set), 1/32 for ' +
              "LevelDB's block cache, how far the heap grows between collections and, with " +
              'holds on, what the hold index may take (holds.indexMb: three eighths). The ' +
              "outbox files' pages the kernel caches are not counted. Leave room above it in the service's MemoryMax=.",
          }),
        },
        'What the daemon keeps in memory.',
        {},
      ),
    ),
    jobs: T.Optional(
      Strict(
        {
          health: T.Optional(
            Cron(
              'When to publish the health heartbeat, as a cron expression with seconds, e.g. "*/30 * * * * *". ' +
                'Default: every uplink.healthIntervalS seconds.',
            ),
          ),
          summary: Cron(
            'When to publish the summary (reads, events and rejects per reader since the last one) on the ' +
              'summary topic; cron expression, local time. Default: daily at midnight.',
            '0 0 * * *',
          ),
          compaction: Cron(
            'When to look whether the outbox needs compacting (cron expression). It is compacted only when ' +
              'compactAfterEvents events left it since the last compaction.',
            '*/10 * * * *',
          ),
          compactAfterEvents: T.Integer({
            minimum: 1000,
            default: 100000,
            description:
              'Events delivered (or dropped) since the last compaction that make the store worth compacting: ' +
              'LevelDB frees the space of deleted events only when it compacts their files. While a backlog of ' +
              'at least this many events drains, the store is also compacted every this many deliveries (in ' +
              "LevelDB's thread, the drain goes on), and once more when it has drained.",
          }),
          pruning: Cron(
            'When to sweep the smoothing state for passes whose unit has not been read for longer than ' +
              'the read point keeps a pass (cron expression). The 200 ms tick normally ends them; the sweep is ' +
              'the safety net, and logs the state size.',
            '*/5 * * * *',
          ),
          cycleCount: T.Optional(
            T.Array(CycleCount, {
              maxItems: 256,
              description:
                'Cycle counts, at most one per read point: on its schedule each records one EPCIS ObjectEvent ' +
                '(bizStep cycle_counting) on the counts topic of its read point, listing the units present there ' +
                'and those that appeared and went missing since its last count (kept across restarts).',
            }),
          ),
        },
        'Scheduled jobs (cron expressions; 5 fields, or 6 with seconds first).',
        {},
      ),
    ),
    metrics: T.Optional(
      Strict(
        {
          enabled: T.Boolean({ default: false, description: 'Serve Prometheus metrics at /metrics.' }),
          host: T.String({
            default: '127.0.0.1',
            description: 'Listen address; keep it on localhost unless a firewall guards the port.',
          }),
          port: T.Integer({
            minimum: 0,
            maximum: 65535,
            default: 9464,
            description: 'TCP port; 0 picks a free one.',
          }),
        },
        'An optional Prometheus /metrics endpoint with what the health topic carries.',
        {},
      ),
    ),
    console: T.Optional(ConsoleSection),
    rejects: T.Optional(
      Strict(
        {
          burst: T.Integer({
            minimum: 1,
            maximum: 10000,
            default: 20,
            description:
              'Rejects of one reader published at once on the rejects topic before the rate applies.',
          }),
          perSecond: T.Number({
            exclusiveMinimum: 0,
            maximum: 1000,
            default: 5,
            description:
              'Rejects of one reader published per second beyond the burst (more than 0); the others are ' +
              "counted in the next one's `skipped`.",
          }),
          logIntervalS: T.Integer({
            minimum: 1,
            maximum: 86400,
            default: 60,
            description:
              'At most one `read rejected` log line per reader and reject code per this many seconds; ' +
              'the others are counted in its `repeated`.',
          }),
        },
        'How a noisy reader (garbage on the line, a scanner at the wrong baud rate) is reported: its ' +
          'rejects are all counted (health, summary) but logged and published at a bounded rate.',
        {},
      ),
    ),
    holds: T.Optional(HoldsSection),
    where: T.Optional(
      Strict(
        {
          maxUnits: T.Integer({
            minimum: 100,
            maximum: 10000000,
            default: 1000000,
            description:
              'Sightings kept at most, and so units remembered at most: a unit is remembered while its last ' +
              'sighting is among the newest maxUnits (a unit seen again counts once more until its older ' +
              'sighting is the oldest). The others are forgotten, least recently seen first (counted as ' +
              'evictions). The index is on disk (about 250 bytes a sighting before compression), not in memory.',
          }),
          maxAgeDays: T.Number({
            exclusiveMinimum: 0,
            maximum: 3650,
            default: 90,
            description: 'Units not seen for this many days are forgotten (counted as evictions).',
          }),
          flushMs: T.Integer({
            minimum: 10,
            maximum: 60000,
            default: 500,
            description:
              'How often the sightings remembered in memory are written to the index, in one batch. A unit is ' +
              'found at once either way; a crash loses at most this long of sightings (not of events).',
          }),
          maxQueryUnits: T.Integer({
            minimum: 1,
            maximum: 1000,
            default: 100,
            description: 'Units one question on the query topic may name at most.',
          }),
        },
        "Where is it? Each unit's last event (read point, reader, time, transition, eventID), kept in the " +
          'inventory store and asked with `readpoint where` or on the query topic. Absent: no index is kept.',
      ),
    ),
    readPoints: T.Array(ReadPoint, { minItems: 1 }),
    readers: T.Array(Reader, { minItems: 1 }),
  },
  'readpoint configuration.',
);

export type RawConfig = Static<typeof Config>;
export type SerialLineConfig = WithReaderDefaults<Static<typeof SerialLineReader>>;
export type SimulatorConfig = WithReaderDefaults<Static<typeof SimulatorReader>>;
export type ReaderConfig =
  | SerialLineConfig
  | SimulatorConfig
  | R2000Config
  | ThingMagicConfig
  | UsbHidConfig
  | ImpinjR700Config
  | ZebraFxConfig;
export type ReadPointConfig = Static<typeof ReadPoint>;
type UplinkConfig = Filled<NonNullable<RawConfig['uplink']>, 'retry'>;
type BrokerConfig = Filled<NonNullable<RawConfig['broker']>, 'limits'>;

/** The loaded configuration: validated, defaults filled, frozen. */
export type Config = Readonly<
  Omit<
    Filled<RawConfig, 'log' | 'broker' | 'uplink' | 'outbox' | 'memory' | 'jobs' | 'metrics' | 'rejects'>,
    'readers' | 'uplink' | 'broker' | 'smoothing' | 'holds'
  > & {
    readers: ReaderConfig[];
    /** maxTracked is filled from memory.budgetMb when the file does not set it (config/load.ts). */
    smoothing: Filled<NonNullable<RawConfig['smoothing']>, 'maxTracked'>;
    /** indexMb likewise, when there is a holds section. */
    holds?: Filled<NonNullable<RawConfig['holds']>, 'indexMb'>;
    uplink: UplinkConfig;
    broker: BrokerConfig;
  }
>;
