/**
 * The record of the configuration's life that the health topic carries (`config`): its
 * generation, when it was loaded, how many reloads were applied or failed, and the last one's
 * outcome. Each outcome is logged once, here, and its message never holds a secret of the
 * running configuration: it goes upstream with every heartbeat.
 */
import type { Config } from '../config/schema.js';
import { hideSecrets, secretsIn } from '../config/secrets.js';
import type { ConfigHealth } from './contract/topics.js';
import type { Logger } from './log.js';

/** What a reload did: applied (with what changed) or refused (with why). */
export interface ReloadOutcome {
  readonly ok: boolean;
  readonly message: string;
}

export class ReloadRecord {
  private readonly state: { -readonly [K in keyof ConfigHealth]: ConfigHealth[K] } = {
    generation: 1,
    loadedAt: new Date().toISOString(),
    reloads: 0,
    reloadFailures: 0,
  };

  constructor(private readonly log: Logger) {}

  /** A new configuration is in force. */
  applied(): void {
    this.state.generation++;
  }

  /** Records (and logs) an outcome; `running` is the configuration whose secrets are hidden. */
  note(ok: boolean, said: string, running: Config): ReloadOutcome {
    const message = hideSecrets(said, secretsIn(running));
    const s = this.state;
    s.lastReload = { at: new Date().toISOString(), ok, message };
    if (ok) s.reloads++;
    else s.reloadFailures++;
    if (ok)
      this.log.info({ component: 'config', generation: s.generation }, `configuration reloaded: ${message}`);
    else
      this.log.error(
        { component: 'config', generation: s.generation },
        `configuration reload failed: ${message}`,
      );
    return { ok, message };
  }

  /** A copy for a health snapshot. */
  snapshot(): ConfigHealth {
    return { ...this.state };
  }
}
