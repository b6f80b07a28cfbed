import type { Percentiles } from '../../src/signals/types.js';

// A p99 over a handful of samples is just the maximum: one slow call. Latency rules therefore also ask how
// many samples were at least as slow as the threshold. The histogram keeps no per-sample data, but each
// percentile gives a lower bound: if the value at rank r = ceil(count × q) is ≥ T, then every sample from
// rank r up to count is ≥ T, i.e. at least count − r + 1 samples.

const QUANTILES = [
  [0.5, 'p50'],
  [0.95, 'p95'],
  [0.99, 'p99'],
] as const;

/** Lower bound on the number of samples ≥ thresholdNs implied by the percentiles. */
export function minSamplesAtOrAbove(p: Percentiles, thresholdNs: number): number {
  if (!(p.count > 0) || Math.max(p.max, p.p99) < thresholdNs) return 0;
  let bound = 1;
  for (const [q, key] of QUANTILES) {
    if (p[key] >= thresholdNs) bound = Math.max(bound, p.count - Math.max(1, Math.ceil(p.count * q)) + 1);
  }
  return bound;
}

/** p99 reached the threshold, backed by at least `minSlow` samples that slow. */
export function slowEnough(p: Percentiles, thresholdNs: number, minSlow: number): boolean {
  return p.p99 >= thresholdNs && minSamplesAtOrAbove(p, thresholdNs) >= minSlow;
}
