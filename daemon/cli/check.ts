import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';

/** `readpoint check`: prints every problem as FILE:LINE:COL path: message; 0 valid, 1 invalid. */
export async function checkCommand(configFile: string): Promise<number> {
  try {
    const config = await loadConfig(configFile);
    process.stdout.write(
      `${configFile}: valid (${config.readers.length} reader(s), ${config.readPoints.length} read point(s))\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stdout.write(`${formatProblem(p)}\n`);
    return 1;
  }
}
