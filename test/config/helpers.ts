/** What the config tests share: the problems of a config that must not load, and a minimal config. */
import { ConfigError, formatProblem, parseConfig } from '../../config/load.js';

/** The problems (FILE:LINE:COL path: message) of `text`, which must fail to load. */
export function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'f.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error('expected the config to be invalid');
}

/** The smallest valid config: one read point, one serial reader. */
export const MINIMAL_YAML = `gateway:
  id: gw-1
  site: s-1
readPoints:
  - id: rp-1
readers:
  - id: r-1
    driver: serial-line
    readPoint: rp-1
    path: /dev/ttyUSB0
`;
