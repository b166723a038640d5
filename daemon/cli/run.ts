import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { Gateway, type ReloadOutcome } from '../gateway.js';
import { rootLogger } from '../log.js';
import { DataDirInUseError } from '../outbox/store.js';
import { serviceManager } from '../service/notify.js';

/** Exit codes of `readpoint run` (documented in docs/commands.md). */
export const EXIT = { ok: 0, badConfig: 1, fatal: 2, unclean: 3, dataDirInUse: 4, usage: 64 } as const;

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

export async function runCommand(configFile: string): Promise<number> {
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
  const gateway = new Gateway(config, log);
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
  const signalled = new Promise<string>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, `fatal: ${err.message}`);
    process.exit(EXIT.fatal);
  });

  const startup = gateway.start().then(
    () => {
      started = true;
    },
    (err: Error) => err,
  );
  // A signal during start-up waits for start to settle, then stops cleanly.
  const first = await Promise.race([startup.then(() => 'started' as const), signalled]);
  const startError = await startup;
  if (startError) {
    log.fatal({ err: startError }, `fatal: ${startError.message}`);
    return startError instanceof DataDirInUseError ? EXIT.dataDirInUse : EXIT.fatal;
  }
  if (first !== 'started') return stop(first);
  // Ready only now: the outbox is open, the broker listens and the uplink is started.
  service.ready(`running: ${config.readers.length} reader(s)`);
  if (reloadAsked) reload();
  if (started && config.broker.enabled && !config.uplink.url) {
    const { host, port } = config.broker;
    log.info(
      `watch the events: npx readpoint tail --url mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    );
  }
  return stop(await signalled);
}
