/**
 * What the transaction-context feature takes from the configuration when it starts: the read
 * points that keep a context and the data format of their context scanners. A reload that changes
 * it is refused (reload-plan.ts); the feature does not reconfigure while running.
 */
import type { Config } from '../../../config/schema.js';

export function contextSettings(config: Config): unknown {
  const points = config.readPoints.filter((p) => p.context).map((p) => ({ id: p.id, context: p.context }));
  const scanners = new Set(points.flatMap((p) => p.context?.scanners ?? []));
  return {
    points,
    scanners: config.readers
      .filter((r) => scanners.has(r.id))
      .map((r) => ({ id: r.id, data: 'format' in r ? r.format.data : undefined })),
  };
}
