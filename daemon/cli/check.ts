import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import { uplinkWarnings } from '../uplink/uplink-warnings.js';

/**
 * `readpoint check`: prints every problem as FILE:LINE:COL path: message; 0 valid, 1 invalid. A
 * valid config that weakens the uplink's security is still valid: each weakening is one
 * `FILE: warning: ...` line, the text health will carry.
 */
export async function checkCommand(configFile: string): Promise<number> {
  try {
    const config = await loadConfig(configFile);
    process.stdout.write(
      `${configFile}: valid (${config.readers.length} reader(s), ${config.readPoints.length} read point(s))\n`,
    );
    for (const text of Object.values(await uplinkWarnings(config)))
      if (text !== undefined) process.stdout.write(`${configFile}: warning: ${text}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stdout.write(`${formatProblem(p)}\n`);
    return 1;
  }
}
