/**
 * What holds take from the configuration when they start: the `holds` section and each read
 * point's local signal. A reload that changes it is refused (reload-plan.ts); the feature does not
 * reconfigure while running.
 */
import type { Config } from '../../../config/schema.js';

export function holdSettings(config: Config): unknown {
  return {
    holds: config.holds,
    signals: config.readPoints.filter((p) => p.holdSignal).map((p) => ({ id: p.id, signal: p.holdSignal })),
  };
}
