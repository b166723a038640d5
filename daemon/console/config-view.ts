/**
 * The console's configuration page: the configuration running now with its secrets hidden, and
 * what `readpoint check` says of the file on disk now, with what a reload would do with it.
 */
import { stringify } from 'yaml';
import { ConfigError, formatProblem, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { hideSecrets, isSecretKey, secretsIn } from '../../config/secrets.js';
import { describePlan, planReload } from '../reload-plan.js';

export interface ConfigCheck {
  readonly file: string;
  /** The file is valid. */
  readonly valid: boolean;
  /** Its problems, one line each (`path: message`, with its line:column). */
  readonly problems: readonly string[];
  /** What a reload (SIGHUP) would do with it, when valid. */
  readonly reload?: string;
}

/** The running configuration as YAML (defaults filled in), every secret shown as ***. */
export function configText(config: Config): string {
  const hidden = JSON.parse(
    JSON.stringify(config, (key, value) => (key !== '' && isSecretKey(key) ? '***' : value)),
  ) as unknown;
  return hideSecrets(stringify(hidden, { lineWidth: 0 }), secretsIn(config));
}

/** Loads and checks `file` as a reload would, against the running configuration. */
export async function checkOnDisk(file: string, running: Config): Promise<ConfigCheck> {
  const secrets = secretsIn(running);
  let next: Config;
  try {
    next = await loadConfig(file);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message];
    return { file, valid: false, problems: problems.map((p) => hideSecrets(p, secrets)) };
  }
  const plan = planReload(running, next);
  const reload =
    plan.restartNeeded.length > 0
      ? `a reload would be refused: ${plan.restartNeeded.join(', ')} changed, which needs a restart`
      : `a reload would apply: ${describePlan(plan)}`;
  return { file, valid: true, problems: [], reload: hideSecrets(reload, [...secrets, ...secretsIn(next)]) };
}
