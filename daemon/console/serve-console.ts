/**
 * The web console of a running gateway (`console` in the config): samples the reads through a
 * read tap and the events through an event observer, keeps the last hold alerts as the holds
 * feature tells them, keeps the health history, and pushes one
 * message a second to the open browsers. Everything a browser gets is built on a timer, off the
 * read path; with nobody watching only the taps' counters and the history run.
 */
import type { Config } from '../../config/schema.js';
import type { HealthPayload } from '../contract/topics.js';
import type { HoldAlertListener } from '../inventory/holds/hold-alert-listeners.js';
import type { EventObserver } from '../inventory/observers.js';
import type { Logger } from '../log.js';
import type { ReadTaps } from '../taps/read-taps.js';
import { checkOnDisk, configText } from './config-view.js';
import { ConsoleFeed } from './console-feed.js';
import { ConsoleLogins } from './console-logins.js';
import { ConsoleServer } from './console-server.js';
import { consoleView } from './console-view.js';
import { HealthHistory } from './health-history.js';
import { HoldAlertLog } from './hold-alert-log.js';
import { PassSampler } from './pass-sampler.js';
import { ReadSampler } from './read-sampler.js';
import { loadStaticFiles } from './static-files.js';

/** How often the browsers get a message. */
const PUSH_MS = 1000;
/** Hold alerts the alerts area lists, newest first. */
const MAX_HOLD_ALERTS = 10;
/** A browser that has not taken this much of the feed is dropped. */
const MAX_QUEUED_BYTES = 1 << 20;

export interface ConsoleDeps {
  readonly taps: ReadTaps;
  readonly events: { observe(observer: EventObserver): void };
  /** The hold alerts as they are recorded (`add` returns the function that removes the listener). */
  readonly holdAlerts: { add(listener: HoldAlertListener): () => void };
  readonly health: () => HealthPayload | undefined;
  /** The configuration running now (it changes with reloads). */
  readonly config: () => Config;
  /** The file a reload reads, for the configuration page's check. */
  readonly configFile: string | undefined;
  readonly log: Logger;
}

export interface RunningConsole {
  readonly server: ConsoleServer;
  stop(): Promise<void>;
}

/** Starts the console when configured; undefined when `console` is absent. */
export async function serveConsole(config: Config, deps: ConsoleDeps): Promise<RunningConsole | undefined> {
  const section = config.console;
  if (!section) return undefined;
  const log = deps.log.child({ component: 'console' });
  const logins = await ConsoleLogins.prepare(section.logins ?? []);
  const reads = new ReadSampler({ minutes: section.historyMinutes, streamPerSecond: 25, streamSize: 200 });
  const passes = new PassSampler(200, 25);
  const history = new HealthHistory();
  const holdAlerts = new HoldAlertLog(MAX_HOLD_ALERTS);
  let sent = { read: 0, seq: 0 };
  let feed: ConsoleFeed | undefined;
  const sources = {
    reads,
    passes,
    history,
    holdAlerts,
    config: deps.config,
    counters: () => ({
      watching: feed?.watching ?? 0,
      dropped: feed?.dropped ?? 0,
      failedLogins: logins.failed,
    }),
  };
  const build = (after: { read: number; seq: number }) => {
    const health = deps.health();
    return health ? consoleView(sources, health, Date.now(), after) : undefined;
  };
  feed = new ConsoleFeed({ maxClients: section.maxClients, maxQueuedBytes: MAX_QUEUED_BYTES }, () =>
    JSON.stringify(build({ read: 0, seq: 0 }) ?? { starting: true }),
  );
  const liveFeed = feed;
  const server = new ConsoleServer(
    { host: section.host, port: section.port, maxClients: section.maxClients },
    {
      logins,
      files: await loadStaticFiles(),
      feed,
      config: async () => {
        const running = deps.config();
        return {
          text: configText(running),
          check: deps.configFile
            ? await checkOnDisk(deps.configFile, running)
            : { file: null, valid: false, problems: ['the daemon was not started from a file'] },
        };
      },
    },
    log,
  );
  const untap = deps.taps.add(reads);
  const unlisten = deps.holdAlerts.add(holdAlerts.take);
  deps.events.observe(passes);
  await server.start();
  const timer = setInterval(() => {
    const now = Date.now();
    // With nobody watching, a snapshot only when the history takes a point.
    if (liveFeed.watching === 0 && !history.due(now)) return;
    const health = deps.health();
    if (!health) return;
    history.sample(health, now);
    if (liveFeed.watching === 0) return;
    const view = consoleView(sources, health, now, sent);
    sent = { read: view.stream.at(-1)?.n ?? sent.read, seq: view.passes.recent.at(-1)?.seq ?? sent.seq };
    liveFeed.push(JSON.stringify(view));
  }, PUSH_MS);
  const bound = server.address();
  log.info(
    { ...bound, url: `http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}/` },
    'console listening',
  );
  return {
    server,
    async stop() {
      clearInterval(timer);
      untap();
      unlisten();
      await server.stop();
    },
  };
}
