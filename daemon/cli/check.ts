import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { limitWarning, memoryLimitBytes } from '../own-memory.js';
import { uplinkWarnings } from '../uplink/uplink-warnings.js';
import { DAEMON_UNIT, unitMemoryMax } from './unit-memory.js';

/**
 * `readpoint check`: prints every problem as FILE:LINE:COL path: message; 0 valid, 1 invalid. A
 * valid config that weakens the uplink's security, or that sizes the daemon past its memory limit,
 * is still valid: each is one `FILE: warning: ...` line, the text health will carry.
 */
export async function checkCommand(configFile: string): Promise<number> {
  try {
    const config = await loadConfig(configFile);
    process.stdout.write(
      `${configFile}: valid (${config.readers.length} reader(s), ${config.readPoints.length} read point(s))\n`,
    );
    for (const text of Object.values(await uplinkWarnings(config)))
      if (text !== undefined) process.stdout.write(`${configFile}: warning: ${text}\n`);
    const memory = await memoryWarning(config);
    if (memory !== undefined) process.stdout.write(`${configFile}: warning: ${memory}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stdout.write(`${formatProblem(p)}\n`);
    return 1;
  }
}

/**
 * The config's memory sizing against the limit the daemon will run under: this process's own (as
 * the unit's ExecStartPre, in a container), or else, run by hand, the daemon unit's MemoryMax=.
 */
async function memoryWarning(config: Config): Promise<string | undefined> {
  const sizing = { budgetMb: config.memory.budgetMb, holdIndexMb: config.holds?.indexMb };
  const own = memoryLimitBytes();
  if (own !== undefined) return limitWarning(sizing, own);
  return limitWarning(sizing, await unitMemoryMax(), `${DAEMON_UNIT}'s MemoryMax=`);
}
