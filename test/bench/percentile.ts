/** Percentiles of measured durations, as the bench's latency rows give them. */

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The value below which a share `q` of the sorted values lies: the value at rank floor(q * n),
 * so p99 of 100 values is the 100th, and of 1,000 values the 991st.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** p50, p99 and max of `values` (sorted here, in place). */
export function percentiles(values: Float64Array): Percentiles {
  values.sort();
  return {
    count: values.length,
    p50: percentile(values, 0.5),
    p99: percentile(values, 0.99),
    max: values.length === 0 ? Number.NaN : values[values.length - 1]!,
  };
}
