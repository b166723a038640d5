import { type EventEmitter, once } from 'node:events';
import { symbols } from 'pino';
import { embeddedBrokerRuns } from '../../config/broker.js';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { Gateway, StartInterrupted } from '../gateway.js';
import { type Logger, rootLogger } from '../log.js';
import {
  DataDirDeniedError,
  DataDirInUseError,
  DataDirReadOnlyError,
  DataDirUnsafeError,
  PRIVATE_UMASK,
} from '../outbox/data-dir.js';
import { refuseUnsafeDataDir } from '../outbox/data-dir-guard.js';
import type { ReloadOutcome } from '../reload-record.js';
import { serviceManager } from '../service/notify.js';
import { EXIT } from './exit-codes.js';
import { onRepeatedStopSignal, stopAsked, stopSignal } from './stop-signals.js';

/**
 * SIGHUP: reads and validates the config file again, then applies it (Gateway.reload). An
 * invalid file changes nothing: every problem is logged and the health topic says why.
 */
async function reloadFrom(configFile: string, gateway: Gateway): Promise<ReloadOutcome> {
  let next: Config;
  try {
    next = await loadConfig(configFile);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message];
    return gateway.reloadRefused(
      `${configFile} is invalid, the running configuration is kept: ${problems.join('; ')}`,
    );
  }
  return gateway.reload(next);
}

/** The exit code of a failed start: the data directory's own failures are not retried by systemd. */
function startFailureCode(err: Error): number {
  if (err instanceof DataDirInUseError) return EXIT.dataDirInUse;
  if (err instanceof DataDirDeniedError) return EXIT.dataDirDenied;
  if (err instanceof DataDirReadOnlyError) return EXIT.dataDirReadOnly;
  if (err instanceof DataDirUnsafeError) return EXIT.dataDirUnsafe;
  return EXIT.fatal;
}

export async function runCommand(configFile: string): Promise<number> {
  // Usually caught since main.ts loaded; from here at the latest.
  const signalled = stopSignal();
  // Whatever the caller's umask, the outbox's files (LevelDB creates them as it goes) are the
  // daemon user's alone.
  process.umask(PRIVATE_UMASK);
  let config: Config;
  try {
    config = await loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      process.stderr.write(
        `readpoint: ${configFile} is invalid (${err.problems.length} problem(s)); not starting\n`,
      );
      return EXIT.badConfig;
    }
    throw err;
  }
  const log = rootLogger(config.log.level);
  const code = await runDaemon(config, configFile, log, signalled);
  await logWritten(log);
  return code;
}

/**
 * Resolves once the log's destination has no write under way. pino writes asynchronously; at
 * exit it writes what it holds synchronously, which would land before (or instead of) a line whose
 * write is still under way: the last lines would come out of order.
 */
async function logWritten(log: Logger): Promise<void> {
  const stream = (log as unknown as Record<symbol, unknown>)[symbols.streamSym] as
    | (EventEmitter & { readonly _writing?: boolean })
    | undefined;
  if (stream?._writing) await once(stream, 'drain').catch(() => undefined);
}

async function runDaemon(
  config: Config,
  configFile: string,
  log: Logger,
  signalled: Promise<string>,
): Promise<number> {
  const early = stopAsked();
  if (early !== undefined) {
    // Nothing has started yet: the code and the configuration were only read.
    log.info({ signal: early }, 'asked to stop during start-up');
    log.info('stopped cleanly');
    return EXIT.ok;
  }
  const unsafe = await refuseUnsafeDataDir(config.dataDir).then(
    () => undefined,
    (err: Error) => err,
  );
  if (unsafe) {
    log.fatal({ err: unsafe }, `fatal: ${unsafe.message}`);
    return startFailureCode(unsafe);
  }
  const gateway = new Gateway(config, log, configFile);
  const service = serviceManager(process.env, log.child({ component: 'systemd' }));
  // Pings from the start: replaying a large outbox at start must not look like a hang.
  const stopWatchdog = service.startWatchdog();
  gateway.onHealth = (h) =>
    service.status(
      `${h.readers.filter((r) => r.connected).length}/${h.readers.length} readers connected, ` +
        `uplink ${h.uplink.state}, outbox ${h.outbox.depth}`,
    );

  let stopping: Promise<number> | undefined;
  let started = false;
  const stop = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      log.info({ signal }, 'stopping');
      service.stopping(`stopping (${signal})`);
      stopWatchdog();
      const failed = await gateway.stop();
      await service.settled();
      if (failed.length > 0) {
        log.error({ failed }, 'stopped with errors');
        return EXIT.unclean;
      }
      log.info('stopped cleanly');
      return EXIT.ok;
    })();
    return stopping;
  };
  // SIGHUP reloads the config; one during start-up is applied once started (never the default
  // action, which would end the process).
  let reloadAsked = false;
  const reload = () => {
    if (stopping) return;
    if (!started) {
      reloadAsked = true;
      return;
    }
    service.reloading();
    void reloadFrom(configFile, gateway).then((outcome) =>
      service.ready(outcome.ok ? `reloaded: ${outcome.message}` : `reload failed: ${outcome.message}`),
    );
  };
  process.on('SIGHUP', reload);
  onRepeatedStopSignal((signal) => log.info({ signal }, 'stopping already'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, `fatal: ${err.message}`);
    process.exit(EXIT.fatal);
  });

  // A signal during start-up ends it between two steps: what had started stops, in reverse order.
  const interrupt = new AbortController();
  void signalled.then((signal) => {
    if (started) return;
    log.info({ signal }, 'asked to stop during start-up');
    interrupt.abort();
  });
  const startError = await gateway.start(interrupt.signal).then(
    () => {
      started = true;
    },
    (err: Error) => err,
  );
  if (startError instanceof StartInterrupted) {
    service.stopping('stopping (asked during start-up)');
    stopWatchdog();
    await service.settled();
    log.info('stopped cleanly');
    return EXIT.ok;
  }
  if (startError) {
    log.fatal({ err: startError }, `fatal: ${startError.message}`);
    return startFailureCode(startError);
  }
  // A signal that came as the last step finished: a normal stop.
  if (interrupt.signal.aborted) return stop(await signalled);
  // Ready only now: the outbox is open, the broker listens and the uplink is started.
  service.ready(`running: ${config.readers.length} reader(s)`);
  if (reloadAsked) reload();
  if (started && embeddedBrokerRuns(config) && !config.uplink.url)
    log.info(`watch the events: readpoint tail --config ${configFile}`);
  return stop(await signalled);
}
