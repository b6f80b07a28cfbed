// Kernel log-linear histograms (ns) → Prometheus histograms (seconds). Fixed, log-spaced bucket bounds so
// every series of a family shares its `le` values and PromQL can aggregate across them; 1-2.5-5 per decade
// from 1 µs to 10 s covers a syscall on a fast path up to a disk I/O stuck behind a flush.
import { cumulativeBuckets, type Histogram } from '../bpf/histogram.js';

function decadeSteps(fromExp: number, toExp: number): number[] {
  const out: number[] = [];
  for (let e = fromExp; e < toExp; e++)
    for (const m of ['1', '2.5', '5']) out.push(Number.parseFloat(`${m}e${e}`));
  out.push(Number.parseFloat(`1e${toExp}`));
  return out;
}

/** Upper bounds (seconds) of the latency buckets: 1 µs … 10 s, 22 buckets (+Inf is implicit). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze(decadeSteps(-6, 1));

export interface PromHistogram {
  /** Bounds in seconds, ascending, without +Inf. */
  bounds: readonly number[];
  /** Cumulative count at each bound (same length as `bounds`). */
  buckets: number[];
  /** Observations in total: the +Inf bucket and `_count`. */
  count: number;
  /** Sum of observations in seconds. */
  sum: number;
}

/**
 * One kernel histogram as a Prometheus histogram. `count` is the sum of the slots (not the kernel's
 * separate `count` word) so the +Inf bucket always equals `_count` and the buckets stay monotonic even when
 * a per-CPU read raced an update between the two words.
 */
export function toPromHistogram(
  h: Histogram,
  bounds: readonly number[] = LATENCY_BUCKETS_SECONDS,
): PromHistogram {
  const withInf = cumulativeBuckets(h, [...bounds, Number.POSITIVE_INFINITY]);
  const count = withInf.pop() ?? 0;
  return { bounds, buckets: withInf, count, sum: h.sumNs / 1e9 };
}

/** The `le` label value of a bound, stable across scrapes ("0.0000025", "+Inf"). */
export function leLabel(bound: number): string {
  return Number.isFinite(bound) ? String(bound) : '+Inf';
}
