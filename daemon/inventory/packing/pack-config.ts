/**
 * What the pack stations take from the configuration when they start: the read points in pack
 * mode and the readers that scan there (their format decides how a scan is decoded). They are
 * not changed while running, so a reload that changes them needs a restart (reload-plan.ts).
 */
import type { Config } from '../../../config/schema.js';

export function packStationConfig(config: Config): unknown {
  const stations = config.readPoints.filter((p) => p.mode === 'pack');
  const ids = new Set(stations.map((p) => p.id));
  return {
    stations,
    readers: config.readers
      .filter((r) => ids.has(r.readPoint))
      .map((r) => ({ id: r.id, readPoint: r.readPoint, format: r.format, separator: r.multiReadSeparator })),
  };
}
