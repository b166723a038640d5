import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { Gateway } from '../gateway.js';
import { rootLogger } from '../log.js';
import { DataDirInUseError } from '../outbox/store.js';

/** Exit codes of `readpoint run` (documented in the README). */
export const EXIT = { ok: 0, badConfig: 1, fatal: 2, unclean: 3, dataDirInUse: 4, usage: 64 } as const;

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

  let stopping: Promise<number> | undefined;
  let started = false;
  const stop = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      log.info({ signal }, 'stopping');
      const failed = await gateway.stop();
      if (failed.length > 0) {
        log.error({ failed }, 'stopped with errors');
        return EXIT.unclean;
      }
      log.info('stopped cleanly');
      return EXIT.ok;
    })();
    return stopping;
  };
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
  if (started && config.broker.enabled && !config.uplink.url) {
    const { host, port } = config.broker;
    log.info(
      `watch the events: npx readpoint tail --url mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    );
  }
  return stop(await signalled);
}
